package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"spotdeck/azure"
	"spotdeck/azure/storagetest"
)

// secretValue is an app setting's value that must never show in any output.
const secretValue = "bm90LWEtcmVhbC1rZXktYnV0LXNlY3JldA=="

// bundleInputsDir writes a small host, app and env file and returns the flags naming them.
// envExtra is appended to the env file; appFiles replace the app's files when not nil.
func bundleInputsDir(t *testing.T, envExtra string, appFiles map[string]string) []string {
	t.Helper()
	root := t.TempDir()
	host := map[string]string{
		"Microsoft.Azure.WebJobs.Script.WebHost.dll": strings.Repeat("host-bytes ", 5000),
		"workers/node/worker.config.json":            `{"description":{"language":"node"}}`,
	}
	if appFiles == nil {
		appFiles = map[string]string{"host.json": `{"version":"2.0"}`,
			"Ping/function.json": `{"bindings":[]}`, "Ping/index.js": "module.exports=1"}
	}
	env := "FUNCTIONS_WORKER_RUNTIME=node\nAzureWebJobsStorage=" +
		"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" + secretValue + "\n" + envExtra
	writeFiles(t, filepath.Join(root, "host"), host)
	writeFiles(t, filepath.Join(root, "app"), appFiles)
	writeFiles(t, root, map[string]string{"app.env": env})
	return []string{"--host", filepath.Join(root, "host"), "--app", filepath.Join(root, "app"),
		"--env", filepath.Join(root, "app.env"), "--os", "linux"}
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// runWithEnv runs spotdeck like runSpotdeck, with extra environment variables.
func runWithEnv(t *testing.T, extraEnv []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(isolatedEnv(t), extraEnv...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("spotdeck %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// assertNoSecrets fails when an env value or a SAS signature shows in the output.
func assertNoSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, text := range outputs {
		if strings.Contains(text, secretValue) {
			t.Errorf("an env value reached the output:\n%s", text)
		}
		if m := regexp.MustCompile(`sig=[^&\s"\\]+`).FindString(text); m != "" &&
			m != "sig=REDACTED" {
			t.Errorf("a SAS signature reached the output: %s", m)
		}
	}
}

func TestBundleCheck(t *testing.T) {
	tests := []struct {
		name     string
		args     func(t *testing.T) []string
		wantCode int
		wantOut  []string
	}{
		{"clean inputs", func(t *testing.T) []string { return bundleInputsDir(t, "", nil) },
			exitOK, []string{"preflight: no errors"}},
		{"placeholder value", func(t *testing.T) []string {
			return bundleInputsDir(t, "API_KEY=PLACEHOLDER\n", nil)
		}, exitError, []string{"error: ", "app.env", "PLACEHOLDER", "(fix: "}},
		{"no host.json", func(t *testing.T) []string {
			return bundleInputsDir(t, "", map[string]string{"Ping/function.json": "{}"})
		}, exitError, []string{"error: ", "host.json", "(fix: "}},
		{"no host", func(t *testing.T) []string {
			return bundleInputsDir(t, "", nil)[2:]
		}, exitUsage, nil},
		{"unknown os", func(t *testing.T) []string {
			return append(bundleInputsDir(t, "", nil), "--os", "plan9")
		}, exitUsage, nil},
		{"stray argument", func(t *testing.T) []string {
			return append(bundleInputsDir(t, "", nil), "extra")
		}, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"bundle", "check"}, tt.args(t)...)
			stdout, stderr, code := runSpotdeck(t, args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode,
					stdout, stderr)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			assertNoSecrets(t, stdout, stderr)
		})
	}
}

// hashLines picks the "FILE SIZE SHA-256" rows out of the output of bundle build.
var hashLine = regexp.MustCompile(`(?m)^\S+\s+\d+\s+[0-9a-f]{64}$`)

func TestBundleBuildIsDeterministic(t *testing.T) {
	inputs := bundleInputsDir(t, "", nil)
	var outputs []string
	for _, out := range []string{t.TempDir(), t.TempDir()} {
		args := append([]string{"bundle", "build", "--out", out}, inputs...)
		stdout, stderr, code := runSpotdeck(t, args...)
		if code != exitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		assertNoSecrets(t, stdout, stderr)
		outputs = append(outputs, stdout)
	}
	first := hashLine.FindAllString(outputs[0], -1)
	second := hashLine.FindAllString(outputs[1], -1)
	if len(first) != 4 || strings.Join(first, "\n") != strings.Join(second, "\n") {
		t.Errorf("hash rows differ between two builds of the same inputs:\n%s\n---\n%s",
			strings.Join(first, "\n"), strings.Join(second, "\n"))
	}
}

func TestBundleBuildRefusesPreflightErrors(t *testing.T) {
	out := t.TempDir()
	args := append([]string{"bundle", "build", "--out", out},
		bundleInputsDir(t, "BAD-KEY=1\n", nil)...)
	stdout, stderr, code := runSpotdeck(t, args...)
	if code != exitError || !strings.Contains(stdout, "error: ") {
		t.Fatalf("exit %d, want 1 with the findings\nstdout:\n%s\nstderr:\n%s", code,
			stdout, stderr)
	}
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 0 {
		t.Errorf("the refused build left %v in the output folder (err %v)", entries, err)
	}
}

// builtBundle builds a bundle from fresh inputs and returns its folder.
func builtBundle(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"bundle", "build", "--out", out}, bundleInputsDir(t, "", nil)...)
	if stdout, stderr, code := runSpotdeck(t, args...); code != exitOK {
		t.Fatalf("build: exit %d\n%s\n%s", code, stdout, stderr)
	}
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("build wrote %v (err %v), want one label folder", entries, err)
	}
	return filepath.Join(out, entries[0].Name())
}

func TestBundleUploadAgainstEmulator(t *testing.T) {
	env := []string{connStringEnv + "=" + storagetest.ConnectionString(t)}
	dir := builtBundle(t)
	// A fresh container each run: the same inputs always give the same label.
	container := fmt.Sprintf("cli-%d", time.Now().UnixNano())

	stdout, stderr, code := runWithEnv(t, env, "bundle", "upload", dir, "--container",
		container, "--sas", "-o", "json")
	if code != exitOK {
		t.Fatalf("upload: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	assertNoSecrets(t, stdout, stderr)
	var doc uploadDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	if doc.Access != azure.AccessSAS || doc.SASExpiry == nil || len(doc.Files) != 5 {
		t.Fatalf("access %q, expiry %v, %d files; want sas, an expiry, 5 files",
			doc.Access, doc.SASExpiry, len(doc.Files))
	}
	for _, f := range doc.Files {
		if f.How != azure.FileSent || !strings.Contains(f.URL, "sig=REDACTED") {
			t.Errorf("%s: how %q, url %s; want sent with a masked signature", f.Name, f.How,
				f.URL)
		}
	}

	stdout, stderr, code = runWithEnv(t, env, "bundle", "upload", dir, "--container", container)
	if code != exitOK || !strings.Contains(stdout, "0 B sent") ||
		strings.Count(stdout, " kept ") != 5 {
		t.Errorf("second upload: exit %d, want 0 with 0 B sent and 5 files kept\n%s\n%s",
			code, stdout, stderr)
	}
	assertNoSecrets(t, stdout, stderr)
}

func TestBundleUploadUsage(t *testing.T) {
	dir := t.TempDir()
	conn := connStringEnv + "=UseDevelopmentStorage=true"
	outDir := t.TempDir()
	writeFiles(t, outDir, map[string]string{"b-1/manifest.json": "{}", "b-2/other": "x"})
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no folder", nil, []string{"--container", "c1"}, exitUsage, "DIR/<label>"},
		{"no container", []string{conn}, []string{dir}, exitUsage, "--container"},
		{"no account", nil, []string{dir, "--container", "bundles"}, exitUsage, "--account"},
		{"account and connection string", nil, []string{dir, "--container", "bundles",
			"--account", "acct", "--connection-string", "UseDevelopmentStorage=true"},
			exitUsage, "not both"},
		{"bad output", []string{conn}, []string{dir, "--container", "bundles", "-o", "xml"},
			exitUsage, "json or table"},
		{"bad container", []string{conn}, []string{dir, "--container", "No_Good"},
			exitUsage, "container name"},
		{"not a bundle", []string{conn}, []string{dir, "--container", "bundles"},
			exitUsage, "manifest"},
		{"output folder", []string{conn}, []string{outDir, "--container", "bundles"},
			exitUsage, "pass one of the 1 label folders it holds, e.g. the newest, " +
				filepath.Join(outDir, "b-1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"bundle", "upload"}, tt.args...)
			stdout, stderr, code := runWithEnv(t, tt.env, args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q\nstdout: %s", code,
					stderr, tt.wantCode, tt.wantErr, stdout)
			}
		})
	}
}

func TestUploadProgressText(t *testing.T) {
	tests := []struct {
		name string
		in   azure.UploadProgress
		want string
	}{
		{"start", azure.UploadProgress{File: "host.zip", Total: 3 << 20},
			"uploading host.zip: 0 B of 3.0 MiB"},
		{"moving", azure.UploadProgress{File: "host.zip", Bytes: 1 << 20, Total: 3 << 20,
			Rate: 512 << 10, Remaining: 4*time.Second + 300*time.Millisecond},
			"uploading host.zip: 1.0 MiB of 3.0 MiB, 512.0 KiB/s, 4s left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uploadProgressText(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestByteText(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{200 << 20, "200.0 MiB"}, {3 << 30, "3.0 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := byteText(tt.in); got != tt.want {
				t.Errorf("byteText(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAccessNote(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		res  azure.UploadResult
		want string
	}{
		{"identity", azure.UploadResult{Access: azure.AccessIdentity, Container: "bundles"},
			"Storage Blob Data Reader on container bundles"},
		{"sas in days", azure.UploadResult{Access: azure.AccessSAS,
			SASExpiry: now.Add(30 * 24 * time.Hour)}, "expire 2027-01-02 12:00 UTC, in 30 days"},
		{"sas in hours", azure.UploadResult{Access: azure.AccessSAS,
			SASExpiry: now.Add(5 * time.Hour)}, "in 5h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := accessNote(tt.res, now); !strings.Contains(got, tt.want) {
				t.Errorf("accessNote = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// TestBundleRebuildWithNewAppSendsNoHostBytes builds and uploads a bundle, changes only
// the app, builds and uploads again: the host goes over as a copy inside the container.
func TestBundleRebuildWithNewAppSendsNoHostBytes(t *testing.T) {
	env := []string{connStringEnv + "=" + storagetest.ConnectionString(t)}
	inputs := bundleInputsDir(t, "", nil)
	out := t.TempDir()
	container := fmt.Sprintf("cli-%d", time.Now().UnixNano())
	first := uploadBuild(t, env, inputs, out, container)
	app := inputs[3]
	writeFiles(t, app, map[string]string{"Ping/index.js": "module.exports=2"})
	second := uploadBuild(t, env, inputs, out, container)
	if second.Label == first.Label {
		t.Fatalf("a new app kept the label %s", first.Label)
	}
	var sent int64
	for _, f := range second.Files {
		sent += f.BytesSent
		switch f.Name {
		case "host.zip", "app.env":
			if f.How != azure.FileCopied || f.BytesSent != 0 {
				t.Errorf("%s: how %q, %d bytes sent; want copied, 0 bytes", f.Name, f.How,
					f.BytesSent)
			}
		default:
			if f.How != azure.FileSent || f.BytesSent != f.Size {
				t.Errorf("%s: how %q, %d of %d bytes sent; want sent whole", f.Name, f.How,
					f.BytesSent, f.Size)
			}
		}
	}
	if second.BytesSent != sent {
		t.Errorf("bytesSent %d, but the files add up to %d", second.BytesSent, sent)
	}
}

// uploadBuild builds the inputs into out and uploads the new label folder.
func uploadBuild(t *testing.T, env, inputs []string, out, container string) uploadDoc {
	t.Helper()
	args := append([]string{"bundle", "build", "--out", out}, inputs...)
	stdout, stderr, code := runSpotdeck(t, args...)
	label := regexp.MustCompile(`bundle (\S+) written to`).FindStringSubmatch(stdout)
	if code != exitOK || label == nil {
		t.Fatalf("build: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = runWithEnv(t, env, "bundle", "upload",
		filepath.Join(out, label[1]), "--container", container, "-o", "json")
	if code != exitOK {
		t.Fatalf("upload: exit %d\n%s\n%s", code, stdout, stderr)
	}
	assertNoSecrets(t, stdout, stderr)
	var doc uploadDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("upload output is not JSON: %v\n%s", err, stdout)
	}
	return doc
}
