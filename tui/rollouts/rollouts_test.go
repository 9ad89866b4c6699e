package rollouts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"spotdeck/azure"
)

// heldDriver answers Holds as told; the screen's tests call nothing else of it.
type heldDriver struct {
	Driver
	held bool
}

func (d heldDriver) Holds(azure.Rollout) bool                            { return d.held }
func (d heldDriver) Container() string                                   { return "bundles" }
func (d heldDriver) Labels(context.Context) ([]azure.BundleLabel, error) { return nil, nil }

func TestFormLimits(t *testing.T) {
	tests := []struct {
		name string
		in   formValues
		want azure.RolloutLimits
	}{
		{"share", formValues{batch: "30%", maxUnhealthy: "20%", pause: "0s", timeout: "10m"},
			azure.RolloutLimits{BatchPercent: 30, MaxUnhealthy: 20,
				HealthTimeout: 10 * time.Minute}},
		{"count", formValues{batch: " 3 ", maxUnhealthy: "0%", pause: "30s", timeout: "5m"},
			azure.RolloutLimits{BatchSize: 3, Pause: 30 * time.Second,
				HealthTimeout: 5 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.limits(); got != tt.want {
				t.Errorf("limits %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestShareRefusesBadValues(t *testing.T) {
	for _, text := range []string{"", "150%", "-1%", "abc", "0", "2.5"} {
		if _, _, err := share(text, true); err == nil {
			t.Errorf("share(%q) accepted", text)
		}
	}
	if _, _, err := share("3", false); err == nil {
		t.Error("a count was accepted where only a share is")
	}
}

func TestOperationsFitTheState(t *testing.T) {
	tests := []struct {
		state string
		held  bool
		want  map[string]bool
	}{
		{azure.RolloutChecking, true, map[string]bool{"pause": true, "resume": false,
			"abort": true, "rollback": true}},
		{azure.RolloutHalted, false, map[string]bool{"pause": false, "resume": true,
			"abort": true, "rollback": true}},
		{azure.RolloutDone, false, map[string]bool{"pause": false, "resume": false,
			"abort": false, "rollback": true}},
		{azure.RolloutRolledBack, false, map[string]bool{"pause": false, "resume": false,
			"abort": false, "rollback": false}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			m := New(Deps{Driver: heldDriver{held: tt.held}}, "rg", "vmss-a", "")
			m.record = &azure.Rollout{State: tt.state}
			for verb, want := range tt.want {
				if got := m.allowed(verb); got != want {
					t.Errorf("%s allowed %v, want %v", verb, got, want)
				}
			}
		})
	}
}

// TestRunningViewFits draws a halted rollout at 80×24: the reason wraps whole and the
// keys stay on screen.
func TestRunningViewFits(t *testing.T) {
	m := New(Deps{Driver: heldDriver{}}, "rg", "vmss-func-win", "")
	m.SetSize(80, 22)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	r := azure.Rollout{ScaleSet: "vmss-func-win", Label: "v9", State: azure.RolloutHalted,
		Previous: azure.ScriptExtension{Tag: "v8"},
		Reason: "3 of 10 instances unhealthy or failed (30%), above the limit of 20%: " +
			"instances 0, 1, 2; resume to go on past them, rollback to restore v8",
		Counts: azure.RolloutCount{Total: 10, Updated: 3, Unhealthy: 3}}
	r.Batches = []azure.RolloutBatch{{Index: 1, Instances: []azure.RolloutInstance{
		{ID: "0", State: azure.InstanceFailed}, {ID: "1", State: azure.InstanceFailed}}}}
	for i := 0; i < 40; i++ {
		r.Log = append(r.Log, azure.RolloutLogLine{At: now, Text: "a step"})
	}
	m.record, m.stage = &r, stageRunning
	view := m.View()
	lines := strings.Split(view, "\n")
	if len(lines) > 22 {
		t.Errorf("%d lines, want at most 22:\n%s", len(lines), view)
	}
	for _, line := range lines {
		if w := ansi.StringWidth(line); w > 80 {
			t.Errorf("a line of %d columns: %q", w, line)
		}
	}
	plain := ansi.Strip(view)
	for _, want := range []string{"restore v8", "#0 failed", "C resume", "B roll back",
		"esc back"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the view lacks %q:\n%s", want, plain)
		}
	}
}

func TestReadOnlyChangesNothing(t *testing.T) {
	m := New(Deps{Driver: heldDriver{held: true}, ReadOnly: true}, "rg", "vmss-a", "")
	m.record, m.stage = &azure.Rollout{State: azure.RolloutHalted}, stageRunning
	for _, verb := range []string{"pause", "resume", "abort", "rollback"} {
		if m.allowed(verb) {
			t.Errorf("%s allowed under --read-only", verb)
		}
	}
	if cmd := m.loaded(loadedMsg{}); cmd != nil || m.form != nil {
		t.Error("--read-only opened the form of a new rollout")
	}
}
