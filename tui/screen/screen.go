// Package screen holds what every screen of the console shares: the Screen interface, the
// messages screens send the root model, and the row filter.
package screen

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
)

// Screen is one page of the console. The root model owns the data and hands each screen
// the latest fleet; screens only render what they are handed and never call Azure.
type Screen interface {
	Update(msg tea.Msg) (Screen, tea.Cmd)
	View() string
	// SetSize gives the screen the space below the header and above the status line.
	SetSize(width, height int)
	// SetFleet hands the screen the latest reading of the fleet.
	SetFleet(fleet azure.Fleet)
	// Title names the screen in the header, e.g. "scale sets".
	Title() string
	// Keys lists the screen's own keys for the help page.
	Keys() []key.Binding
	// Capturing tells whether the screen is taking typed text (a filter), so the root
	// must not treat letters as commands.
	Capturing() bool
}

// OpenScaleSetMsg asks the root to show the instances of a scale set.
type OpenScaleSetMsg struct {
	ResourceGroup string
	Name          string
}

// BackMsg asks the root to close the top screen, for screens that take Esc themselves.
type BackMsg struct{}

// ActionMsg asks the root to confirm and run a change. The root checks that the console
// is armed, asks for confirmation, runs it as a task and records it in the audit log.
type ActionMsg struct {
	Action azure.Action
	// Capacity is the scale set's capacity as last read, to judge a scale-in.
	Capacity *int64
}

// PendingKey names an instance (or, with ID "", a scale set) for the operations running on
// it: the root hands screens a map of these to what is running.
type PendingKey struct {
	ScaleSet string
	ID       string
}

// Open returns a command that sends msg, for screens that ask the root to navigate.
func Open(msg tea.Msg) tea.Cmd {
	return func() tea.Msg { return msg }
}

// ChangeMsg asks the root to confirm a change that the screen carries out itself (a
// rollout): the root checks that the console is armed, asks, and on yes sends Then to the
// top screen.
type ChangeMsg struct {
	Title string
	Lines []string
	// TypeToConfirm, when set, is the scale set's name the operator must type.
	TypeToConfirm string
	// Reversible tells that the change can be walked back.
	Reversible bool
	Then       tea.Msg
}

// OpenRolloutMsg asks the root to show the rollout screen of a scale set.
type OpenRolloutMsg struct {
	ResourceGroup string
	Name          string
}
