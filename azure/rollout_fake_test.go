package azure

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"spotdeck/bundle"
)

// fakeScaleSet is an in-memory scale set that behaves like Azure for a rollout: a model
// change marks every instance behind; a manual upgrade applies the model and reruns the
// script, which ends on the next reading. A label holding "fail-install" fails the script;
// "never-healthy" installs but never answers health probes.
type fakeScaleSet struct {
	mu        sync.Mutex
	mode      string
	health    bool
	script    ScriptExtension
	instances []*fakeInstance
	applied   []ScriptExtension
	upgrades  map[string]int
	rolling   RollingProgress
	// onList, when set, runs before each reading: tests evict instances through it.
	onList func(f *fakeScaleSet, reading int)
	lists  int
}

type fakeInstance struct {
	Instance
	installing bool
}

func newFakeScaleSet(n int, tag string) *fakeScaleSet {
	f := &fakeScaleSet{mode: "manual", health: true, upgrades: map[string]int{},
		script: ScriptExtension{Name: "deploy", Tag: tag, Settings: ScriptSettings{
			FileURIs:         []string{"https://acct.blob.core.windows.net/c/" + tag + "/a"},
			CommandToExecute: "env SPOTDECK_LABEL=" + tag + " bash install.sh"}}}
	for i := 0; i < n; i++ {
		in := Instance{ID: strconv.Itoa(i), Power: PowerRunning, Provisioning: "succeeded",
			LatestModel: toPtr(true), Health: HealthHealthy, Label: tag,
			Extension: ExtensionStatus{State: "succeeded"}}
		f.instances = append(f.instances, &fakeInstance{Instance: in})
	}
	return f
}

func (f *fakeScaleSet) ReadScriptModel(_ context.Context, _, name string) (ScriptModel,
	error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ext := f.script
	return ScriptModel{ScaleSet: ScaleSet{Name: name, UpgradeMode: f.mode, OSType: "linux",
		HasCustomScript: true, HasHealthExtension: f.health, Label: ext.Tag},
		Script: &ext}, nil
}

func (f *fakeScaleSet) ListInstances(_ context.Context, _, _ string) ([]Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.onList != nil {
		f.onList(f, f.lists)
	}
	out := make([]Instance, 0, len(f.instances))
	for _, in := range f.instances {
		out = append(out, in.Instance)
		f.finishInstall(in)
	}
	return out, nil
}

// finishInstall ends a script run after it has been read once as running.
func (f *fakeScaleSet) finishInstall(in *fakeInstance) {
	if !in.installing {
		return
	}
	in.installing = false
	in.Provisioning = "succeeded"
	switch {
	case strings.Contains(in.Label, "fail-install"):
		in.Extension.State, in.Extension.Message = "failed", "install.sh exited 1"
		in.Health = HealthUnhealthy
	case strings.Contains(in.Label, "never-healthy"):
		in.Extension.State, in.Health = "succeeded", HealthUnhealthy
	default:
		in.Extension.State, in.Health = "succeeded", HealthHealthy
	}
}

func (f *fakeScaleSet) ApplyScript(_ context.Context, _, _ string, ext ScriptExtension) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = ext
	f.applied = append(f.applied, ext)
	for _, in := range f.instances {
		in.LatestModel = toPtr(false)
	}
	return nil
}

func (f *fakeScaleSet) UpgradeInstances(_ context.Context, _, _ string, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		in := f.find(id)
		if in == nil {
			return fmt.Errorf("no instance %s", id)
		}
		f.upgrades[id]++
		f.upgrade(in)
	}
	return nil
}

func (f *fakeScaleSet) upgrade(in *fakeInstance) {
	in.LatestModel = toPtr(true)
	if in.Label == f.script.Tag {
		return
	}
	in.Label = f.script.Tag
	if in.Power != PowerRunning {
		return
	}
	in.installing = true
	in.Provisioning = "updating"
	in.Extension.State, in.Health = "transitioning", HealthInitializing
}

func (f *fakeScaleSet) StartExtensionUpgrade(_ context.Context, _, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.instances {
		f.upgrade(in)
	}
	f.rolling = RollingProgress{Status: "rollingforward", Pending: len(f.instances)}
	return nil
}

func (f *fakeScaleSet) LatestRollingUpgrade(_ context.Context, _, _ string) (RollingProgress,
	error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	progress := f.rolling
	f.rolling = RollingProgress{Status: "completed", Successful: len(f.instances)}
	return progress, nil
}

func (f *fakeScaleSet) find(id string) *fakeInstance {
	for _, in := range f.instances {
		if in.ID == id {
			return in
		}
	}
	return nil
}

// evict deallocates an instance as a Spot eviction does. The caller holds f.mu.
func (f *fakeScaleSet) evict(id string) {
	if in := f.find(id); in != nil {
		in.Power, in.Health, in.installing = PowerDeallocated, "", false
	}
}

// fakeBundles is an uploaded bundle per label.
type fakeBundles struct {
	labels map[string]bool
	expiry time.Time
}

func (b fakeBundles) ReadManifest(_ context.Context, label string) (bundle.Manifest, error) {
	if !b.labels[label] {
		return bundle.Manifest{}, fmt.Errorf("bundle %s has no manifest in container c", label)
	}
	return bundle.Manifest{Label: label, OS: "linux", InstallScript: "install.sh",
		Files: []bundle.File{{Name: "app.zip"}, {Name: "install.sh"}}}, nil
}

func (b fakeBundles) FileLinks(_ context.Context, label string, names []string, _ string,
	_ time.Duration) ([]string, time.Time, error) {
	var links []string
	for _, n := range names {
		link := "https://acct.blob.core.windows.net/c/" + label + "/" + n
		if !b.expiry.IsZero() {
			link += "?se=" + b.expiry.UTC().Format(time.RFC3339) + "&sp=r&sig=SECRETSIG"
		}
		links = append(links, link)
	}
	return links, b.expiry, nil
}

// memorySaver keeps the saved records, as JSON would round-trip them.
type memorySaver struct{ saved []Rollout }

func (m *memorySaver) Save(_ context.Context, r Rollout) error {
	m.saved = append(m.saved, r)
	return nil
}

// clock is a settable time for the engine.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// planFor plans a rollout of label to the fake, failing the test on refusals.
func planFor(t *testing.T, e *RolloutEngine, label string, limits RolloutLimits) Rollout {
	t.Helper()
	bundles := fakeBundles{labels: map[string]bool{label: true}}
	r, _, findings, err := e.Plan(context.Background(), bundles, PlanInput{
		ResourceGroup: "rg", ScaleSet: "vmss", Label: label, Container: "c", Limits: limits,
		Who: "tester"})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if Refused(findings) {
		t.Fatalf("plan refused: %v", findings)
	}
	return r
}

// drive steps the rollout until it stops, advancing the clock a second per step.
func drive(t *testing.T, e *RolloutEngine, c *clock, r Rollout, limit int) Rollout {
	t.Helper()
	var err error
	for i := 0; i < limit && !r.Stopped(); i++ {
		r, err = e.Step(context.Background(), r)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		c.t = c.t.Add(time.Second)
	}
	return r
}

var testLimits = RolloutLimits{BatchPercent: 30, MaxUnhealthy: 20, HealthTimeout: time.Minute}
