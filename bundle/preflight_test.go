package bundle

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withFiles replaces a folder input by a fresh folder holding files.
func withFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	return writeTree(t, t.TempDir(), files)
}

// withEnv replaces the env file by one holding content.
func withEnv(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bad.env")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostZipWith writes a zip of the good host plus extra items.
func hostZipWith(t *testing.T, extra ...zipItem) string {
	t.Helper()
	var items []zipItem
	for name, body := range hostFiles() {
		items = append(items, zipItem{name: name, body: body})
	}
	return writeZip(t, filepath.Join(t.TempDir(), "host.zip"), append(items, extra...))
}

func TestPreflightErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, o *Options)
		message string // substring of the error finding
		file    string // substring of the finding's File
	}{
		{"no WebHost dll", func(t *testing.T, o *Options) {
			files := hostFiles()
			delete(files, WebHostDLL)
			o.HostPath = withFiles(t, files)
		}, "no " + WebHostDLL, ""},
		{"no host.json", func(t *testing.T, o *Options) {
			files := appFiles()
			delete(files, "host.json")
			o.AppPath = withFiles(t, files)
		}, "no host.json", ""},
		{"host.json not JSON", func(t *testing.T, o *Options) {
			files := appFiles()
			files["host.json"] = `{"version": "2.0",`
			o.AppPath = withFiles(t, files)
		}, "host.json is not a JSON object", "host.json"},
		{"function.json not JSON", func(t *testing.T, o *Options) {
			files := appFiles()
			files["TimerJob/function.json"] = `{bad json`
			o.AppPath = withFiles(t, files)
		}, "TimerJob/function.json is not valid JSON", "function.json"},
		{"invalid env key", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=dotnet\nMY-KEY=1\n")
		}, `key "MY-KEY" is not a valid name`, "bad.env:2"},
		{"duplicate env key", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=dotnet\nA=1\nA=2\n")
		}, "key A is set again", "bad.env:3"},
		{"placeholder value", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t,
				"FUNCTIONS_WORKER_RUNTIME=dotnet\nAzureWebJobsStorage=PLACEHOLDER\n")
		}, "AzureWebJobsStorage still has a PLACEHOLDER value", "bad.env:2"},
		{"zip entry with ..", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: "../evil.dll", body: "x"})
		}, "escapes its folder", "../evil.dll"},
		{"zip entry with backslash ..", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: `workers\..\..\evil.dll`, body: "x"})
		}, "escapes its folder", "evil.dll"},
		{"zip entry with absolute path", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: "/etc/cron.d/evil", body: "x"})
		}, "absolute path", "/etc/cron.d/evil"},
		{"zip entry with drive letter", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: "C:/Windows/evil.dll", body: "x"})
		}, "absolute path", "C:/Windows/evil.dll"},
		{"duplicate zip entries", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: "dup.dll", body: "1"},
				zipItem{name: "dup.dll", body: "2"})
		}, "entry appears more than once", "dup.dll"},
		{"zip symlink pointing outside", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: "link.dll", body: "../../etc/passwd",
				mode: fs.ModeSymlink | 0o777})
		}, "symlink points outside the folder", "link.dll"},
		{"zip symlink absolute", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: "link.dll", body: "/etc/passwd",
				mode: fs.ModeSymlink | 0o777})
		}, "symlink points outside the folder", "link.dll"},
		{"folder symlink pointing outside", func(t *testing.T, o *Options) {
			outside := withFiles(t, map[string]string{"secret.txt": "x"})
			if err := os.Symlink(filepath.Join(outside, "secret.txt"),
				filepath.Join(o.AppPath, "leak.txt")); err != nil {
				t.Fatal(err)
			}
		}, "symlink points outside the folder", "leak.txt"},
		{"folder symlink loop", func(t *testing.T, o *Options) {
			if err := os.Symlink("..", filepath.Join(o.AppPath, "bin", "loop")); err != nil {
				t.Fatal(err)
			}
		}, "symlink loop", "bin/loop"},
		{"dangling folder symlink", func(t *testing.T, o *Options) {
			if err := os.Symlink("missing.dll", filepath.Join(o.AppPath, "gone.dll")); err != nil {
				t.Fatal(err)
			}
		}, "symlink points to nothing", "gone.dll"},
		{"case clash on windows", func(t *testing.T, o *Options) {
			o.OS = OSWindows
			files := appFiles()
			files["bin/app.dll"] = "lower case twin"
			o.AppPath = withFiles(t, files)
		}, "only in letter case", "bin/app.dll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture(t)
			tt.change(t, &opts)
			findings, err := Preflight(opts)
			if err != nil {
				t.Fatalf("Preflight: %v", err)
			}
			errs := errorsOf(findings)
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want 1", len(errs), errs)
			}
			got := errs[0]
			if !strings.Contains(got.Message, tt.message) || !strings.Contains(got.File, tt.file) {
				t.Errorf("finding = %v, want message %q in file %q", got, tt.message, tt.file)
			}
			if got.Fix == "" {
				t.Errorf("finding %v has no fix", got)
			}
		})
	}
}

func TestPreflightWarnings(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, o *Options)
		message string
	}{
		{"no functions", func(t *testing.T, o *Options) {
			o.AppPath = withFiles(t, map[string]string{"host.json": "{}"})
		}, "no functions found"},
		{"worker runtime missing", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t, "A=1\n")
		}, "FUNCTIONS_WORKER_RUNTIME is not set"},
		{"worker runtime mismatch", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=node\n")
		}, "does not match the app, which looks like dotnet"},
		{"isolated app with in-process runtime", func(t *testing.T, o *Options) {
			o.AppPath = withFiles(t, map[string]string{"host.json": "{}",
				"worker.config.json": `{"description":{"language":"dotnet-isolated"}}`,
				"functions.metadata": `[{"name":"Orders"}]`})
		}, "looks like dotnet-isolated"},
		{"host ID too long in env", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=dotnet\n"+
				"AzureFunctionsWebHost__hostid="+strings.Repeat("h", 33)+"\n")
		}, "AzureFunctionsWebHost__hostid is longer than 32"},
		{"host ID too long in host.json", func(t *testing.T, o *Options) {
			files := appFiles()
			files["host.json"] = `{"version":"2.0","id":"` + strings.Repeat("i", 40) + `"}`
			o.AppPath = withFiles(t, files)
		}, "is longer than 32"},
		{"empty workers folder", func(t *testing.T, o *Options) {
			files := hostFiles()
			delete(files, "workers/node/worker.config.json")
			o.HostPath = withFiles(t, files)
			if err := os.Mkdir(filepath.Join(o.HostPath, "workers"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "will create an empty workers folder"},
		{"script-owned setting", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=dotnet\nASPNETCORE_URLS=x\n")
		}, "ASPNETCORE_URLS is set by the install script"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture(t)
			tt.change(t, &opts)
			findings, err := Preflight(opts)
			if err != nil {
				t.Fatalf("Preflight: %v", err)
			}
			if errs := errorsOf(findings); len(errs) != 0 {
				t.Fatalf("unexpected errors %v", errs)
			}
			if len(findings) != 1 || !strings.Contains(findings[0].Message, tt.message) {
				t.Fatalf("findings = %v, want one warning containing %q", findings, tt.message)
			}
			if findings[0].Severity != Warning || findings[0].Fix == "" {
				t.Errorf("finding %v: want a warning with a fix", findings[0])
			}
		})
	}
}

func TestPreflightAcceptsGoodInputs(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, o *Options)
	}{
		{"folders", func(*testing.T, *Options) {}},
		{"zips wrapped in a top folder", func(t *testing.T, o *Options) {
			var items []zipItem
			for name, body := range hostFiles() {
				items = append(items, zipItem{name: "publish/" + name, body: body})
			}
			o.HostPath = writeZip(t, filepath.Join(t.TempDir(), "h.zip"), items)
			items = nil
			for name, body := range appFiles() {
				items = append(items, zipItem{name: "app/" + name, body: body})
			}
			o.AppPath = writeZip(t, filepath.Join(t.TempDir(), "a.zip"), items)
		}},
		{"symlinks inside the folder", func(t *testing.T, o *Options) {
			alias := filepath.Join(o.AppPath, "bin", "Alias.dll")
			if err := os.Symlink("App.dll", alias); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("bin", filepath.Join(o.AppPath, "lib")); err != nil {
				t.Fatal(err)
			}
		}},
		{"zip symlink inside the zip", func(t *testing.T, o *Options) {
			o.HostPath = hostZipWith(t, zipItem{name: "alias.so",
				body: "runtimes/linux-x64/native/libfoo.so", mode: fs.ModeSymlink | 0o777})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture(t)
			tt.change(t, &opts)
			findings, err := Preflight(opts)
			if err != nil || len(findings) != 0 {
				t.Fatalf("Preflight = %v, %v; want no findings", findings, err)
			}
		})
	}
}

func TestInspectReadsAppAndHost(t *testing.T) {
	opts := fixture(t)
	files := appFiles()
	files["functions.metadata"] = `[{"name":"Isolated1"},{"name":"QueueWorker"}]`
	files["nested/Deep/function.json"] = `{}` // not a function folder: too deep
	opts.AppPath = withFiles(t, files)
	in, err := inspect(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	want := []string{"Isolated1", "QueueWorker", "TimerJob"}
	if strings.Join(in.functions, ",") != strings.Join(want, ",") {
		t.Errorf("functions = %v, want %v", in.functions, want)
	}
	if in.hostVersion != testHostVersion {
		t.Errorf("host version = %q, want %q", in.hostVersion, testHostVersion)
	}
}

func TestPreflightBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		change func(o *Options)
		want   string
	}{
		{"no host", func(o *Options) { o.HostPath = "" }, "pass --host"},
		{"no app", func(o *Options) { o.AppPath = "" }, "pass --app"},
		{"no env", func(o *Options) { o.EnvPath = "" }, "pass --env"},
		{"no OS", func(o *Options) { o.OS = "" }, "pass --os linux or --os windows"},
		{"bad OS", func(o *Options) { o.OS = "darwin" }, `OS "darwin" is not supported`},
		{"bad port", func(o *Options) { o.HealthPort = 70000 }, "health port 70000"},
		{"bad label", func(o *Options) { o.Label = "../x" }, `label "../x" is not usable`},
		{"bad client ID", func(o *Options) { o.IdentityClientID = "abc" }, "not a GUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture(t)
			tt.change(&opts)
			_, err := Preflight(opts)
			if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrOptions containing %q", err, tt.want)
			}
		})
	}
}

func TestPreflightMissingInputs(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, o *Options)
		want   string
	}{
		{"host path", func(t *testing.T, o *Options) {
			o.HostPath = filepath.Join(t.TempDir(), "none")
		}, "open host input"},
		{"app path", func(t *testing.T, o *Options) {
			o.AppPath = filepath.Join(t.TempDir(), "none")
		}, "pass --app an existing folder"},
		{"env path", func(t *testing.T, o *Options) {
			o.EnvPath = filepath.Join(t.TempDir(), "none")
		}, "open env file"},
		{"host not a zip", func(t *testing.T, o *Options) {
			o.HostPath = filepath.Join(t.TempDir(), "host.zip")
			if err := os.WriteFile(o.HostPath, []byte("not a zip"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "open host zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture(t)
			tt.change(t, &opts)
			_, err := Preflight(opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), "fix:") {
				t.Fatalf("err = %v, want one containing %q and a fix", err, tt.want)
			}
		})
	}
}

func TestPreflightNamesEnvLineOfWrongRuntime(t *testing.T) {
	opts := fixture(t)
	opts.EnvPath = withEnv(t, "# the worker\n\nFUNCTIONS_WORKER_RUNTIME=python\n")
	findings, err := Preflight(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || !strings.HasSuffix(findings[0].File, "bad.env:3") ||
		findings[0].Fix != "set FUNCTIONS_WORKER_RUNTIME=dotnet" {
		t.Fatalf("findings = %v, want one naming bad.env:3 with the fix", findings)
	}
}

// TestPreflightPointsAtNestedInputs checks that an input whose marker file lies deeper
// than the top gets a fix naming where it is.
func TestPreflightPointsAtNestedInputs(t *testing.T) {
	opts := fixture(t)
	var items []zipItem
	for name, body := range hostFiles() {
		items = append(items, zipItem{name: "out/publish/" + name, body: body})
	}
	items = append(items, zipItem{name: "README.txt", body: "build notes"})
	opts.HostPath = writeZip(t, filepath.Join(t.TempDir(), "host.zip"), items)
	opts.AppPath = withFiles(t, map[string]string{"bin/Release/host.json": `{"version":"2.0"}`})
	findings, err := Preflight(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		opts.HostPath: "it is at out/publish/" + WebHostDLL,
		opts.AppPath:  "it is at bin/Release/host.json",
	}
	for _, f := range errorsOf(findings) {
		if fix, ok := want[f.File]; ok && strings.Contains(f.Fix, fix) {
			delete(want, f.File)
		}
	}
	if len(want) != 0 {
		t.Errorf("findings %v lack fixes %v", findings, want)
	}
}

// TestPreflightIsolatedAppNeedsNoWorkers: a .NET isolated app brings its worker, so a host
// without a workers folder is no warning for it.
func TestPreflightIsolatedAppNeedsNoWorkers(t *testing.T) {
	opts := fixture(t)
	files := hostFiles()
	delete(files, "workers/node/worker.config.json")
	opts.HostPath = withFiles(t, files)
	opts.AppPath = withFiles(t, map[string]string{"host.json": "{}",
		"worker.config.json": `{"description":{"language":"dotnet-isolated"}}`,
		"functions.metadata": `[{"name":"Orders"}]`})
	opts.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=dotnet-isolated\n")
	findings, err := Preflight(opts)
	if err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	for _, f := range findings {
		if strings.Contains(f.Message, "workers") {
			t.Errorf("finding %v for an isolated app", f)
		}
	}
}
