package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"spotdeck/azure"
	"spotdeck/azure/storagetest"
)

// rolloutScaleSet is the Manual-mode Windows scale set the end-to-end rollouts target.
const rolloutScaleSet = "vmss-func-win"

// rolloutRig is `spotdeck sim` as a process, Azurite, and one operator's environment, so
// that every command of a test sees the same state folder and storage.
type rolloutRig struct {
	t         *testing.T
	env       []string
	global    []string
	container string
}

// newRolloutRig starts the simulator at the given speed with ten instances in the scale
// set the rollouts target.
func newRolloutRig(t *testing.T, speed string) *rolloutRig {
	conn := storagetest.ConnectionString(t)
	endpoint, sub := startSim(t, speed, "--instances", rolloutScaleSet+"=10")
	return &rolloutRig{t: t,
		env:       append(isolatedEnv(t), connStringEnv+"="+conn),
		global:    []string{"--arm-endpoint", endpoint, "--subscription", sub},
		container: fmt.Sprintf("rollout-%d", time.Now().UnixNano()),
	}
}

// command returns spotdeck with the rig's environment and the Resource Manager flags.
func (rig *rolloutRig) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, append(args, rig.global...)...)
	cmd.Env = rig.env
	return cmd
}

// run runs spotdeck to completion and returns its output and exit code.
func (rig *rolloutRig) run(args ...string) (string, int) {
	rig.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := rig.command(ctx, args...).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		rig.t.Fatalf("spotdeck %v: %v", args, err)
	}
	assertNoSecrets(rig.t, string(out))
	if exit != nil {
		return string(out), exit.ExitCode()
	}
	return string(out), 0
}

// publish builds a bundle of the given label for Windows and uploads it.
func (rig *rolloutRig) publish(label string) {
	rig.t.Helper()
	out := rig.t.TempDir()
	args := append([]string{"bundle", "build", "--out", out, "--label", label},
		bundleInputsDir(rig.t, "", nil)...)
	if text, code := rig.run(append(args, "--os", "windows")...); code != exitOK {
		rig.t.Fatalf("build %s: exit %d\n%s", label, code, text)
	}
	if text, code := rig.run("bundle", "upload", out+"/"+label, "--container",
		rig.container, "--sas"); code != exitOK {
		rig.t.Fatalf("upload %s: exit %d\n%s", label, code, text)
	}
}

// startInBackground starts `rollout start` of label as a process of its own, waits until
// its first batch is in the record, and returns the process and its output so far.
func (rig *rolloutRig) startInBackground(label string) (*exec.Cmd, *strings.Builder) {
	rig.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	rig.t.Cleanup(cancel)
	start := rig.command(ctx, rig.startArgs(label)...)
	output := &strings.Builder{}
	start.Stdout, start.Stderr = output, output
	if err := start.Start(); err != nil {
		rig.t.Fatal(err)
	}
	rig.waitRecord("a first batch", func(r azure.Rollout) bool { return len(r.Batches) >= 1 })
	return start, output
}

// startArgs are the arguments of a rollout start of label in batches of 30%.
func (rig *rolloutRig) startArgs(label string) []string {
	return []string{"rollout", "start", "--scale-set", rolloutScaleSet, "--bundle", label,
		"--container", rig.container, "--batch", "30%", "--pause", "0s", "--sas", "--yes",
		"--health-timeout", "10m", "--poll", "500ms"}
}

// record reads the scale set's rollout record as `rollout status -o json` prints it.
func (rig *rolloutRig) record() azure.Rollout {
	rig.t.Helper()
	r, text, ok := rig.tryRecord()
	if !ok {
		rig.t.Fatalf("rollout status:\n%s", text)
	}
	return r
}

// tryRecord reads the record; ok is false, with the output, when there is none yet.
func (rig *rolloutRig) tryRecord() (r azure.Rollout, text string, ok bool) {
	rig.t.Helper()
	text, code := rig.run("rollout", "status", "--scale-set", rolloutScaleSet, "--container",
		rig.container, "-o", "json")
	return r, text, code == exitOK && json.Unmarshal([]byte(text), &r) == nil
}

// waitRecord polls the record until ok accepts it.
func (rig *rolloutRig) waitRecord(what string, ok func(azure.Rollout) bool) azure.Rollout {
	rig.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, text, found := rig.tryRecord()
		if found && ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			rig.t.Fatalf("no %s within 2m; the record:\n%s", what, text)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// fleet reads the scale set as `status -o json` prints it.
func (rig *rolloutRig) fleet() statusScaleSet {
	rig.t.Helper()
	text, code := rig.run("status", "-o", "json", "--container", rig.container)
	var doc statusDoc
	if code != exitOK || json.Unmarshal([]byte(text), &doc) != nil {
		rig.t.Fatalf("status: exit %d\n%s", code, text)
	}
	for _, s := range doc.ScaleSets {
		if s.Name == rolloutScaleSet {
			return s
		}
	}
	rig.t.Fatalf("status shows no %s:\n%s", rolloutScaleSet, text)
	return statusScaleSet{}
}

// waitFleetOn waits until every instance runs label and is healthy, and returns the fleet.
func (rig *rolloutRig) waitFleetOn(label string) statusScaleSet {
	rig.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s := rig.fleet()
		off := instancesOff(s, label)
		if len(off) == 0 {
			return s
		}
		if time.Now().After(deadline) {
			rig.t.Fatalf("instances not on %s and healthy: %s", label, strings.Join(off, "; "))
		}
		time.Sleep(time.Second)
	}
}

// instancesOff describes the instances that do not run label healthily.
func instancesOff(s statusScaleSet, label string) []string {
	var off []string
	for _, in := range s.Instances {
		if deref(in.Label) != label || deref(in.Health) != "healthy" {
			off = append(off, fmt.Sprintf("%s %s %s", in.ID, deref(in.Label),
				deref(in.Health)))
		}
	}
	return off
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// TestRolloutEndToEnd rolls a bundle out to ten instances of `spotdeck sim` over HTTP in
// batches of 30% while an instance is evicted, with the bundle and the records in
// Azurite; then a failing bundle halts at its first batch and is rolled back.
func TestRolloutEndToEnd(t *testing.T) {
	rig := newRolloutRig(t, "30")
	rig.publish("v8")

	start, output := rig.startInBackground("v8")
	if s := rig.fleet(); s.Rollout == nil || s.Rollout.Label != "v8" {
		t.Errorf("status shows rollout %+v while it runs, want v8", s.Rollout)
	}
	if text, code := rig.run("instances", "simulate-eviction", "--scale-set",
		rolloutScaleSet, "--ids", "9", "--yes"); code != exitOK {
		t.Fatalf("simulate eviction: exit %d\n%s", code, text)
	}
	if err := start.Wait(); err != nil {
		t.Fatalf("rollout start: %v\n%s", err, output.String())
	}
	assertNoSecrets(t, output.String())

	r := rig.record()
	// Batches of 3: four, or three when the evicted instance was gone before its batch.
	if r.State != azure.RolloutDone || len(r.Batches) < 3 {
		t.Fatalf("rollout %s with %d batches, want done in at least 3\n%s", r.State,
			len(r.Batches), output.String())
	}
	fleet := rig.waitFleetOn("v8")
	if deref(fleet.Label) != "v8" || fleet.Rollout != nil {
		t.Errorf("scale set label %s, rollout %+v; want v8 and none running",
			deref(fleet.Label), fleet.Rollout)
	}

	rig.publish("v9-fail-install")
	text, code := rig.run(rig.startArgs("v9-fail-install")...)
	if code == exitOK {
		t.Fatalf("a failing bundle's rollout exited 0:\n%s", text)
	}
	r = rig.record()
	if r.State != azure.RolloutHalted || len(r.Batches) != 1 {
		t.Fatalf("failing bundle: %s after %d batches, want halted after 1\n%s", r.State,
			len(r.Batches), text)
	}
	if text, code := rig.run("rollout", "rollback", "--scale-set", rolloutScaleSet,
		"--container", rig.container, "--poll", "500ms"); code != exitOK {
		t.Fatalf("rollback: exit %d\n%s", code, text)
	}
	if r = rig.record(); r.State != azure.RolloutRolledBack {
		t.Errorf("after rollback the rollout is %s, want rolled-back", r.State)
	}
	rig.waitFleetOn("v8")
}

// TestRolloutResumesAfterKill kills `rollout start` with SIGKILL during a batch. Resume is
// refused while the dead process's lock lives; a pause waits for it to lapse and pauses;
// resume then takes over the same record and finishes without changing the model again.
func TestRolloutResumesAfterKill(t *testing.T) {
	// Slower than the other test, so that a batch is still being checked when it is killed.
	rig := newRolloutRig(t, "10")
	rig.publish("v8")

	start, _ := rig.startInBackground("v8")
	before := rig.waitRecord("a batch in progress", func(r azure.Rollout) bool {
		return r.State == azure.RolloutChecking
	})
	if err := start.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = start.Wait()

	// The killed process's lock lapses within its lease; until then resume is refused.
	text, code := rig.resume()
	if code == exitOK || !strings.Contains(text, "being driven by") {
		t.Fatalf("resume right after the kill: exit %d, want a refusal naming the lock's "+
			"holder\n%s", code, text)
	}
	// A pause asked of the dead process is carried out here once its lock lapses.
	text, code = rig.run("rollout", "pause", "--scale-set", rolloutScaleSet, "--container",
		rig.container, "--poll", "1s")
	if code != exitOK || rig.record().State != azure.RolloutPaused {
		t.Fatalf("pause of a rollout whose driver died: exit %d, state %s\n%s", code,
			rig.record().State, text)
	}
	if text, code = rig.resume(); code != exitOK {
		t.Fatalf("resume: exit %d\n%s", code, text)
	}
	r := rig.record()
	if r.State != azure.RolloutDone || r.ID != before.ID || r.Next.Tag != before.Next.Tag {
		t.Errorf("after resume: %s %s tag %s; want done, %s, tag %s", r.State, r.ID,
			r.Next.Tag, before.ID, before.Next.Tag)
	}
	if n := countLines(r.Log, "model updated"); n != 1 {
		t.Errorf("the model was changed %d times, want once; log %v", n, r.Log)
	}
	rig.waitFleetOn("v8")
}

// resume runs `rollout resume` of the scale set.
func (rig *rolloutRig) resume() (string, int) {
	return rig.run("rollout", "resume", "--scale-set", rolloutScaleSet, "--container",
		rig.container, "--poll", "500ms")
}

// TestRolloutVerbsReachTheDriver runs a rollout in one process and works on it from
// another: a second start and a resume are refused, naming who drives it; pause is asked of
// the driving process, which stops; resume then carries on here to the end.
func TestRolloutVerbsReachTheDriver(t *testing.T) {
	rig := newRolloutRig(t, "10")
	rig.publish("v8")
	start, output := rig.startInBackground("v8")

	if text, code := rig.resume(); code == exitOK ||
		!strings.Contains(text, "being driven by") {
		t.Errorf("resume of a driven rollout: exit %d, want a refusal naming the driver\n%s",
			code, text)
	}
	if text, code := rig.run(rig.startArgs("v8")...); code == exitOK ||
		!strings.Contains(text, "started by") {
		t.Errorf("a second start: exit %d, want a refusal naming who started the first\n%s",
			code, text)
	}
	text, code := rig.run("rollout", "pause", "--scale-set", rolloutScaleSet, "--container",
		rig.container, "--poll", "500ms")
	if code != exitOK || !strings.Contains(text, "paused by") {
		t.Fatalf("pause from another process: exit %d\n%s", code, text)
	}
	if err := start.Wait(); err == nil || !strings.Contains(output.String(), "paused by") {
		t.Errorf("the driving process did not stop paused (err %v):\n%s", err,
			output.String())
	}
	if r := rig.record(); r.State != azure.RolloutPaused {
		t.Fatalf("record %s after the pause, want paused", r.State)
	}
	if text, code := rig.resume(); code != exitOK {
		t.Fatalf("resume after the pause: exit %d\n%s", code, text)
	}
	r := rig.record()
	if r.State != azure.RolloutDone || countLines(r.Log, "model updated") != 1 {
		t.Errorf("after resume: %s, log %v; want done with one model change", r.State, r.Log)
	}
}

// countLines counts the log lines holding text.
func countLines(log []azure.RolloutLogLine, text string) int {
	n := 0
	for _, line := range log {
		if strings.Contains(line.Text, text) {
			n++
		}
	}
	return n
}
