package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spotdeck/azure"
	"spotdeck/bundle"
	"spotdeck/tui/bundles"
)

// writeSample lays out the smallest host, app and env file a bundle accepts.
func writeSample(t *testing.T) (host, app, env string) {
	t.Helper()
	dir := t.TempDir()
	host, app, env = filepath.Join(dir, "host"), filepath.Join(dir, "app"),
		filepath.Join(dir, "app.env")
	files := map[string]string{
		filepath.Join(host, "Microsoft.Azure.WebJobs.Script.WebHost.dll"):       "MZ host",
		filepath.Join(host, "workers", "dotnet-isolated", "worker.config.json"): "{}",

		filepath.Join(app, "host.json"):                     `{"version": "2.0"}`,
		filepath.Join(app, "ProcessOrder", "function.json"): `{"bindings": []}`,
		env: "FUNCTIONS_WORKER_RUNTIME=dotnet-isolated\nAPI_KEY=s3cr3t-value\n",
	}
	for path, body := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return host, app, env
}

// TestBundleScreenBuildsAndUploads fills nothing in: the form comes prefilled, enter walks
// through it, the build runs for real and the upload is handed the built folder.
func TestBundleScreenBuildsAndUploads(t *testing.T) {
	drainLate()
	host, app, env := writeSample(t)
	out := t.TempDir()
	var uploaded string
	deps := bundles.Deps{
		Defaults: bundle.Options{HostPath: host, AppPath: app, EnvPath: env,
			OS: bundle.OSLinux, OutDir: out},
		Upload: func(_ context.Context, dir string, progress func(azure.UploadProgress)) (
			azure.UploadResult, error) {
			uploaded = dir
			progress(azure.UploadProgress{Bytes: 1, Total: 2, File: "host.zip"})
			return azure.UploadResult{Label: filepath.Base(dir), Container: "bundles",
				Access: azure.AccessIdentity}, nil
		},
	}
	m := New(Options{Reader: sampleReader(), Bundles: deps, Now: time.Now})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())
	m = press(t, m, "b")
	if !strings.Contains(m.View(), "Host build") {
		t.Fatalf("b did not open the bundle form:\n%s", m.View())
	}
	for i := 0; i < 7; i++ {
		m = press(t, m, "enter")
	}
	m = waitView(t, m, "built in")
	view := m.View()
	if strings.Contains(view, "s3cr3t-value") {
		t.Errorf("bundle screen shows an env value:\n%s", view)
	}
	for _, want := range []string{"host.zip", "app.zip", "install.sh", "ProcessOrder",
		"API_KEY"} {
		if !strings.Contains(view, want) {
			t.Errorf("built view lacks %q:\n%s", want, view)
		}
	}
	m = press(t, m, "u")
	m = waitView(t, m, "uploaded to container bundles")
	if filepath.Dir(uploaded) != out {
		t.Errorf("upload got %q, want a folder in %q", uploaded, out)
	}
}

// drainLate drops the late messages earlier tests left behind.
func drainLate() {
	for {
		select {
		case <-late:
		default:
			return
		}
	}
}

// waitView feeds the screen the messages its background work sends until the view shows
// the text.
func waitView(t *testing.T, m Model, text string) Model {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !strings.Contains(m.View(), text) {
		select {
		case msg := <-late:
			m = step(t, m, msg)
		case <-deadline:
			t.Fatalf("view never showed %q:\n%s", text, m.View())
		}
	}
	return m
}
