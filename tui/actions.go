package tui

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
	"spotdeck/tui/confirm"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
)

// defaultArmFor is how long the console stays armed: long enough for a fix, short enough
// that a console left open does not stay dangerous.
const defaultArmFor = 10 * time.Minute

// actionTimeout bounds one action; long-running operations on many instances take minutes.
const actionTimeout = 30 * time.Minute

// actedOnMemory is how long an instance this console deleted is not taken for evicted.
const actedOnMemory = 15 * time.Minute

type (
	// actionDoneMsg reports the end of an action.
	actionDoneMsg struct {
		action azure.Action
		result azure.ActionResult
		err    error
	}
	// flash is a one-line message in the status line, e.g. the end of a task.
	flash struct {
		text string
		bad  bool
		at   time.Time
	}
)

// changesAllowed tells whether this console may change anything at all.
func (m Model) changesAllowed() bool { return !m.opts.ReadOnly && m.opts.Actor != nil }

func (m Model) armed() bool { return m.opts.Wall().Before(m.armedUntil) }

func (m Model) toggleArm() Model {
	if m.armed() {
		m.armedUntil = time.Time{}
		m.flash = flash{text: "disarmed: the console is read-only again", at: m.opts.Wall()}
		return m
	}
	m.armedUntil = m.opts.Wall().Add(m.opts.ArmFor)
	m.flash = flash{text: fmt.Sprintf("armed for %s: changes ask for confirmation; a disarms",
		m.opts.ArmFor), at: m.opts.Wall()}
	return m
}

// changingKeys are the keys that start a change; marking instances is not one.
var changingKeys = []key.Binding{keys.Restart, keys.Reimage, keys.Delete, keys.Start,
	keys.Evict, keys.Scale, keys.MaxPrice}

// refuseUnarmed stops a changing key of the top screen while the console is not armed,
// before the screen asks for a capacity or a price that would then be refused.
func (m Model) refuseUnarmed(msg tea.KeyMsg) (Model, bool) {
	if !m.changesAllowed() || m.armed() {
		return m, false
	}
	for _, k := range changingKeys {
		if key.Matches(msg, k) && offers(m.top().Keys(), k) {
			m.flash = flash{text: "read-only: press a to arm changes for " +
				m.opts.ArmFor.String(), bad: true, at: m.opts.Wall()}
			return m, true
		}
	}
	return m, false
}

// offers tells whether a screen lists the key among its own.
func offers(bindings []key.Binding, k key.Binding) bool {
	for _, b := range bindings {
		if b.Help().Key == k.Help().Key {
			return true
		}
	}
	return false
}

// askToRun opens the confirmation of an action, when the console is armed.
func (m Model) askToRun(msg screen.ActionMsg) (tea.Model, tea.Cmd) {
	if !m.changesAllowed() {
		return m, nil
	}
	if !m.armed() {
		m.flash = flash{text: "read-only: press a to arm changes for " +
			m.opts.ArmFor.String(), bad: true, at: m.opts.Wall()}
		return m, nil
	}
	if err := msg.Action.Validate(); err != nil {
		m.flash = flash{text: err.Error(), bad: true, at: m.opts.Wall()}
		return m, nil
	}
	req := confirm.Request{
		Title:   actionTitle(msg.Action),
		Lines:   []string{msg.Action.DescribeGiven(msg.Capacity)},
		Payload: msg.Action,
	}
	if msg.Action.DestructiveGiven(msg.Capacity) {
		req.TypeToConfirm = msg.Action.ScaleSet
	}
	d := confirm.New(req)
	m.dialog = &d
	return m, nil
}

func actionTitle(a azure.Action) string {
	if a.IsInstanceAction() {
		return fmt.Sprintf("%s %d instance(s) of %s", a.Kind, len(a.InstanceIDs), a.ScaleSet)
	}
	return fmt.Sprintf("%s %s", a.Kind, a.ScaleSet)
}

// answered runs a confirmed action as a task, or drops a cancelled one.
func (m Model) answered(msg confirm.AnswerMsg) (tea.Model, tea.Cmd) {
	m.dialog = nil
	a, ok := msg.Payload.(azure.Action)
	if !ok || !msg.Confirmed {
		m.flash = flash{text: "cancelled: nothing was changed", at: m.opts.Wall()}
		return m, nil
	}
	m.pending = copyPending(m.pending)
	for _, k := range pendingKeys(a) {
		m.pending[k] = a.Kind
	}
	m.tasks++
	m.handPending()
	return m, tea.Batch(runActionCmd(m.opts, a), m.spinner.Tick)
}

func runActionCmd(opts Options, a azure.Action) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		res, err := opts.Actor.Run(ctx, a)
		if opts.Audit != nil {
			if aerr := opts.Audit(ctx, a, res, err); aerr != nil {
				slog.Error("audit record", "action", a.Kind, "err", aerr)
			}
		}
		return actionDoneMsg{action: a, result: res, err: err}
	}
}

// finished clears the rows of a finished action, says how it ended and reads the fleet.
func (m Model) finished(msg actionDoneMsg) (tea.Model, tea.Cmd) {
	m.tasks--
	m.pending = copyPending(m.pending)
	for _, k := range pendingKeys(msg.action) {
		delete(m.pending, k)
	}
	m.handPending()
	if msg.action.Kind == azure.ActionDelete {
		m.actedOn = copyActed(m.actedOn)
		for _, k := range pendingKeys(msg.action) {
			m.actedOn[k] = m.opts.Now()
		}
	}
	if msg.err != nil {
		m.flash = flash{text: "✗ " + actionTitle(msg.action) + ": " + msg.err.Error(),
			bad: true, at: m.opts.Wall()}
	} else {
		m.flash = flash{text: "✓ " + actionTitle(msg.action) + ": done", at: m.opts.Wall()}
	}
	if msg.err != nil {
		slog.Error("action failed", "action", msg.action.Kind, "scaleSet", msg.action.ScaleSet,
			"err", msg.err)
	}
	refreshed, cmd := m.refreshNow()
	if m.auditOpen() {
		cmd = tea.Batch(cmd, readAuditCmd(m.opts))
	}
	return refreshed, cmd
}

func pendingKeys(a azure.Action) []screen.PendingKey {
	if !a.IsInstanceAction() {
		return []screen.PendingKey{{ScaleSet: a.ScaleSet}}
	}
	keys := make([]screen.PendingKey, len(a.InstanceIDs))
	for i, id := range a.InstanceIDs {
		keys[i] = screen.PendingKey{ScaleSet: a.ScaleSet, ID: id}
	}
	return keys
}

// pendingSetter is a screen that shows operations in progress.
type pendingSetter interface {
	SetPending(map[screen.PendingKey]string)
}

func (m Model) handPending() {
	for _, s := range m.stack {
		if ps, ok := s.(pendingSetter); ok {
			ps.SetPending(m.pending)
		}
	}
}

// wasActedOn tells the event differ which instances this console removed itself.
func (m Model) wasActedOn(scaleSet, id string) bool {
	at, ok := m.actedOn[screen.PendingKey{ScaleSet: scaleSet, ID: id}]
	return ok && m.opts.Now().Sub(at) < actedOnMemory
}

// The maps are copied before a change because Model is a value: an older copy held by a
// running command must not see later edits.
func copyPending(p map[screen.PendingKey]string) map[screen.PendingKey]string {
	out := make(map[screen.PendingKey]string, len(p)+4)
	for k, v := range p {
		out[k] = v
	}
	return out
}

func copyActed(p map[screen.PendingKey]time.Time) map[screen.PendingKey]time.Time {
	out := make(map[screen.PendingKey]time.Time, len(p)+4)
	for k, v := range p {
		out[k] = v
	}
	return out
}

// armBadge is the header's word for the console's mode.
func (m Model) armBadge() string {
	switch {
	case !m.changesAllowed():
		return ""
	case m.armed():
		left := m.armedUntil.Sub(m.opts.Wall()).Round(time.Second)
		return fmt.Sprintf("⚡ ARMED %d:%02d", int(left.Minutes()), int(left.Seconds())%60)
	default:
		return "🔒 read-only"
	}
}

// taskLine is the status line while actions run.
func (m Model) taskLine() string {
	var ops []string
	for _, op := range m.pending {
		ops = append(ops, op)
	}
	return fmt.Sprintf("%s %d change(s) running: %s", m.spinner.View(), m.tasks,
		strings.Join(dedupe(ops), ", "))
}

func dedupe(words []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func newSpinner() spinner.Model {
	return spinner.New(spinner.WithSpinner(spinner.MiniDot))
}
