package scalesets

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
	"spotdeck/tui/screen"
	"spotdeck/tui/theme"
)

// ask opens the prompt for the number a scale or max-price change needs.
func (m *Model) ask(kind string) tea.Cmd {
	in := textinput.New()
	in.CharLimit = 12
	in.Prompt = fmt.Sprintf("new capacity of %s (now %s): ", m.Selected().Name,
		screen.Int(m.Selected().Capacity))
	if kind == azure.ActionMaxPrice {
		in.Prompt = fmt.Sprintf("Spot max price of %s in USD/h, -1 = never evict for "+
			"price (%s): ", m.Selected().Name, screen.MaxPrice(m.Selected().MaxPrice))
	}
	in.Focus()
	m.asking, m.input, m.problem = kind, in, ""
	return textinput.Blink
}

// updatePrompt takes typing; enter turns the number into an action for the root to
// confirm, esc closes the prompt.
func (m *Model) updatePrompt(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if ok && km.Type == tea.KeyEsc {
		m.asking = ""
		return nil
	}
	if ok && km.Type == tea.KeyEnter {
		a, err := m.actionFromInput()
		if err != nil {
			m.problem = err.Error()
			return nil
		}
		m.asking = ""
		return screen.Open(screen.ActionMsg{Action: a, Capacity: m.Selected().Capacity})
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return cmd
}

func (m *Model) actionFromInput() (azure.Action, error) {
	s := m.Selected()
	a := azure.Action{Kind: m.asking, ScaleSet: s.Name, ResourceGroup: s.ResourceGroup}
	text := strings.TrimSpace(m.input.Value())
	if m.asking == azure.ActionScale {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return a, fmt.Errorf("%q is not a whole number of instances", text)
		}
		a.Capacity = &n
	} else {
		price, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return a, fmt.Errorf("%q is not a price; give USD per hour, or -1", text)
		}
		a.MaxPrice = &price
	}
	return a, a.Validate()
}

func (m *Model) promptView() string {
	view := m.input.View()
	if m.problem != "" {
		view += "  " + theme.ErrorLine.Render("✗ "+m.problem)
	}
	return view
}
