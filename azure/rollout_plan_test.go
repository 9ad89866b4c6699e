package azure

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRolloutPlanFindings(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		label      string
		expiry     time.Time
		health     bool
		unhealthy  int
		wantRefuse bool
		want       string
	}{
		{"clean", "v8", time.Time{}, true, 0, false, ""},
		{"manifest missing", "v9", time.Time{}, true, 0, true, "has no manifest"},
		{"link expired", "v8", now.Add(-time.Hour), true, 0, true, "expired"},
		{"link expires soon", "v8", now.Add(48 * time.Hour), true, 0, false, "expires on"},
		{"no health extension", "v8", time.Time{}, false, 0, false, "no health extension"},
		{"already unhealthy", "v8", time.Time{}, true, 3, true, "would halt at once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeScaleSet(10, "v7")
			f.health = tt.health
			for i := 0; i < tt.unhealthy; i++ {
				f.instances[i].Extension.State = "failed"
			}
			e := &RolloutEngine{Target: f, Now: func() time.Time { return now }}
			bundles := fakeBundles{labels: map[string]bool{"v8": true}, expiry: tt.expiry}
			_, diff, findings, err := e.Plan(context.Background(), bundles, PlanInput{
				ResourceGroup: "rg", ScaleSet: "vmss", Label: tt.label, Container: "c",
				Limits: testLimits})
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			if Refused(findings) != tt.wantRefuse {
				t.Errorf("refused %v, want %v: %v", Refused(findings), tt.wantRefuse, findings)
			}
			text := ""
			for _, f := range findings {
				text += f.String() + "\n"
			}
			if tt.want != "" && !strings.Contains(text, tt.want) {
				t.Errorf("findings %q, want one saying %q", text, tt.want)
			}
			for _, line := range diff {
				if strings.Contains(line.New+line.Old, "SECRETSIG") {
					t.Errorf("diff line %+v shows a SAS signature", line)
				}
			}
		})
	}
}

func TestRolloutPlanDiff(t *testing.T) {
	f := newFakeScaleSet(2, "v7")
	f.script.HasProtectedSettings = true
	e := &RolloutEngine{Target: f}
	bundles := fakeBundles{labels: map[string]bool{"v8": true},
		expiry: time.Now().Add(30 * 24 * time.Hour)}
	r, diff, _, err := e.Plan(context.Background(), bundles, PlanInput{ResourceGroup: "rg",
		ScaleSet: "vmss", Label: "v8", Container: "c", Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]DiffLine{}
	for _, line := range diff {
		fields[line.Field] = line
	}
	if got := fields["forceUpdateTag"]; got.Old != "v7" || got.New != "v8" {
		t.Errorf("tag change %+v, want v7 → v8", got)
	}
	if got := fields["commandToExecute"].New; got != "env SPOTDECK_LABEL=v8 bash install.sh" {
		t.Errorf("command %q", got)
	}
	if got := fields["fileUris[1]"].New; !strings.Contains(got, "sig=REDACTED") {
		t.Errorf("link %q, want its signature masked", got)
	}
	if _, ok := fields["protectedSettings"]; !ok {
		t.Errorf("diff %+v does not say protected settings are kept", diff)
	}
	if !strings.Contains(r.Next.Settings.FileURIs[0], "sig=SECRETSIG") {
		t.Errorf("the record must keep the real link for the update")
	}
}

func TestPlanInputCheck(t *testing.T) {
	base := PlanInput{ResourceGroup: "rg", ScaleSet: "vmss", Label: "v8", Limits: testLimits}
	tests := []struct {
		name   string
		change func(*PlanInput)
		want   string
	}{
		{"no scale set", func(p *PlanInput) { p.ScaleSet = "" }, "--scale-set"},
		{"no label", func(p *PlanInput) { p.Label = "" }, "--bundle"},
		{"batch over 100%", func(p *PlanInput) { p.Limits.BatchPercent = 120 }, "--batch"},
		{"bad max unhealthy", func(p *PlanInput) { p.Limits.MaxUnhealthy = -1 },
			"--max-unhealthy"},
		{"no timeout", func(p *PlanInput) { p.Limits.HealthTimeout = 0 }, "--health-timeout"},
		{"slash in name", func(p *PlanInput) { p.ScaleSet = "a/b" }, `"a/b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			tt.change(&in)
			err := in.check()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
}
