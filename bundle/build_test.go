package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mustBuild builds and fails the test on error.
func mustBuild(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return res
}

func TestBuildIsDeterministic(t *testing.T) {
	opts := fixture(t)
	first := mustBuild(t, opts)
	opts.OutDir = filepath.Join(t.TempDir(), "again")
	// Touch every input: times must not reach the zips.
	later := time.Now().Add(time.Hour)
	err := filepath.WalkDir(opts.HostPath, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, later, later)
	})
	if err != nil {
		t.Fatal(err)
	}
	second := mustBuild(t, opts)
	if first.Manifest.Label != second.Manifest.Label {
		t.Errorf("labels differ: %s and %s", first.Manifest.Label, second.Manifest.Label)
	}
	if !slices.Equal(first.Manifest.Files, second.Manifest.Files) {
		t.Errorf("files differ:\n%v\n%v", first.Manifest.Files, second.Manifest.Files)
	}
	if !strings.HasPrefix(first.Manifest.Label, "b-") || len(first.Manifest.Label) != 12 {
		t.Errorf("label %q, want b- and 10 hex digits", first.Manifest.Label)
	}
}

func TestBuildZipInputGivesSameHostZip(t *testing.T) {
	opts := fixture(t)
	fromDir := mustBuild(t, opts)
	// As macOS zips a folder: its resource forks ride along under __MACOSX/.
	items := []zipItem{{name: "__MACOSX/published/._" + WebHostDLL, body: "fork"}}
	for name, body := range hostFiles() {
		items = append(items, zipItem{name: "published/" + name, body: body, mode: 0o644})
	}
	opts.HostPath = writeZip(t, filepath.Join(t.TempDir(), "host.zip"), items)
	opts.OutDir = t.TempDir()
	fromZip := mustBuild(t, opts)
	a, _ := fromDir.Manifest.File(HostZipName)
	b, _ := fromZip.Manifest.File(HostZipName)
	if a != b {
		t.Errorf("host.zip from a folder %v, from a zip %v: want the same", a, b)
	}
}

func TestBuildLabelFollowsContent(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, o *Options)
	}{
		{"health port", func(_ *testing.T, o *Options) { o.HealthPort = 9090 }},
		{"os", func(_ *testing.T, o *Options) { o.OS = OSWindows }},
		{"identity", func(_ *testing.T, o *Options) {
			o.IdentityClientID = "11111111-2222-3333-4444-555555555555"
		}},
		{"env value", func(t *testing.T, o *Options) {
			o.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=dotnet\nA=other\n")
		}},
		{"app file", func(t *testing.T, o *Options) {
			files := appFiles()
			files["bin/App.dll"] = "new build"
			o.AppPath = withFiles(t, files)
		}},
	}
	base := mustBuild(t, fixture(t)).Manifest
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture(t)
			tt.change(t, &opts)
			got := mustBuild(t, opts).Manifest
			if got.Label == base.Label {
				t.Errorf("label %s did not change", got.Label)
			}
		})
	}
}

func TestBuildManifest(t *testing.T) {
	opts := fixture(t)
	opts.IdentityClientID = "11111111-2222-3333-4444-555555555555"
	res := mustBuild(t, opts)
	m, err := ReadManifest(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(res.Dir); err != nil {
		t.Errorf("Verify: %v", err)
	}
	wantNames := []string{EnvFileName, AppZipName, HostZipName, LinuxScriptName}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"format version", m.FormatVersion == FormatVersion},
		{"label is the folder", filepath.Base(res.Dir) == m.Label},
		{"os", m.OS == OSLinux},
		{"health port", m.HealthPort == DefaultHealthPort},
		{"identity", m.IdentityClientID == opts.IdentityClientID},
		{"host version", m.HostVersion == testHostVersion},
		{"install script", m.InstallScript == LinuxScriptName},
		{"functions", slices.Equal(m.Functions, []string{"QueueWorker", "TimerJob"})},
		{"env keys", slices.Equal(m.EnvKeys, []string{"FUNCTIONS_WORKER_RUNTIME",
			"AzureWebJobsStorage", "ServiceBus__fullyQualifiedNamespace"})},
		{"files", slices.Equal(names, wantNames)},
		{"created recently", time.Since(m.CreatedAt) < time.Minute},
		{"result matches file", slices.Equal(m.Files, res.Manifest.Files)},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("manifest %+v fails the check", m)
			}
		})
	}
}

func TestManifestVerifySpotsChanges(t *testing.T) {
	res := mustBuild(t, fixture(t))
	if err := os.WriteFile(filepath.Join(res.Dir, AppZipName), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := res.Manifest.Verify(res.Dir)
	if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), AppZipName) {
		t.Fatalf("Verify = %v, want ErrManifest naming app.zip", err)
	}
}

func TestReadManifestRejects(t *testing.T) {
	good := `{"formatVersion":1,"label":"b-1","os":"linux","files":[{"name":"app.zip",` +
		`"sha256":"` + strings.Repeat("a", 64) + `","size":1}]}`
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", "{", "not valid JSON"},
		{"future format", strings.Replace(good, `"formatVersion":1`, `"formatVersion":9`, 1),
			"format version 9"},
		{"bad label", strings.Replace(good, `"b-1"`, `"../x"`, 1), "not usable"},
		{"bad os", strings.Replace(good, `"linux"`, `"plan9"`, 1), "plan9"},
		{"path in name", strings.Replace(good, `"app.zip"`, `"../app.zip"`, 1), "not a plain"},
		{"bad hash", strings.Replace(good, strings.Repeat("a", 64), "abc", 1), "bad sha256"},
		{"no files", `{"formatVersion":1,"label":"b-1","os":"linux","files":[]}`, "no files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, ManifestName)
			if err := os.WriteFile(p, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadManifest(dir)
			if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrManifest containing %q", err, tt.want)
			}
		})
	}
	if _, err := ReadManifest(t.TempDir()); !errors.Is(err, ErrManifest) {
		t.Errorf("missing manifest: err = %v, want ErrManifest", err)
	}
}

func TestEnvValuesStayInEnvFile(t *testing.T) {
	for _, goos := range []string{OSLinux, OSWindows} {
		t.Run(goos, func(t *testing.T) {
			opts := fixture(t)
			opts.OS = goos
			res := mustBuild(t, opts)
			err := filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				has := bytes.Contains(data, []byte(secretValue))
				if isEnv := d.Name() == EnvFileName; has != isEnv {
					t.Errorf("%s: holds the secret = %v, want %v", d.Name(), has, isEnv)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(filepath.Join(res.Dir, EnvFileName))
			if err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("app.env mode = %v (%v), want 0600", info.Mode(), err)
			}
		})
	}
}

func TestBuildRefusesOnPreflightErrors(t *testing.T) {
	opts := fixture(t)
	opts.EnvPath = withEnv(t, "FUNCTIONS_WORKER_RUNTIME=dotnet\nKEY=PLACEHOLDER\n")
	res, err := Build(context.Background(), opts)
	if !errors.Is(err, ErrPreflight) || !strings.Contains(err.Error(), "KEY") {
		t.Fatalf("err = %v, want ErrPreflight naming KEY", err)
	}
	if res == nil || !HasErrors(res.Findings) {
		t.Errorf("result %+v, want the findings", res)
	}
	if _, err := os.Stat(opts.OutDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("output folder written despite errors (stat: %v)", err)
	}
}

func TestBuildReusesAndProtectsLabels(t *testing.T) {
	opts := fixture(t)
	first := mustBuild(t, opts)
	again := mustBuild(t, opts)
	if !again.Reused || again.Dir != first.Dir || !again.Manifest.CreatedAt.Equal(
		first.Manifest.CreatedAt) {
		t.Errorf("rebuild = %+v, want the first bundle reused", again)
	}
	opts.Label = first.Manifest.Label
	opts.HealthPort = 9999
	_, err := Build(context.Background(), opts)
	if !errors.Is(err, ErrLabelTaken) {
		t.Fatalf("err = %v, want ErrLabelTaken", err)
	}
	entries, _ := os.ReadDir(opts.OutDir)
	if len(entries) != 1 {
		t.Errorf("output folder holds %d entries, want only the first bundle", len(entries))
	}
}

func TestBuildCancelled(t *testing.T) {
	opts := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(opts.OutDir)
	if len(entries) != 0 {
		t.Errorf("output folder holds %v after a cancelled build", entries)
	}
}

func TestBuildProgress(t *testing.T) {
	opts := fixture(t)
	var got []Progress
	opts.Progress = func(p Progress) { got = append(got, p) }
	mustBuild(t, opts)
	if len(got) < 4 || got[0].Stage != StageCheck || got[len(got)-1].Stage != StageWritten {
		t.Fatalf("progress = %v, want check ... written", got)
	}
	for i := 1; i < len(got)-1; i++ {
		if got[i].Done < got[i-1].Done || got[i].Done > got[i].Total {
			t.Errorf("progress step %d = %+v after %+v: not monotonic", i, got[i], got[i-1])
		}
	}
	last := got[len(got)-2]
	if last.Stage != StageFinish || last.Done != last.Total || last.Total == 0 {
		t.Errorf("last byte report = %+v, want finish with all bytes done", last)
	}
}

func TestZipContents(t *testing.T) {
	opts := fixture(t)
	// Compresses to more than spillAt: it goes through a spill file.
	compressible := appendDLLLike(mathrand.New(mathrand.NewPCG(1, 2)), nil, 4*spillAt)
	random := make([]byte, smallFile+12345)
	rand.Read(random)
	extra := map[string]string{
		"big/compressible.dll": string(compressible),
		"big/random.bin":       string(random),
		"tools/run.sh":         "#!/bin/sh\n",
		"empty.txt":            "",
		"ünïcode.json":         "{}",
	}
	writeTree(t, opts.HostPath, extra)
	if err := os.Chmod(filepath.Join(opts.HostPath, "tools", "run.sh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(opts.HostPath, "emptydir"), 0o700); err != nil {
		t.Fatal(err)
	}
	res := mustBuild(t, opts)

	zr, err := zip.OpenReader(filepath.Join(res.Dir, HostZipName))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := hostFiles()
	for k, v := range extra {
		want[k] = v
	}
	checkZipEntries(t, zr.File, want)
}

// checkZipEntries checks order, times, modes, methods and contents of a bundle zip.
func checkZipEntries(t *testing.T, files []*zip.File, want map[string]string) {
	t.Helper()
	seen := 0
	for i, f := range files {
		if i > 0 && files[i-1].Name >= f.Name {
			t.Errorf("entries out of order: %s before %s", files[i-1].Name, f.Name)
		}
		if f.ModifiedDate != dosDate1980 || f.ModifiedTime != 0 {
			t.Errorf("%s: time %v, want 1980-01-01", f.Name, f.Modified)
		}
		if f.Mode().IsDir() {
			if f.Mode() != dirMode {
				t.Errorf("%s: mode %v, want %v", f.Name, f.Mode(), dirMode)
			}
			continue
		}
		wantMode := fs.FileMode(fileMode)
		if f.Name == "tools/run.sh" {
			wantMode = execMode
		}
		if f.Mode() != wantMode {
			t.Errorf("%s: mode %v, want %v", f.Name, f.Mode(), wantMode)
		}
		if f.Name == "big/random.bin" && f.Method != zip.Store {
			t.Errorf("%s: random data deflated, want stored", f.Name)
		}
		if f.Name == "big/compressible.dll" && (f.Method != zip.Deflate ||
			f.CompressedSize64 <= spillAt || f.CompressedSize64 >= f.UncompressedSize64) {
			t.Errorf("%s: method %d, %d bytes packed: want deflated beyond spillAt", f.Name,
				f.Method, f.CompressedSize64)
		}
		checkZipBody(t, f, want)
		seen++
	}
	if seen != len(want) {
		t.Errorf("zip holds %d files, want %d", seen, len(want))
	}
}

// checkZipBody compares one entry's content with want.
func checkZipBody(t *testing.T, f *zip.File, want map[string]string) {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	w, ok := want[f.Name]
	if !ok || string(body) != w {
		t.Errorf("%s: content differs or unexpected (expected: %v)", f.Name, ok)
	}
}

func TestBuildOutDirRequired(t *testing.T) {
	opts := fixture(t)
	opts.OutDir = ""
	if _, err := Build(context.Background(), opts); !errors.Is(err, ErrOptions) {
		t.Fatalf("err = %v, want ErrOptions", err)
	}
}

func TestBuildMemoryStaysBounded(t *testing.T) {
	const files, fileSize = 48, 512 << 10
	opts := fixture(t)
	rng := mathrand.New(mathrand.NewPCG(7, 7))
	for i := range files {
		body := appendDLLLike(rng, nil, fileSize)[:fileSize]
		writeFile(t, filepath.Join(opts.HostPath, "lib", strconv.Itoa(i)+".dll"), body)
	}
	var peak uint64
	var next int64
	opts.Progress = func(p Progress) {
		if p.Stage != StageHost || p.Done < next {
			return
		}
		next = p.Done + p.Total/16
		// Live heap only: collect first, so garbage waiting for the collector is not
		// counted.
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	mustBuild(t, opts)
	t.Logf("peak live heap %.1f MB for %d MB of input", float64(peak)/(1<<20),
		files*fileSize>>20)
	// The bound is the window of packed entries and the compressors, not the input size.
	_, window := pipelineShape()
	maxLiveHeap := uint64(8<<20 + window*(3<<19))
	if peak > maxLiveHeap {
		t.Errorf("peak live heap %d bytes, want at most %d: entries are kept after writing",
			peak, maxLiveHeap)
	}
}

// TestBuildDamagedZipInput damages the compressed data of one entry of a host zip: the
// build must fail naming the entry and the fix, and leave nothing in the output folder.
func TestBuildDamagedZipInput(t *testing.T) {
	opts := fixture(t)
	var items []zipItem
	for name, body := range hostFiles() {
		items = append(items, zipItem{name: name, body: body})
	}
	items = append(items, zipItem{name: "lib/Damaged.dll",
		body: strings.Repeat("assembly bytes ", 20000)})
	opts.HostPath = writeZip(t, filepath.Join(t.TempDir(), "host.zip"), items)
	damageEntry(t, opts.HostPath, "lib/Damaged.dll")

	_, err := Build(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "lib/Damaged.dll") ||
		!strings.Contains(err.Error(), "fix: the input zip is damaged") {
		t.Fatalf("err = %v, want one naming lib/Damaged.dll and the fix", err)
	}
	left, _ := os.ReadDir(opts.OutDir)
	if len(left) != 0 {
		t.Errorf("the failed build left %v in the output folder", left)
	}
}

// damageEntry flips bytes in the middle of an entry's compressed data.
func damageEntry(t *testing.T, zipPath, name string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	var offset, length int64
	for _, f := range zr.File {
		if f.Name == name {
			offset, err = f.DataOffset()
			length = int64(f.CompressedSize64)
		}
	}
	zr.Close()
	if err != nil || length == 0 {
		t.Fatalf("entry %s not found: %v", name, err)
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	for i := offset + length/3; i < offset+length/3+16; i++ {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(zipPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
