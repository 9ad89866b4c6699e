// Package confirm is the dialog every change passes through: it names the targets and the
// effect, and for destructive changes asks the operator to type the scale set's name.
package confirm

import (
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/tui/theme"
)

// Request describes what the operator is asked to confirm.
type Request struct {
	// Title says the change in a few words, e.g. "Restart 2 instances".
	Title string
	// Lines name the targets and the effect.
	Lines []string
	// TypeToConfirm, when set, must be typed exactly (a scale set's name) to go ahead.
	TypeToConfirm string
	// Reversible tells that the change can be walked back (a rollout rolls back), so the
	// dialog does not call it final.
	Reversible bool
	// Payload travels back with the answer, so the caller knows what was confirmed.
	Payload any
}

// AnswerMsg is sent when the operator answers.
type AnswerMsg struct {
	Confirmed bool
	Payload   any
}

// Model is an open dialog.
type Model struct {
	req   Request
	input textinput.Model
}

// New opens a dialog for the request.
func New(req Request) Model {
	in := textinput.New()
	in.Prompt = "> "
	in.CharLimit = 80
	if req.TypeToConfirm != "" {
		in.Focus()
	}
	return Model{req: req, input: in}
}

// Update handles the answer: y/enter or n/esc, or typing the name then enter.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	if km.Type == tea.KeyEsc {
		return m, m.answer(false)
	}
	if m.req.TypeToConfirm == "" {
		switch strings.ToLower(km.String()) {
		case "y", "enter":
			return m, m.answer(true)
		case "n":
			return m, m.answer(false)
		}
		return m, nil
	}
	if km.Type == tea.KeyEnter {
		if m.input.Value() == m.req.TypeToConfirm {
			return m, m.answer(true)
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

func (m Model) answer(yes bool) tea.Cmd {
	payload := m.req.Payload
	return func() tea.Msg { return AnswerMsg{Confirmed: yes, Payload: payload} }
}

// View draws the dialog.
func (m Model) View() string {
	var b strings.Builder
	b.WriteString(theme.WarnLine.Render("⚠ " + m.req.Title))
	b.WriteString("\n\n")
	for _, l := range m.req.Lines {
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("\n")
	if m.req.TypeToConfirm == "" {
		b.WriteString(theme.HelpKey.Render("y") + "/enter go ahead · " +
			theme.HelpKey.Render("n") + "/esc cancel")
		return b.String()
	}
	if !m.req.Reversible {
		b.WriteString("This cannot be undone. ")
	}
	b.WriteString("Type " + theme.Title.Render(m.req.TypeToConfirm) +
		" and press enter to go ahead, esc to cancel.\n")
	b.WriteString(m.input.View())
	if v := m.input.Value(); v != "" && v != m.req.TypeToConfirm &&
		!strings.HasPrefix(m.req.TypeToConfirm, v) {
		b.WriteString("\n" + theme.ErrorLine.Render("✗ that is not the scale set's name"))
	}
	return b.String()
}
