package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitWithin is waitFor with a deadline of its own, for screens that take long to come.
func (tm *tmux) waitWithin(d time.Duration, texts ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	var screen string
	for time.Now().Before(deadline) {
		screen = tm.screen()
		if containsAll(screen, texts) {
			return screen
		}
		time.Sleep(200 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %q within %s; last screen:\n%s", texts, d, screen)
	return ""
}

// replaceField clears a prefilled form field of n characters and types text.
func (tm *tmux) replaceField(n int, text string) {
	for i := 0; i < n; i++ {
		tm.send("BSpace")
	}
	tm.typeText(text)
}

// flagValue returns the value after flag in args.
func flagValue(args []string, flag string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

// writeRolloutConfig writes the config a console of the rig reads: the simulator, the
// rig's container, and the bundle screen's defaults.
func writeRolloutConfig(t *testing.T, rig *rolloutRig) string {
	inputs := bundleInputsDir(t, "", nil)
	config := strings.Join([]string{
		"subscription: " + rig.global[3],
		"armEndpoint: " + rig.global[1],
		"refresh: 2s",
		"storage:",
		"  container: " + rig.container,
		"bundle:",
		"  hostPath: " + flagValue(inputs, "--host"),
		"  appPath: " + flagValue(inputs, "--app"),
		"  envPath: " + flagValue(inputs, "--env"),
		"  os: windows",
		"  access: sas",
		"  outDir: " + filepath.Join(t.TempDir(), "bundles"),
	}, "\n") + "\n"
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRolloutFromTheConsole builds, uploads and rolls out a bundle with keys only, in the
// console in tmux against `spotdeck sim` and Azurite, and watches the batches to the end.
func TestRolloutFromTheConsole(t *testing.T) {
	rig := newRolloutRig(t, "30")
	config := writeRolloutConfig(t, rig)
	tm := newTmux(t, 100, 30, append(rig.env, "NO_COLOR=1"), "--config", config)
	tm.waitFor("vmss-func-win", "updated")

	tm.send("b")
	tm.waitFor("Host build")
	for i := 0; i < 7; i++ {
		tm.send("Enter")
	}
	tm.waitFor("built in")
	tm.send("u")
	tm.waitWithin(time.Minute, "uploaded to container "+rig.container)
	tm.send("Escape")
	tm.waitFor("PRIORITY")

	tm.send("o")
	tm.waitFor("New rollout to vmss-batch-regular")
	tm.send("Escape")
	tm.waitFor("PRIORITY")
	tm.send("Down")
	tm.send("Down")
	tm.send("o")
	tm.waitFor("New rollout to vmss-func-win", "uploaded")
	// A form moves its focus in a command of its own: wait for it before typing.
	tm.send("Enter") // the newest bundle
	tm.waitFor("┃ Batch")
	tm.replaceField(3, "30%")
	tm.waitFor("> 30%")
	tm.send("Enter")
	tm.waitFor("┃ Halt above unhealthy")
	tm.send("Enter")
	tm.waitFor("┃ Pause between batches")
	tm.replaceField(3, "0s")
	tm.waitFor("> 0s")
	tm.send("Enter")
	tm.waitFor("┃ Health timeout per batch")
	tm.send("Enter")
	tm.waitWithin(time.Minute, "Plan:", "enter start")

	tm.send("Enter")
	tm.waitFor("read-only: press a to arm")
	tm.send("a")
	tm.send("Enter")
	tm.waitFor("Type vmss-func-win")
	tm.typeText("vmss-func-win")
	tm.send("Enter")
	tm.waitWithin(time.Minute, "batch 1")

	// The rollout goes on while the operator looks elsewhere.
	tm.send("Escape")
	tm.waitFor("PRIORITY")
	tm.send("w")
	tm.waitFor("watch")
	time.Sleep(3 * time.Second)
	tm.send("Escape")
	tm.waitFor("PRIORITY")
	tm.send("o")
	screen := tm.waitWithin(3*time.Minute, "done: ")
	if !strings.Contains(screen, "batch 4") {
		t.Errorf("the screen shows no fourth batch of 30%% of ten instances:\n%s", screen)
	}
	checkFits(t, screen, 100, 30)

	label := rig.record().Label
	rig.waitFleetOn(label)
	tm.send("q")
	tm.waitGone()
}
