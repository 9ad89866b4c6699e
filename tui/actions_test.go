package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
)

// fakeActor records the actions it is asked to run; hold, when set, keeps Run waiting.
type fakeActor struct {
	mu      sync.Mutex
	ran     []azure.Action
	audited []azure.Action
	hold    chan struct{}
}

func (f *fakeActor) Run(_ context.Context, a azure.Action) (azure.ActionResult, error) {
	if f.hold != nil {
		<-f.hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ran = append(f.ran, a)
	return azure.ActionResult{Action: a, Done: a.InstanceIDs}, nil
}

func (f *fakeActor) audit(_ context.Context, a azure.Action, _ azure.ActionResult,
	_ error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audited = append(f.audited, a)
	return nil
}

func (f *fakeActor) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ran)
}

func armedConsole(t *testing.T, actor *fakeActor, readOnly bool) Model {
	t.Helper()
	m := New(Options{Reader: sampleReader(), Actor: actor, Audit: actor.audit,
		ReadOnly: readOnly, Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	return step(t, m, readFleetCmd(m.opts, m.gen)())
}

func typeText(t *testing.T, m Model, text string) Model {
	t.Helper()
	for _, r := range text {
		m = press(t, m, string(r))
	}
	return m
}

func TestNoChangeWhileReadOnly(t *testing.T) {
	actor := &fakeActor{}
	m := press(t, armedConsole(t, actor, true), "enter", "a", "R", "y", "D", "y")
	if actor.count() != 0 {
		t.Errorf("--read-only console ran %v", actor.ran)
	}
	help := press(t, m, "?").View()
	if strings.Contains(help, "restart") || strings.Contains(help, "arm") {
		t.Errorf("--read-only help lists changing keys:\n%s", help)
	}
}

func TestNoChangeUntilArmed(t *testing.T) {
	actor := &fakeActor{}
	m := press(t, armedConsole(t, actor, false), "enter", "R", "y")
	if actor.count() != 0 {
		t.Errorf("unarmed console ran %v", actor.ran)
	}
	if view := m.View(); !strings.Contains(view, "press a to arm") ||
		!strings.Contains(view, "🔒 read-only") {
		t.Errorf("unarmed console does not say how to arm:\n%s", view)
	}
}

func TestArmedRestartAsksThenRunsAndAudits(t *testing.T) {
	actor := &fakeActor{}
	m := press(t, armedConsole(t, actor, false), "a", "enter")
	if !strings.Contains(m.View(), "⚡ ARMED 10:00") {
		t.Errorf("header lacks the arming countdown:\n%s", m.View())
	}
	m = press(t, m, "R")
	if view := m.View(); !strings.Contains(view, "restart 1 instance(s) of vmss-func-win") ||
		!strings.Contains(view, "instance 0 of scale set vmss-func-win") {
		t.Fatalf("confirmation does not name the target:\n%s", view)
	}
	if actor.count() != 0 {
		t.Fatal("ran before the confirmation was answered")
	}
	m = press(t, m, "y")
	if actor.count() != 1 || actor.ran[0].Kind != azure.ActionRestart ||
		actor.ran[0].InstanceIDs[0] != "0" {
		t.Fatalf("ran %v, want restart of instance 0", actor.ran)
	}
	if len(actor.audited) != 1 {
		t.Errorf("audited %d actions, want 1", len(actor.audited))
	}
	if !strings.Contains(m.View(), "✓ restart 1 instance(s) of vmss-func-win: done") {
		t.Errorf("no end message:\n%s", m.View())
	}
}

func TestDestructiveActionNeedsTypedName(t *testing.T) {
	actor := &fakeActor{}
	m := press(t, armedConsole(t, actor, false), "a", "enter", " ", " ", "D")
	if !strings.Contains(m.View(), "Type vmss-func-win") {
		t.Fatalf("delete does not ask for the name:\n%s", m.View())
	}
	m = press(t, m, "y", "enter")
	m = typeText(t, m, "vmss-func-lin")
	m = press(t, m, "enter")
	if actor.count() != 0 {
		t.Fatalf("delete ran without the exact name: %v", actor.ran)
	}
	m = press(t, m, "esc")
	if !strings.Contains(m.View(), "cancelled") {
		t.Errorf("esc did not cancel:\n%s", m.View())
	}
	m = press(t, m, "D")
	m = typeText(t, m, "vmss-func-win")
	press(t, m, "enter")
	if actor.count() != 1 || strings.Join(actor.ran[0].InstanceIDs, ",") != "0,1" {
		t.Errorf("ran %v, want delete of marked instances 0,1", actor.ran)
	}
}

func TestScaleInNeedsNameScaleOutDoesNot(t *testing.T) {
	actor := &fakeActor{}
	m := press(t, armedConsole(t, actor, false), "a", "c")
	m = typeText(t, m, "5")
	m = press(t, m, "enter")
	if strings.Contains(m.View(), "Type vmss-func-win") {
		t.Errorf("scale out 3 → 5 asks for the name:\n%s", m.View())
	}
	m = press(t, m, "y")
	if actor.count() != 1 || *actor.ran[0].Capacity != 5 {
		t.Fatalf("ran %v, want scale to 5", actor.ran)
	}
	m = press(t, m, "c")
	m = typeText(t, m, "1")
	m = press(t, m, "enter")
	if !strings.Contains(m.View(), "Type vmss-func-win") {
		t.Errorf("scale in 3 → 1 does not ask for the name:\n%s", m.View())
	}
}

func TestPendingRowsShowOperation(t *testing.T) {
	actor := &fakeActor{hold: make(chan struct{})}
	m := press(t, armedConsole(t, actor, false), "a", "enter", "R", "y")
	if view := m.View(); !strings.Contains(view, "restart…") ||
		!strings.Contains(view, "1 change(s) running") {
		t.Errorf("running restart not shown on the row and status line:\n%s", view)
	}
	close(actor.hold)
}
