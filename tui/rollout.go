package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/tui/confirm"
	"spotdeck/tui/rollouts"
	"spotdeck/tui/screen"
)

// scaleSetSelector is a screen that has a scale set in view: the scale sets screen (the one
// under the cursor), an instances screen, a rollout screen.
type scaleSetSelector interface {
	SelectedScaleSet() (resourceGroup, name string, ok bool)
}

// openRolloutOfTop opens the rollout screen of the scale set the top screen shows.
func (m Model) openRolloutOfTop() (tea.Model, tea.Cmd) {
	sel, ok := m.top().(scaleSetSelector)
	if !ok {
		m.flash = flash{text: "o works on a scale set: select one on the scale sets screen",
			bad: true, at: m.opts.Wall()}
		return m, nil
	}
	group, name, ok := sel.SelectedScaleSet()
	if !ok {
		return m, nil
	}
	return m.openRollout(group, name)
}

// openRollout shows the rollout screen of a scale set. A scale set keeps one screen for
// the console's life, so a rollout started there goes on stepping while the operator
// looks at other screens, and coming back shows it as it stands.
func (m Model) openRollout(resourceGroup, name string) (tea.Model, tea.Cmd) {
	key := rollouts.Key(resourceGroup, name)
	if s, ok := m.rollouts[key]; ok {
		if m.top() == screen.Screen(s) {
			return m, nil
		}
		return m.push(s), s.Reopen()
	}
	deps := m.opts.Rollouts
	deps.ReadOnly = deps.ReadOnly || m.opts.ReadOnly
	s := rollouts.New(deps, resourceGroup, name, "")
	if m.rollouts == nil {
		m.rollouts = map[string]*rollouts.Model{}
	}
	m.rollouts[key] = s
	return m.pushInit(s)
}

// routeRollout hands a rollout screen's message to its screen, wherever it is.
func (m Model) routeRollout(owner string, msg tea.Msg) (tea.Model, tea.Cmd) {
	s, ok := m.rollouts[owner]
	if !ok {
		return m, nil
	}
	_, cmd := s.Update(msg)
	return m, cmd
}

// askToChange opens the confirmation of a change a screen carries out itself.
func (m Model) askToChange(msg screen.ChangeMsg) (tea.Model, tea.Cmd) {
	if m.opts.ReadOnly {
		return m, nil
	}
	if !m.armed() {
		m.flash = flash{text: "read-only: press a to arm changes for " +
			m.opts.ArmFor.String(), bad: true, at: m.opts.Wall()}
		return m, nil
	}
	d := confirm.New(confirm.Request{Title: msg.Title, Lines: msg.Lines,
		TypeToConfirm: msg.TypeToConfirm, Reversible: msg.Reversible, Payload: msg})
	m.dialog = &d
	return m, nil
}

// changeAnswered sends a confirmed change back to the screen that asked for it.
func (m Model) changeAnswered(change screen.ChangeMsg, confirmed bool) (tea.Model, tea.Cmd) {
	m.dialog = nil
	if !confirmed {
		m.flash = flash{text: "cancelled: nothing was changed", at: m.opts.Wall()}
		return m, nil
	}
	return m, screen.Open(change.Then)
}
