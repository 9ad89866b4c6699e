package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"spotdeck/azure"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
	"spotdeck/tui/theme"
)

// readFleetCmd reads the fleet in a command, with a deadline, and reports it as a fleetMsg.
// It captures the options, not the model, so it cannot race with Update.
func readFleetCmd(opts Options, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
		defer cancel()
		fleet, err := azure.ReadFleet(ctx, opts.Reader,
			azure.ReadOptions{ScaleSets: opts.ScaleSets, Now: opts.Now})
		return fleetMsg{fleet: fleet, err: err, gen: gen}
	}
}

// View draws the header, the top screen (or the help page) and the status line.
func (m Model) View() string {
	body := m.top().View()
	switch {
	case m.dialog != nil:
		// A confirmation is read whole: its lines wrap rather than lose the effect.
		body = ansi.Wrap(m.dialog.View(), m.width, " ")
	case m.help:
		body = m.helpView()
	case !m.hasFleet && len(m.stack) == 1:
		body = m.firstLoadView()
	}
	return m.header() + "\n" + clip(body, m.width, m.bodyHeight()) + "\n" + m.statusLine()
}

// clip cuts the body to the screen: each line to width, and exactly height lines, so a
// long message can never push the header off or wrap.
func clip(body string, width, height int) string {
	lines := strings.Split(body, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// header draws the breadcrumbs on the left and the state of the data on the right. When
// both do not fit, the middle crumbs and then the scope give way: how fresh the data is,
// and that it is stale, must always show.
func (m Model) header() string {
	crumbs := []string{theme.Title.Render("spotdeck")}
	for _, s := range m.stack {
		crumbs = append(crumbs, s.Title())
	}
	short := crumbs
	if len(crumbs) > 2 {
		short = []string{crumbs[0], "…", crumbs[len(crumbs)-1]}
	}
	var line string
	for _, try := range []struct {
		crumbs []string
		scope  bool
	}{{crumbs, true}, {short, true}, {short, false}} {
		var fits bool
		if line, fits = m.headerLine(strings.Join(try.crumbs, " ▸ "), try.scope); fits {
			break
		}
	}
	return line
}

// headerLine lays out one header and tells whether it fits the width.
func (m Model) headerLine(left string, withScope bool) (string, bool) {
	right := m.freshness()
	if withScope && m.opts.Scope != "" {
		right = m.opts.Scope + " · " + right
	}
	if badge := m.armBadge(); badge != "" {
		style := theme.Dim
		if m.armed() {
			style = theme.WarnLine
		}
		right = style.Render(badge) + " · " + right
	}
	space := m.width - lipgloss.Width(left) - lipgloss.Width(right)
	if space < 1 {
		return left + " " + right, false
	}
	return left + strings.Repeat(" ", space) + right, true
}

// freshness says how old the data on screen is, and that it is stale after a failure.
func (m Model) freshness() string {
	switch {
	case !m.hasFleet && m.err == nil:
		return "loading…"
	case !m.hasFleet:
		return theme.State(theme.Bad, "no data")
	}
	ago := "updated " + screen.Since(m.opts.Wall().Sub(m.lastGood)) + " ago"
	if m.loading {
		ago += " ⟳"
	}
	if m.err != nil {
		return theme.WarnLine.Render("⚠ stale · " + ago)
	}
	return theme.Dim.Render(ago)
}

// flashFor is how long a task's end message stays in the status line.
const flashFor = 15 * time.Second

func (m Model) statusLine() string {
	if m.tasks > 0 {
		return theme.WarnLine.Render(truncate(m.taskLine(), m.width))
	}
	if m.flash.text != "" && m.opts.Wall().Sub(m.flash.at) < flashFor {
		style := theme.OKLine
		if m.flash.bad {
			style = theme.ErrorLine
		}
		return style.Render(truncate(m.flash.text, m.width))
	}
	if m.err != nil {
		return theme.ErrorLine.Render(truncate("✗ "+m.err.Error(), m.width))
	}
	hint := "w watch · e events · ? keys · r refresh · q quit"
	if m.changesAllowed() && !m.armed() {
		// The header says read-only; this says how to change that.
		hint = "a arm · " + hint
	}
	if len(m.stack) > 1 {
		hint = "esc back · " + hint
	} else {
		hint = "enter open · / filter · " + hint
	}
	return theme.Dim.Render(truncate(hint, m.width))
}

func (m Model) firstLoadView() string {
	if m.err != nil {
		// Wrapped, not cut: the fix is at the end of the message.
		text := ansi.Wrap(m.err.Error(), max(m.width-4, 20), "")
		text = "  " + strings.ReplaceAll(text, "\n", "\n  ")
		return theme.ErrorLine.Render("Could not read the fleet:\n\n"+text) +
			"\n\n" + theme.Dim.Render("Press r to try again, q to quit.")
	}
	return theme.Dim.Render("Reading scale sets and instances…")
}

func (m Model) helpView() string {
	var b strings.Builder
	b.WriteString(theme.Title.Render("Keys of " + m.top().Title()))
	b.WriteString("\n\n")
	global := []key.Binding{keys.Watch, keys.Events, keys.Refresh, keys.Help, keys.Quit,
		keys.Rollout}
	if !m.opts.ReadOnly {
		global = append(global, keys.Bundle)
	}
	if m.changesAllowed() {
		global = append(global, keys.Arm)
	}
	if m.opts.AuditLog != nil {
		global = append(global, keys.Audit)
	}
	b.WriteString(keyColumns(append(m.top().Keys(), global...), m.bodyHeight()-4, m.width))
	fmt.Fprintf(&b, "\n%s", theme.Dim.Render(fmt.Sprintf(
		"Refreshes every %s on its own. Press ? or esc to close.", m.opts.Refresh)))
	return b.String()
}

// keyColumns lists keys one a line, in two columns when one would not fit in rows.
func keyColumns(bindings []key.Binding, rows, width int) string {
	lines := make([]string, 0, len(bindings))
	for _, k := range bindings {
		h := k.Help()
		lines = append(lines, "  "+theme.HelpKey.Render(fmt.Sprintf("%-10s", h.Key))+" "+h.Desc)
	}
	if len(lines) <= rows || rows < 1 {
		return strings.Join(lines, "\n") + "\n"
	}
	half, column := (len(lines)+1)/2, width/2
	for i := range lines {
		lines[i] = truncate(lines[i], column-1)
	}
	left := lipgloss.NewStyle().Width(column).Render(strings.Join(lines[:half], "\n"))
	right := strings.Join(lines[half:], "\n")
	return lipgloss.JoinHorizontal(lipgloss.Top, left, right) + "\n"
}

func truncate(s string, width int) string {
	return ansi.Truncate(s, width, "…")
}

// Run starts the console full screen and returns when the operator quits.
func Run(opts Options) error {
	p := tea.NewProgram(New(opts), tea.WithAltScreen())
	_, err := p.Run()
	return err
}
