package tui

import (
	"strings"
	"testing"
)

// TestUnarmedScaleKeyAsksForNothing checks that, read-only, the scale key says how to arm
// instead of asking for a capacity that would then be refused.
func TestUnarmedScaleKeyAsksForNothing(t *testing.T) {
	actor := &fakeActor{}
	m := press(t, armedConsole(t, actor, false), "c")
	view := m.View()
	if strings.Contains(view, "new capacity") || !strings.Contains(view, "press a to arm") {
		t.Errorf("unarmed scale key:\n%s", view)
	}
	m = press(t, m, "a", "c")
	if !strings.Contains(m.View(), "new capacity of vmss-func-win") {
		t.Errorf("armed scale key does not ask for the capacity:\n%s", m.View())
	}
	if actor.count() != 0 {
		t.Errorf("ran %v", actor.ran)
	}
}

func TestScaleShowsOnTheScaleSetRowWhileItRuns(t *testing.T) {
	actor := &fakeActor{hold: make(chan struct{})}
	defer close(actor.hold)
	m := press(t, armedConsole(t, actor, false), "a", "c", "4", "enter", "y")
	if view := m.View(); !strings.Contains(view, "◐ scale… vmss-func-win") ||
		!strings.Contains(view, "1 change(s) running: scale") {
		t.Errorf("running scale not shown on the scale set's row:\n%s", view)
	}
}
