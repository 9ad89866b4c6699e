package rollouts

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"spotdeck/azure"
	"spotdeck/tui/theme"
)

// View draws the stage the screen is at.
func (m *Model) View() string {
	if m.deps.Driver == nil {
		return theme.WarnLine.Render("Rollouts need storage for bundles and records: ") +
			m.deps.Help
	}
	var body string
	switch m.stage {
	case stageLoading:
		body = theme.Dim.Render("reading the last rollout of " + m.name + " and the bundles…")
	case stageForm:
		body = m.formView()
	case stagePlanning:
		body = theme.Dim.Render("planning the rollout of " + m.in.label + " to " + m.name + "…")
	case stagePlan:
		body = m.planView()
	case stageRunning:
		body = m.runningView()
	}
	// Messages wrap: their end says what to do.
	wrap := lipgloss.NewStyle().Width(max(m.width, 20))
	if m.note != "" {
		body += "\n" + wrap.Render(theme.State(theme.Info, m.note))
	}
	if m.err != nil {
		body += "\n" + wrap.Render(theme.State(theme.Bad, azure.MaskSAS(m.err.Error())))
	}
	return body
}

func (m *Model) formView() string {
	head := theme.Title.Render("New rollout to "+m.name) + theme.Dim.Render(" · bundles in "+
		m.deps.Driver.Container())
	if len(m.labels) == 0 {
		head += "\n" + theme.WarnLine.Render("no bundle is uploaded yet: build and upload "+
			"one with b, or type a label")
	}
	return head + "\n" + m.form.View()
}

// planView shows the extension change and the findings before the operator confirms.
func (m *Model) planView() string {
	if m.plan == nil {
		return theme.Dim.Render("n: change the choices")
	}
	r := m.plan.Rollout
	lines := []string{theme.Title.Render(fmt.Sprintf("Plan: %s → %s on %s (%s mode)",
		orPrevious(r.Previous.Tag), r.Label, r.ScaleSet, r.UpgradeMode)),
		fmt.Sprintf("batches of %s · halt above %d%% unhealthy · %s between batches · %s "+
			"to become healthy", r.Limits.BatchText(), r.Limits.MaxUnhealthy, r.Limits.Pause,
			r.Limits.HealthTimeout)}
	if note := r.ModeNote(); note != "" {
		lines = append(lines, theme.WarnLine.Render(note))
	}
	for _, f := range m.plan.Findings {
		tone := theme.Busy
		if f.Refuse {
			tone = theme.Bad
		}
		lines = append(lines, theme.State(tone, f.String()))
	}
	// The keys come before the diff: a long diff is cut at the bottom of the screen.
	if m.plan.Refused() {
		lines = append(lines, theme.ErrorLine.Render("refused: fix what is listed, "+
			"then n to plan again"))
	} else {
		lines = append(lines, theme.HelpKey.Render("enter")+" start (asks to confirm) · "+
			theme.HelpKey.Render("n")+" change the choices · "+theme.HelpKey.Render("esc")+
			" back")
	}
	lines = append(lines, "", "extension "+r.Next.Name+":")
	// Diff lines wrap: what changes is often at the end of a long command or link.
	wrap := lipgloss.NewStyle().Width(max(m.width, 20))
	for _, d := range m.plan.Diff {
		lines = append(lines, "  "+d.Field,
			wrap.Render(theme.ErrorLine.Render("    - "+azure.MaskSAS(d.Old))),
			wrap.Render(theme.OKLine.Render("    + "+azure.MaskSAS(d.New))))
	}
	return strings.Join(lines, "\n")
}

// runningView shows the rollout's state, counts, batches and the newest log lines.
func (m *Model) runningView() string {
	if m.record == nil {
		return theme.Dim.Render("no rollout recorded for " + m.name + "; --read-only " +
			"starts none")
	}
	r := m.record
	c := r.Counts
	lines := []string{
		theme.Title.Render(fmt.Sprintf("Rollout %s → %s", orPrevious(r.Previous.Tag),
			r.Label)) + " on " + r.ScaleSet + "  " + theme.State(stateTone(r.State), r.State),
		fmt.Sprintf("%d/%d on %s · %d healthy · %d unhealthy · %d evicted · %d installing",
			c.Updated, c.Total, r.CountedLabel(), c.Healthy, c.Unhealthy, c.Evicted, c.Pending),
	}
	if note := m.driverNote(); note != "" {
		lines = append(lines, note)
	}
	if r.Reason != "" {
		reason := lipgloss.NewStyle().Width(max(m.width, 20)).Render(
			theme.State(stateTone(r.State), r.Reason))
		lines = append(lines, strings.Split(reason, "\n")...)
	}
	if r.Rolling != nil {
		p := r.Rolling
		lines = append(lines, fmt.Sprintf("rolling upgrade %s: %d done, %d failed, %d in "+
			"progress, %d pending", p.Status, p.Successful, p.Failed, p.InProgress, p.Pending))
	}
	lines = append(lines, "")
	lines = append(lines, batchLines(r.Batches, max(m.height/3, 3))...)
	lines = append(lines, "")
	room := m.height - len(lines) - 2
	lines = append(lines, logLines(r.Log, room)...)
	return strings.Join(append(lines, m.keyLine()), "\n")
}

// driverNote says who drives the rollout when this console does not.
func (m *Model) driverNote() string {
	r := m.record
	if r.Finished() || r.Stopped() || m.deps.Driver.Holds(*r) {
		return ""
	}
	return theme.Dim.Render("driven by another process; P, X and B ask it")
}

// batchLines lists the newest batches, one line each, with each instance's state.
func batchLines(batches []azure.RolloutBatch, room int) []string {
	from := max(len(batches)-room, 0)
	var lines []string
	if from > 0 {
		lines = append(lines, theme.Dim.Render(fmt.Sprintf("… %d earlier batches", from)))
	}
	for _, b := range batches[from:] {
		parts := make([]string, 0, len(b.Instances))
		for _, in := range b.Instances {
			parts = append(parts, theme.State(instanceTone(in.State), "#"+in.ID+" "+in.State))
		}
		state := "running"
		if b.Finished != nil {
			state = "passed " + b.Finished.Local().Format("15:04:05")
		}
		lines = append(lines, fmt.Sprintf("batch %d · %s · %s", b.Index, state,
			strings.Join(parts, "  ")))
	}
	if len(batches) == 0 {
		lines = append(lines, theme.Dim.Render("no batch yet"))
	}
	return lines
}

// logLines returns the newest log lines that fit.
func logLines(log []azure.RolloutLogLine, room int) []string {
	room = max(room, 1)
	from := max(len(log)-room, 0)
	lines := make([]string, 0, room)
	for _, l := range log[from:] {
		lines = append(lines, theme.Dim.Render(l.At.Local().Format("15:04:05"))+"  "+
			azure.MaskSAS(l.Text))
	}
	return lines
}

// keyLine lists the keys that fit the rollout's state.
func (m *Model) keyLine() string {
	var parts []string
	for _, verb := range []string{"pause", "resume", "abort", "rollback"} {
		if m.allowed(verb) {
			k := verbKeys[verb].Help()
			parts = append(parts, theme.HelpKey.Render(k.Key)+" "+k.Desc)
		}
	}
	if m.record.Finished() && !m.deps.ReadOnly {
		parts = append(parts, theme.HelpKey.Render("n")+" new rollout")
	}
	parts = append(parts, theme.HelpKey.Render("esc")+" back (it goes on)")
	return strings.Join(parts, " · ")
}

func stateTone(state string) theme.Tone {
	switch state {
	case azure.RolloutDone, azure.RolloutRolledBack:
		return theme.Good
	case azure.RolloutHalted, azure.RolloutAborted:
		return theme.Bad
	}
	return theme.Busy
}

func instanceTone(state string) theme.Tone {
	switch state {
	case azure.InstanceHealthy:
		return theme.Good
	case azure.InstanceFailed, azure.InstanceUnhealthy:
		return theme.Bad
	case azure.InstanceEvicted:
		return theme.Info
	}
	return theme.Busy
}
