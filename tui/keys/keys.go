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
