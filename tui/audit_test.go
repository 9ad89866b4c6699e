package tui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/audit"
	"spotdeck/azure"
)

// TestActionsReachTheAuditScreen records the console's change in a real audit log and
// shows it on the audit screen (A), which reads the log again after each change.
func TestActionsReachTheAuditScreen(t *testing.T) {
	log, err := audit.Open(filepath.Join(t.TempDir(), audit.FileName), nil)
	if err != nil {
		t.Fatal(err)
	}
	record := func(ctx context.Context, a azure.Action, _ azure.ActionResult, err error) error {
		r := audit.NewRecord("alice@contoso.com", a.Kind, a.Targets(), a.Params())
		r.Result = audit.Outcome(err)
		return log.Append(ctx, r)
	}
	actor := &fakeActor{}
	m := New(Options{Reader: sampleReader(), Actor: actor, Audit: record, AuditLog: log.Read,
		Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())

	m = press(t, m, "A")
	if view := m.View(); !strings.Contains(view, "▸ audit log") ||
		!strings.Contains(view, "No changes in the last 24 hours") ||
		!strings.Contains(view, "a arm ·") {
		t.Fatalf("empty audit screen:\n%s", view)
	}
	m = press(t, m, "esc", "a", "enter", "R", "y", "A")
	view := m.View()
	for _, want := range []string{"alice@contoso", "restart", "vmss-func-win/0", "ok",
		"1 changes in the last 24 h"} {
		if !strings.Contains(view, want) {
			t.Errorf("audit screen lacks %q:\n%s", want, view)
		}
	}
}

func TestAuditKeyOnlyWithALog(t *testing.T) {
	m := press(t, armedConsole(t, &fakeActor{}, false), "A")
	if strings.Contains(m.View(), "audit log") {
		t.Errorf("a console without an audit log opened the audit screen:\n%s", m.View())
	}
}
