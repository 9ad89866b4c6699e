package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spotdeck/azure/storagetest"
)

// demoEnvValue is the value of an app setting in the demo's sample env file: it must never
// reach the screen or the log.
const demoEnvValue = "demostorage"

// TestBundleScreenInTmux walks the bundle screen of the demo in a real 80×24 terminal: the
// prefilled sample builds, uploads to the emulator, and a bad host shows each finding whole,
// its fix included.
func TestBundleScreenInTmux(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	env := append(isolatedEnv(t), "NO_COLOR=1", connStringEnv+"="+conn)
	tm := newTmux(t, 80, 24, env, "demo")
	tm.waitFor("spotdeck ▸ scale sets", "updated")

	tm.send("b")
	tm.waitFor("▸ bundle", "Host build", "spotdeck-demo-")
	screen := tm.submitForm("built in", "preflight: no errors, no warnings", "u: upload")
	checkBundleScreen(t, screen, "host.zip", "install.ps1", "ProcessOrder",
		"FUNCTIONS_WORKER_RUNTIME")

	tm.send("u")
	screen = tm.waitFor("uploaded to container spotdeck-demo", "n: new bundle")
	checkBundleScreen(t, screen, "manifest.json", "/spotdeck-demo/b-",
		"read-only SAS links", "expire")

	tm.send("n")
	tm.waitFor("Host build")
	tm.send("C-u")
	tm.typeText(t.TempDir())
	screen = tm.submitForm("build refused", "preflight: 1 error(s)")
	checkBundleScreen(t, screen, "✗ error:", "no Microsoft.Azure.WebJobs.Script.WebHost.dll",
		"(fix: pass the publish output of azure-functions-host")

	tm.send("q")
	tm.waitGone()
	checkLogClean(t, env)
}

// submitForm presses enter through the seven fields of the bundle form and waits for the
// build's outcome.
func (tm *tmux) submitForm(texts ...string) string {
	tm.t.Helper()
	for range 7 {
		tm.send("Enter")
	}
	return tm.waitFor(texts...)
}

// typeText types text one character at a time, as literal keys.
func (tm *tmux) typeText(text string) {
	tm.t.Helper()
	for _, r := range text {
		tm.run("send-keys", "-t", "main", "-l", string(r))
	}
}

// checkBundleScreen checks that the screen fits the terminal, holds every text (a text
// may be wrapped onto the next line, so blanks are not compared) and shows no env value or
// SAS signature.
func checkBundleScreen(t *testing.T, screen string, texts ...string) {
	t.Helper()
	checkFits(t, screen, 80, 24)
	joined := strings.Join(strings.Fields(screen), "")
	for _, text := range texts {
		if !strings.Contains(joined, strings.Join(strings.Fields(text), "")) {
			t.Errorf("screen lacks %q:\n%s", text, screen)
		}
	}
	for _, secret := range []string{demoEnvValue, "sig="} {
		if strings.Contains(screen, secret) {
			t.Errorf("screen shows %q:\n%s", secret, screen)
		}
	}
}

// checkLogClean checks that the console logged the builds and the upload, and no env value.
func checkLogClean(t *testing.T, env []string) {
	t.Helper()
	var state string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "XDG_STATE_HOME="); ok {
			state = v
		}
	}
	data, err := os.ReadFile(filepath.Join(state, "spotdeck", "spotdeck.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	for _, want := range []string{"bundle built", "bundle uploaded", "bundle build failed"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, demoEnvValue) || strings.Contains(log, "sig=") {
		t.Errorf("log holds an env value or a SAS signature:\n%s", log)
	}
}
