package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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

	tm := newTmux(t, 100, 40, env, "--arm-endpoint", endpoint)
	walkSetup(t, tm, sub)

	screen := tm.waitFor("spotdeck ▸ scale sets", "vmss-func-spot", "vmss-func-win")
	if strings.Contains(screen, "vmss-batch-regular") || strings.Contains(screen, "AccountKey") {
		t.Errorf("the console shows more than the chosen scale sets, or the key:\n%s", screen)
	}
	checkSavedFile(t, configPath)

	tm.send("A")
	tm.waitFor("▸ audit log", "setup-create-scale-set", "setup-create-container",
		"setup-save-config")
	tm.send("q")
	tm.waitGone()

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

// walkSetup answers every step of the wizard, one key at a time, checking the screen.
func walkSetup(t *testing.T, tm *tmux, sub string) {
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
	tm.waitFor("New container name")
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
		"devstoreaccount1", "spotdeck-bundles", "connection string NOT stored")
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
func checkSavedFile(t *testing.T, path string) {
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
		"spotdeck-bundles"} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "AccountKey") || strings.Contains(text, "connectionString") {
		t.Errorf("the connection string was stored though the operator declined:\n%s", text)
	}
}
