// Package keys defines the console's key bindings, each with its help text.
package keys

import "github.com/charmbracelet/bubbles/key"

// Global keys work on every screen.
var (
	Quit    = key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit"))
	Help    = key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys"))
	Refresh = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh now"))
	Back    = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	Filter  = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter rows"))
	Open    = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
	Events  = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "events timeline"))
	Watch   = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "incident watch"))
	Bundle  = key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "build and upload a bundle"))
	Rollout = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "roll out a bundle"))
	Audit   = key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "audit log: who changed what"))
)

// Movement keys of a table.
var (
	Up       = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	Down     = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	PageUp   = key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up"))
	PageDown = key.NewBinding(key.WithKeys("pgdown", "ctrl+f"),
		key.WithHelp("pgdn", "page down"))
	Top    = key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first row"))
	Bottom = key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last row"))
)

// TableKeys are the movement keys, in the order help lists them.
func TableKeys() []key.Binding {
	return []key.Binding{Up, Down, PageUp, PageDown, Top, Bottom}
}

// Keys that change the fleet. The console shows and takes them only when it is not
// started with --read-only, and runs them only while armed.
var (
	Arm  = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "arm/disarm changes"))
	Mark = key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "mark instance"))

	Restart = key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "restart"))
	Reimage = key.NewBinding(key.WithKeys("I"), key.WithHelp("I", "reimage"))
	Delete  = key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete"))
	Start   = key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "start (deallocated)"))
	Evict   = key.NewBinding(key.WithKeys("V"), key.WithHelp("V", "simulate eviction"))

	Scale    = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "scale to N"))
	MaxPrice = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "set Spot max price"))
)

// InstanceActionKeys are the keys of instance actions, in the order help lists them.
func InstanceActionKeys() []key.Binding {
	return []key.Binding{Mark, Restart, Reimage, Delete, Start, Evict}
}
