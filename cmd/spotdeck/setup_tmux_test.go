package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spotdeck/azure/sim"
	"spotdeck/azure/storagetest"
)

// TestSetupWizardInTmux drives the first start in a terminal, as a new operator would:
// against `spotdeck sim` whose storage account is Azurite and which denies reading the
// Activity Log, from no config at all to a saved one, creating a Spot scale set on the
// way; the console then opens on the saved config and shows the new scale set. A second
// run preselects what was saved, and Esc leaves the file as it was.
func TestSetupWizardInTmux(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	endpoint, sub := startSim(t, "100", "--deny", sim.ActionReadActivityLog,
		"--storage-emulator", conn)
	env := append(isolatedEnv(t), "NO_COLOR=1")
	home := strings.TrimPrefix(env[0], "HOME=")
	configPath := filepath.Join(home, "config", "spotdeck", "config.yaml")

	container := fmt.Sprintf("setup-%d", time.Now().UnixNano())
	tm := newTmux(t, 100, 40, env, "--arm-endpoint", endpoint)
	walkSetup(t, tm, sub, container)

	screen := tm.waitFor("spotdeck ▸ scale sets", "vmss-func-spot", "vmss-func-win")
	if strings.Contains(screen, "vmss-batch-regular") || strings.Contains(screen, "AccountKey") {
		t.Errorf("the console shows more than the chosen scale sets, or the key:\n%s", screen)
	}
	checkSavedFile(t, configPath, container)
	restartFromConsole(tm)

	tm.send("A")
	tm.waitFor("▸ audit log", "restart", "setup-create-scale-set", "setup-create-container",
		"setup-save-config")
	tm.send("q")
	tm.waitGone()
	checkTeamSees(t, conn, container, "restart")

	saved, err := os.ReadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	again := newTmux(t, 100, 40, env, "setup", "--arm-endpoint", endpoint)
	again.waitFor("step 1 of 8")
	again.send("Enter")
	again.waitFor("Subscription", sub)
	again.send("Enter")
	again.waitFor("Resource group filter")
	again.send("Enter")
	again.waitFor("[•] vmss-func-spot", "[•] vmss-func-win", "[ ] vmss-batch-regular")
	again.send("Escape")
	again.waitGone()
	if now, _ := os.ReadFile(configPath); string(now) != string(saved) {
		t.Errorf("Esc on a rerun changed the config:\n%s\nwas:\n%s", now, saved)
	}
}

// restartFromConsole arms the console and restarts the new scale set's first instance.
func restartFromConsole(tm *tmux) {
	tm.send("a")
	tm.waitFor("⚡ ARMED")
	tm.send("Enter")
	tm.waitFor("▸ vmss-func-spot", "POWER")
	tm.send("R")
	tm.waitFor("restart instance 0 of scale set vmss-func-spot", "y/enter go ahead")
	tm.send("y")
	tm.waitFor("✓ restart 1 instance(s) of vmss-func-spot: done")
	tm.send("Escape")
}

// checkTeamSees reads the audit log as a teammate would, from a fresh machine whose only
// source is the shared log in the container on Azurite.
func checkTeamSees(t *testing.T, conn, container, action string) {
	t.Helper()
	teammate := newVerbEnv(t)
	teammate.extra = []string{connStringEnv + "=" + conn}
	teammate.writeConfig(t, "storage:\n  container: "+container+"\n")
	stdout, stderr, code := teammate.run(t, "", "audit", "-o", "json")
	if code != exitOK {
		t.Fatalf("audit exit %d: %s", code, stderr)
	}
	doc := decodeAudit(t, stdout)
	if !doc.Shared || len(doc.Records) != 1 || doc.Records[0].Action != action {
		t.Errorf("the team's log holds %+v, want the console's %s", doc, action)
	}
}

// walkSetup answers every step of the wizard, one key at a time, checking the screen.
func walkSetup(t *testing.T, tm *tmux, sub, container string) {
	t.Helper()
	tm.waitFor("spotdeck setup · step 1 of 8 · sign-in", "as simulator")
	tm.send("Enter")
	tm.waitFor("Subscription", sub)
	tm.send("Enter")
	tm.waitFor("Resource group filter", "rg-functions")
	tm.send("Enter")
	tm.waitFor("Scale sets to watch", "vmss-func-win", "Standard_D2s_v5")
	for _, k := range []string{"Down", "Down", "Space", "Enter"} {
		tm.send(k)
	}
	tm.waitFor("Create a new Spot scale set first?")
	tm.send("y")
	createScaleSet(t, tm)

	tm.waitFor("Scale sets to watch", "[•] vmss-func-spot", "[•] vmss-func-win")
	tm.send("Enter")
	tm.send("n")
	tm.waitFor("Storage account", "devstoreaccount1")
	for _, k := range []string{"Down", "Enter", "Down", "Enter"} {
		tm.send(k)
	}
	tm.waitFor("Bundle container", "A new container")
	tm.send("Enter")
	tm.waitFor("New container name", "spotdeck-bundles")
	for range len("spotdeck-bundles") {
		tm.send("BSpace")
	}
	typeKeys(tm, container)
	tm.send("Enter")
	tm.send("Enter")
	tm.waitFor("step 5 of 8 · bundle defaults", "Functions host build")
	for range 6 {
		tm.send("Enter")
	}
	tm.waitFor("step 6 of 8 · refresh and alerts")
	for range 3 {
		tm.send("Enter")
	}
	tm.waitFor("✓ read scale sets", "✓ change a scale-set model", "✓ write blobs",
		"✓ take a blob lease", "✗ read the Activity Log",
		"grant Monitoring Reader on subscription "+sub, "1 check(s) failed")
	tm.send("Enter")
	tm.waitFor("Store the storage connection string in the file?")
	tm.send("Enter")
	tm.send("Enter")
	tm.waitFor("Setup complete", "(mode 0600)", "vmss-func-win", "vmss-func-spot",
		"devstoreaccount1", container, "connection string NOT stored")
	tm.send("Enter")
}

// createScaleSet takes the creation's defaults in rg-functions, with a password.
func createScaleSet(t *testing.T, tm *tmux) {
	t.Helper()
	tm.waitFor("new Spot scale set", "vmss-func-spot", "Region")
	for _, k := range []string{"Enter", "Down", "Enter", "Enter"} {
		tm.send(k)
	}
	tm.waitFor("VM size (Spot-capable in westeurope)", "Standard_D2as_v5")
	for range 10 {
		tm.send("Enter")
	}
	tm.waitFor("Admin password")
	tm.send("Enter")
	typeKeys(tm, "Correct-Horse-9")
	tm.send("Enter")
	tm.waitFor("summary", "vmss-func-spot in rg-functions, westeurope", "password not shown")
	tm.send("Enter")
	screen := tm.waitFor("vmss-func-spot is in the fleet", "Back to scale sets")
	if strings.Contains(screen, "Correct-Horse-9") {
		t.Errorf("the password is on screen:\n%s", screen)
	}
	tm.send("Enter")
}

// checkSavedFile checks the written config: private, no key, the chosen values.
func checkSavedFile(t *testing.T, path, container string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no config written: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("config mode %o, want 600", mode)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, want := range []string{"vmss-func-win", "vmss-func-spot", "devstoreaccount1",
		container} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "AccountKey") || strings.Contains(text, "connectionString") {
		t.Errorf("the connection string was stored though the operator declined:\n%s", text)
	}
}
