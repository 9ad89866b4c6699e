package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newUser is a person in front of the demo who presses only keys the screen names.
type newUser struct {
	t  *testing.T
	tm *tmux
}

// press waits until the screen names the key with its words, then presses it.
func (u newUser) press(key, named string) string {
	u.t.Helper()
	screen := u.tm.waitFor(named)
	u.tm.send(key)
	return screen
}

// TestDemoAsANewUser starts `spotdeck demo` from nothing (no config, no state) at
// 80×24 and gets to a watched fleet, then arms, scales and finds the change in the audit
// log, pressing only keys that the screen shows.
func TestDemoAsANewUser(t *testing.T) {
	env := append(isolatedEnv(t), "NO_COLOR=1")
	home := strings.TrimPrefix(env[0], "HOME=")
	tm := newTmux(t, 80, 24, env, "demo", "--speed", "100")
	u := newUser{t: t, tm: tm}

	checkFits(t, u.press("w", "w watch"), 80, 24)
	screen := tm.waitFor("▸ watch", "SCALE SET", "vmss-func-win", "QUEUE", "orders")
	checkFits(t, screen, 80, 24)
	u.press("Escape", "esc back")

	u.press("c", "🔒 read-only")
	u.press("a", "press a to arm")
	// "? keys" was on the first screen; the arming message stands in its place now.
	u.press("?", "⚡ ARMED")
	tm.waitFor("scale to N", "audit log")
	u.press("Escape", "Press ? or esc to close")

	u.press("Down", "vmss-func-linux")
	// The keys named earlier stand behind the messages that take the key line a while.
	u.press("c", "⚡ ARMED")
	tm.waitFor("new capacity of vmss-func-linux (now 4)")
	tm.send("5")
	tm.send("Enter")
	u.press("y", "y/enter go ahead")
	tm.waitFor("✓ scale vmss-func-linux: done")

	u.press("A", "✓ scale vmss-func-linux: done")
	tm.waitFor("▸ audit log", "scale", "vmss-func-linux", "simulator", "ok")
	u.press("q", "▸ audit log")
	tm.waitGone()

	state := filepath.Join(home, "state", "spotdeck")
	if data, err := os.ReadFile(filepath.Join(state, demoAuditFile)); err != nil ||
		!strings.Contains(string(data), `"action":"scale"`) {
		t.Errorf("the demo's audit log: %v\n%s", err, data)
	}
	if _, err := os.Stat(filepath.Join(state, "audit.jsonl")); !os.IsNotExist(err) {
		t.Errorf("the demo wrote into the real audit log (%v)", err)
	}
}
