package bundles

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"spotdeck/azure"
	"spotdeck/bundle"
)

// builtModel returns the screen showing a built bundle with the given findings.
func builtModel(t *testing.T, upload UploadFunc, findings ...bundle.Finding) *Model {
	t.Helper()
	m := New(Deps{Upload: upload, StorageHelp: "set the storage"})
	m.SetSize(80, 20)
	sha := strings.Repeat("ab", 32)
	res := &bundle.Result{Dir: "/tmp/out/b-1234567890", Findings: findings,
		Manifest: bundle.Manifest{Label: "b-1234567890", OS: bundle.OSLinux,
			EnvKeys: []string{"FUNCTIONS_WORKER_RUNTIME"}, Files: []bundle.File{
				{Name: bundle.HostZipName, SHA256: sha, Size: 1 << 20},
				{Name: bundle.AppZipName, SHA256: sha, Size: 1 << 10}}}}
	m.Update(builtMsg{res: res})
	return m
}

// finish runs a command chain of the screen until the work's last message, feeding each
// message back, and returns the view.
func finish(t *testing.T, m *Model, cmd tea.Cmd) string {
	t.Helper()
	for cmd != nil {
		msg := cmd()
		_, cmd = m.Update(msg)
		if _, ok := msg.(progressMsg); !ok {
			break
		}
	}
	return m.View()
}

func keyMsg(s string) tea.KeyMsg {
	if s == "esc" {
		return tea.KeyMsg{Type: tea.KeyEsc}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func TestFindingsWrapAndFit(t *testing.T) {
	var findings []bundle.Finding
	for range 12 {
		findings = append(findings, bundle.Finding{Severity: bundle.Warning,
			File: "/very/long/path/to/the/published/host/folder: workers/",
			Message: "no workers in the host: the install script will create an empty " +
				"workers folder", Fix: "publish the host with its language workers"})
	}
	m := builtModel(t, nil, findings...)
	view := m.View()
	lines := strings.Split(view, "\n")
	if len(lines) > 20 {
		t.Errorf("view has %d lines, over the height of 20:\n%s", len(lines), view)
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > 80 {
			t.Errorf("line %q is wider than 80", l)
		}
	}
	joined := strings.Join(strings.Fields(view), " ")
	for _, want := range []string{"(fix: publish the host with its language workers)",
		"more: run `spotdeck bundle check`", "preflight: 0 error(s), 12 warning(s)",
		"built in", "No storage configured"} {
		if !strings.Contains(joined, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
}

func TestFailedUploadCanBeRetried(t *testing.T) {
	calls := 0
	upload := func(ctx context.Context, dir string, progress func(azure.UploadProgress)) (
		azure.UploadResult, error) {
		calls++
		progress(azure.UploadProgress{Bytes: 1, Total: 2, File: bundle.HostZipName})
		if calls == 1 {
			return azure.UploadResult{}, errors.New("connection reset by peer")
		}
		return azure.UploadResult{Label: "b-1234567890", Container: "bundles",
			Access: azure.AccessIdentity, Files: []azure.UploadedFile{{
				Name: bundle.HostZipName, How: azure.FileSent,
				URL: "https://a.blob.core.windows.net/bundles/b-1234567890/host.zip"}}}, nil
	}
	m := builtModel(t, upload)
	_, cmd := m.Update(keyMsg("u"))
	view := finish(t, m, cmd)
	for _, want := range []string{"upload failed: connection reset by peer",
		"u: upload again", "host.zip"} {
		if !strings.Contains(view, want) {
			t.Errorf("after a failed upload the view lacks %q:\n%s", want, view)
		}
	}
	_, cmd = m.Update(keyMsg("u"))
	view = strings.Join(strings.Fields(finish(t, m, cmd)), " ")
	for _, want := range []string{"uploaded to container bundles",
		"https://a.blob.core.windows.net/bundles/b-1234567890/<file>",
		"Storage Blob Data Reader"} {
		if !strings.Contains(view, want) {
			t.Errorf("after the second upload the view lacks %q:\n%s", want, view)
		}
	}
}

func TestEscStopsUpload(t *testing.T) {
	started := make(chan struct{})
	upload := func(ctx context.Context, dir string, progress func(azure.UploadProgress)) (
		azure.UploadResult, error) {
		close(started)
		<-ctx.Done()
		return azure.UploadResult{}, ctx.Err()
	}
	m := builtModel(t, upload)
	_, cmd := m.Update(keyMsg("u"))
	if !m.Capturing() {
		t.Error("the screen does not take keys while uploading: esc would leave it running")
	}
	<-started
	m.Update(keyMsg("esc"))
	done := make(chan string)
	go func() { done <- finish(t, m, cmd) }()
	select {
	case view := <-done:
		if !strings.Contains(view, "upload stopped") || !strings.Contains(view, "u: upload again") {
			t.Errorf("view after esc:\n%s", view)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("esc did not stop the upload")
	}
}

func TestNewBundleKeepsTypedValues(t *testing.T) {
	m := builtModel(t, nil)
	m.in.host = "/typed/host"
	m.Update(keyMsg("n"))
	if m.stage != stageForm || !strings.Contains(m.View(), "/typed/host") {
		t.Errorf("n did not reopen the form on the last values:\n%s", m.View())
	}
}

func TestRebuildSaysAlreadyBuilt(t *testing.T) {
	m := builtModel(t, nil)
	m.result.Reused = true
	if view := m.View(); !strings.Contains(view, "bundle b-1234567890 already built in") {
		t.Errorf("a reused bundle reads:\n%s", view)
	}
}
