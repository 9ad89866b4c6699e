package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmux drives the console in a real terminal: keys one at a time, the screen read back
// with capture-pane, as a person would use it.
type tmux struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T, width, height int, env []string, args ...string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is missing; scripts/test.sh installs it")
		}
		t.Skip("tmux is not installed; run scripts/test.sh, which installs it")
	}
	command := "env " + strings.Join(quoteAll(env), " ") + " " + binary + " " +
		strings.Join(quoteAll(args), " ")
	return startTmux(t, width, height, command)
}

// startTmux runs a shell command in a new tmux server of its own.
func startTmux(t *testing.T, width, height int, command string) *tmux {
	t.Helper()
	socket := fmt.Sprintf("spotdeck-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	tm := &tmux{t: t, socket: socket}
	tm.run("new-session", "-d", "-s", "main", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height),
		command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// send types one key; tmux delivers separate send-keys calls as separate key events.
func (tm *tmux) send(key string) {
	tm.t.Helper()
	tm.run("send-keys", "-t", "main", key)
}

func (tm *tmux) screen() string {
	tm.t.Helper()
	return tm.run("capture-pane", "-p", "-t", "main")
}

// waitFor polls the screen until it holds every text, or fails showing the last screen.
func (tm *tmux) waitFor(texts ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var screen string
	for time.Now().Before(deadline) {
		screen = tm.screen()
		if containsAll(screen, texts) {
			return screen
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %q; last screen:\n%s", texts, screen)
	return ""
}

// waitGone polls until the session has ended (the console quit).
func (tm *tmux) waitGone() {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		err := exec.Command("tmux", "-L", tm.socket, "has-session", "-t", "main").Run()
		if err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("console did not quit; screen:\n%s", tm.screen())
}

func containsAll(s string, texts []string) bool {
	for _, t := range texts {
		if !strings.Contains(s, t) {
			return false
		}
	}
	return true
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

// TestConsoleInTmuxAgainstSimProcess starts `spotdeck sim` as a process and the console in
// tmux against it, and walks the screens with single keys.
func TestConsoleInTmuxAgainstSimProcess(t *testing.T) {
	endpoint, sub := startSim(t, "30")
	tm := newTmux(t, 80, 24, append(isolatedEnv(t), "NO_COLOR=1"),
		"--arm-endpoint", endpoint, "--subscription", sub)

	screen := tm.waitFor("spotdeck ▸ scale sets", "vmss-func-win", "vmss-func-linux", "updated")
	checkFits(t, screen, 80, 24)

	tm.send("?")
	tm.waitFor("Keys of scale sets", "filter rows")
	tm.send("Escape")
	tm.waitFor("vmss-func-linux")

	for _, k := range []string{"/", "l", "i", "n", "u", "x", "Enter"} {
		tm.send(k)
	}
	screen = tm.waitFor("filter: linux")
	if strings.Contains(screen, "vmss-func-win ") {
		t.Errorf("filter 'linux' still shows the windows scale set:\n%s", screen)
	}
	tm.send("Enter")
	screen = tm.waitFor("▸ vmss-func-linux", "POWER", "HEALTH", "instances ·")
	checkFits(t, screen, 80, 24)

	tm.send("Escape")
	tm.waitFor("spotdeck ▸ scale sets")
	tm.send("r")
	tm.waitFor("updated")

	tm.send("w")
	screen = tm.waitFor("▸ watch", "EVICTED1H", "LATEST EVENTS")
	checkFits(t, screen, 80, 24)
	tm.send("e")
	tm.waitFor("▸ events", "in the last 24 h")
	tm.run("resize-window", "-t", "main", "-x", "120", "-y", "30")
	screen = tm.waitFor("spotdeck ▸ scale sets ▸ watch ▸ events", "updated")
	checkFits(t, screen, 120, 30)
	tm.send("Escape")
	tm.waitFor("EVICTED1H")
	tm.send("q")
	tm.waitGone()
}

func checkFits(t *testing.T, screen string, width, height int) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) > height {
		t.Errorf("screen has %d lines, over %d", len(lines), height)
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > width {
			t.Errorf("line %q is %d runes wide, over %d", l, n, width)
		}
	}
}
