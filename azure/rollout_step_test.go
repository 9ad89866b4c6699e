package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func newTestEngine(f *fakeScaleSet) (*RolloutEngine, *clock, *memorySaver) {
	c := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	saver := &memorySaver{}
	return &RolloutEngine{Target: f, Saver: saver, Now: c.now}, c, saver
}

func TestRolloutManualBatches(t *testing.T) {
	tests := []struct {
		name        string
		instances   int
		limits      RolloutLimits
		evictAt     int // reading at which instance 4 is evicted; 0 for none
		wantBatches int
	}{
		{"batches of 30% of 10", 10, testLimits, 0, 4},
		{"eviction mid-rollout", 10, testLimits, 6, 4},
		{"batches of 4", 10, RolloutLimits{BatchSize: 4, MaxUnhealthy: 20,
			HealthTimeout: time.Minute}, 0, 3},
		{"pause between batches", 4, RolloutLimits{BatchSize: 2, MaxUnhealthy: 0,
			Pause: 5 * time.Second, HealthTimeout: time.Minute}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeScaleSet(tt.instances, "v7")
			if tt.evictAt > 0 {
				f.onList = func(f *fakeScaleSet, reading int) {
					if reading == tt.evictAt {
						f.evict("4")
					}
				}
			}
			e, c, saver := newTestEngine(f)
			r := drive(t, e, c, planFor(t, e, "v8", tt.limits), 200)
			if r.State != RolloutDone {
				t.Fatalf("state %s (%s), want done; log %v", r.State, r.Reason, r.Log)
			}
			if len(r.Batches) != tt.wantBatches {
				t.Errorf("%d batches, want %d", len(r.Batches), tt.wantBatches)
			}
			if len(f.applied) != 1 || f.applied[0].Tag != "v8" {
				t.Errorf("extension changes %+v, want one to v8", f.applied)
			}
			for id, n := range f.upgrades {
				if n != 1 {
					t.Errorf("instance %s upgraded %d times, want once", id, n)
				}
			}
			for _, in := range f.instances {
				if in.Power == PowerRunning && (in.Label != "v8" || in.Health != HealthHealthy) {
					t.Errorf("instance %s on %s, %s; want v8, healthy", in.ID, in.Label,
						in.Health)
				}
			}
			if len(saver.saved) == 0 || saver.saved[len(saver.saved)-1].State != RolloutDone {
				t.Errorf("the final record was not saved")
			}
		})
	}
}

func TestRolloutHaltsOnFailingBundle(t *testing.T) {
	tests := []struct {
		label      string
		wantReason string
	}{
		{"v8-fail-install", "3 of 10 instances unhealthy or failed"},
		{"v8-never-healthy", "3 of 10 instances unhealthy or failed"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			f := newFakeScaleSet(10, "v7")
			e, c, _ := newTestEngine(f)
			r := drive(t, e, c, planFor(t, e, tt.label, testLimits), 100)
			if r.State != RolloutHalted || len(r.Batches) != 1 {
				t.Fatalf("state %s after %d batches, want halted at the first", r.State,
					len(r.Batches))
			}
			if !strings.Contains(r.Reason, tt.wantReason) {
				t.Errorf("reason %q, want it to say %q", r.Reason, tt.wantReason)
			}
			r, err := e.Rollback(context.Background(), r, "tester")
			if err != nil {
				t.Fatalf("rollback: %v", err)
			}
			r = drive(t, e, c, r, 100)
			if r.State != RolloutRolledBack {
				t.Fatalf("state %s (%s), want rolled-back", r.State, r.Reason)
			}
			if f.script.Tag != "v7" || !strings.Contains(f.script.Settings.CommandToExecute, "v7") {
				t.Errorf("model tag %s after rollback, want v7", f.script.Tag)
			}
			for _, in := range f.instances {
				if in.Label != "v7" || in.Extension.State != "succeeded" {
					t.Errorf("instance %s on %s (%s), want v7 succeeded", in.ID, in.Label,
						in.Extension.State)
				}
				// Only the first batch was touched: the rollback leaves the rest alone.
				touched := containsString(r.Touched, in.ID)
				if want := map[bool]int{true: 2, false: 0}[touched]; f.upgrades[in.ID] != want {
					t.Errorf("instance %s (touched %v) upgraded %d times, want %d", in.ID,
						touched, f.upgrades[in.ID], want)
				}
			}
		})
	}
}

// TestRolloutResumesAfterCrash stops driving at each step in turn, reloads the last saved
// record as a new process would, and finishes: nothing is applied twice and the tag stays.
func TestRolloutResumesAfterCrash(t *testing.T) {
	for crashAfter := 1; crashAfter <= 12; crashAfter++ {
		t.Run(fmt.Sprintf("after step %d", crashAfter),
			func(t *testing.T) {
				f := newFakeScaleSet(10, "v7")
				e, c, saver := newTestEngine(f)
				drive(t, e, c, planFor(t, e, "v8", testLimits), crashAfter)
				data, err := json.Marshal(saver.saved[len(saver.saved)-1])
				if err != nil {
					t.Fatal(err)
				}
				var reloaded Rollout
				if err := json.Unmarshal(data, &reloaded); err != nil {
					t.Fatal(err)
				}
				fresh := &RolloutEngine{Target: f, Saver: saver, Now: c.now}
				r := drive(t, fresh, c, reloaded, 200)
				if r.State != RolloutDone || r.Next.Tag != "v8" {
					t.Fatalf("state %s tag %s, want done on v8", r.State, r.Next.Tag)
				}
				if len(f.applied) != 1 {
					t.Errorf("%d extension changes, want 1", len(f.applied))
				}
				for id, n := range f.upgrades {
					if n != 1 {
						t.Errorf("instance %s upgraded %d times, want once", id, n)
					}
				}
			})
	}
}

func TestRolloutModeRollingAndAutomatic(t *testing.T) {
	for _, mode := range []string{"rolling", "automatic"} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeScaleSet(5, "v7")
			f.mode = mode
			e, c, _ := newTestEngine(f)
			r := planFor(t, e, "v8", testLimits)
			if mode == "automatic" {
				// Azure upgrades every instance by itself in automatic mode.
				f.onList = func(f *fakeScaleSet, _ int) {
					for _, in := range f.instances {
						f.upgrade(in)
					}
				}
			}
			r = drive(t, e, c, r, 50)
			if r.State != RolloutDone || len(r.Batches) != 0 {
				t.Fatalf("state %s with %d batches, want done without batches (%s)",
					r.State, len(r.Batches), r.Reason)
			}
			if r.Counts.Healthy != 5 {
				t.Errorf("%d healthy, want 5", r.Counts.Healthy)
			}
		})
	}
}

func TestRolloutOperations(t *testing.T) {
	tests := []struct {
		name    string
		from    string
		op      func(*RolloutEngine, Rollout) (Rollout, error)
		want    string
		wantErr bool
	}{
		{"pause a running rollout", RolloutChecking, pauseOp, RolloutPaused, false},
		{"pause a halted one", RolloutHalted, pauseOp, RolloutHalted, true},
		{"resume a paused one", RolloutPaused, resumeOp, RolloutChecking, false},
		{"resume a halted one", RolloutHalted, resumeOp, RolloutChecking, false},
		{"resume a done one", RolloutDone, resumeOp, RolloutDone, true},
		{"abort a halted one", RolloutHalted, abortOp, RolloutAborted, false},
		{"abort a done one", RolloutDone, abortOp, RolloutDone, true},
		{"roll back a paused one", RolloutPaused, rollbackOp, RolloutRollingBack, false},
		{"roll back twice", RolloutRollingBack, rollbackOp, RolloutRollingBack, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeScaleSet(3, "v7")
			e, _, _ := newTestEngine(f)
			r := planFor(t, e, "v8", testLimits)
			r.State, r.PausedFrom = tt.from, RolloutChecking
			r.Batches = []RolloutBatch{{Index: 1}}
			got, err := tt.op(e, r)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if got.State != tt.want {
				t.Errorf("state %s, want %s", got.State, tt.want)
			}
		})
	}
}

func pauseOp(e *RolloutEngine, r Rollout) (Rollout, error) {
	return e.Pause(context.Background(), r, "op")
}

func resumeOp(e *RolloutEngine, r Rollout) (Rollout, error) {
	return e.Resume(context.Background(), r, "op")
}

func abortOp(e *RolloutEngine, r Rollout) (Rollout, error) {
	return e.Abort(context.Background(), r, "op")
}

func rollbackOp(e *RolloutEngine, r Rollout) (Rollout, error) {
	return e.Rollback(context.Background(), r, "op")
}

func TestGateReason(t *testing.T) {
	bad := Instance{Power: PowerRunning, Provisioning: "succeeded", LatestModel: toPtr(true),
		Extension: ExtensionStatus{State: "failed"}}
	good := Instance{Power: PowerRunning, Provisioning: "succeeded", LatestModel: toPtr(true),
		Extension: ExtensionStatus{State: "succeeded"}, Health: HealthHealthy}
	gone := Instance{Power: PowerDeallocated}
	fleet := func(nBad, nGood, nGone int) []Instance {
		var out []Instance
		for i := 0; i < nBad+nGood+nGone; i++ {
			in := good
			switch {
			case i < nBad:
				in = bad
			case i >= nBad+nGood:
				in = gone
			}
			in.ID = string(rune('a' + i))
			out = append(out, in)
		}
		return out
	}
	tests := []struct {
		name              string
		bad, good, gone   int
		limit             int
		accepted          []string
		wantHalt          bool
		wantReasonContain string
	}{
		{"all healthy", 0, 10, 0, 20, nil, false, ""},
		{"at the limit", 2, 8, 0, 20, nil, false, ""},
		{"above the limit", 3, 7, 0, 20, nil, true, "3 of 10 instances"},
		{"evicted do not count", 2, 6, 5, 20, nil, true, "2 of 8 instances"},
		{"accepted do not count", 3, 7, 0, 20, []string{"a"}, false, ""},
		{"zero tolerance", 1, 9, 0, 0, nil, true, "1 of 10"},
		{"only evicted", 0, 0, 4, 0, nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Rollout{HasHealth: true, Accepted: tt.accepted,
				Limits: RolloutLimits{MaxUnhealthy: tt.limit}}
			reason := gateReason(r, fleet(tt.bad, tt.good, tt.gone))
			if (reason != "") != tt.wantHalt || !strings.Contains(reason, tt.wantReasonContain) {
				t.Errorf("reason %q, want halt %v containing %q", reason, tt.wantHalt,
					tt.wantReasonContain)
			}
		})
	}
}

func TestRolloutWithoutHealthExtension(t *testing.T) {
	f := newFakeScaleSet(4, "v7")
	f.health = false
	for _, in := range f.instances {
		in.Health = HealthNotReported
	}
	e, c, _ := newTestEngine(f)
	r := drive(t, e, c, planFor(t, e, "v8", testLimits), 100)
	if r.State != RolloutDone || r.HasHealth {
		t.Fatalf("state %s, has health %v; want done on script status alone", r.State,
			r.HasHealth)
	}
}

func TestRolloutHealthTimeoutHalts(t *testing.T) {
	f := newFakeScaleSet(4, "v7")
	// The instances never finish installing: each reading finds them still running it.
	f.onList = func(f *fakeScaleSet, _ int) {
		for _, in := range f.instances {
			if in.installing {
				in.installing = false
				in.Extension.State = "transitioning"
			}
		}
	}
	e, c, _ := newTestEngine(f)
	limits := RolloutLimits{BatchSize: 2, MaxUnhealthy: 50, HealthTimeout: 10 * time.Second}
	r := drive(t, e, c, planFor(t, e, "v8", limits), 100)
	if r.State != RolloutHalted || !strings.Contains(r.Reason, "not healthy within 10s") {
		t.Fatalf("state %s reason %q, want halted on the health timeout", r.State, r.Reason)
	}
}
