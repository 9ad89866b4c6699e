package screen

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/tui/keys"
	"spotdeck/tui/theme"
)

// Filter is the "/" prompt that narrows a table's rows to those containing the typed text.
type Filter struct {
	input  textinput.Model
	active bool
}

// NewFilter returns an empty, inactive filter.
func NewFilter() Filter {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "type to filter, enter to keep, esc to clear"
	in.CharLimit = 64
	return Filter{input: in}
}

// Active tells whether the prompt is taking keys.
func (f Filter) Active() bool { return f.active }

// Query returns the text rows must contain, lower case.
func (f Filter) Query() string { return strings.ToLower(strings.TrimSpace(f.input.Value())) }

// Match tells whether any of the fields contains the query.
func (f Filter) Match(fields ...string) bool {
	q := f.Query()
	if q == "" {
		return true
	}
	for _, s := range fields {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// Update handles "/" to open the prompt and, while open, typing, enter and esc. It reports
// whether it consumed the message.
func (f Filter) Update(msg tea.Msg) (Filter, bool) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return f, false
	}
	if !f.active {
		if key.Matches(km, keys.Filter) {
			f.active = true
			f.input.Focus()
			return f, true
		}
		if key.Matches(km, keys.Back) && f.Query() != "" {
			f.input.SetValue("")
			return f, true
		}
		return f, false
	}
	switch km.Type {
	case tea.KeyEnter:
		f.active = false
		f.input.Blur()
	case tea.KeyEsc:
		f.active = false
		f.input.Blur()
		f.input.SetValue("")
	default:
		f.input, _ = f.input.Update(msg)
	}
	return f, true
}

// View draws the prompt while active, the kept filter otherwise, or nothing.
func (f Filter) View() string {
	if f.active {
		return f.input.View()
	}
	if q := f.Query(); q != "" {
		return theme.Dim.Render("filter: " + q + "  (esc clears)")
	}
	return ""
}

// Take passes msg to the filter and calls refilter when the query changed. It tells
// whether the filter took the message, in which case the screen does nothing more with it.
func (f *Filter) Take(msg tea.Msg, refilter func()) bool {
	before := f.Query()
	next, used := f.Update(msg)
	*f = next
	if used && f.Query() != before {
		refilter()
	}
	return used
}

// Kept tells whether a query is applied, which esc clears before it leaves the screen.
func (f Filter) Kept() bool { return f.Query() != "" }
