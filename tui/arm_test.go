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
