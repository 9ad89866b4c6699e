package bundle

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"
)

// Result is a built bundle.
type Result struct {
	// Dir is OutDir/<label>, the folder to upload.
	Dir      string
	Manifest Manifest
	// Findings are what preflight found: warnings, or the errors that stopped the build.
	Findings []Finding
	// Reused is true when Dir already held this very bundle and was left as it was.
	Reused bool
}

// Build checks the inputs, then writes OutDir/<label>/ with host.zip, app.zip, app.env, the
// install script and manifest.json. It refuses (ErrPreflight, with the findings in the
// Result) when preflight finds errors. The bundle is written in a temporary folder beside the
// final one and renamed at the end, so OutDir/<label> is either complete or absent.
func Build(ctx context.Context, opts Options) (*Result, error) {
	if opts.OutDir == "" {
		return nil, fmt.Errorf("%w: no output folder: pass --out DIR", ErrOptions)
	}
	opts.report(Progress{Stage: StageCheck})
	in, err := inspect(opts)
	if err != nil {
		return nil, err
	}
	defer in.close()
	res := &Result{Findings: in.findings}
	if HasErrors(in.findings) {
		return res, preflightError(in.findings)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output folder: %w (fix: pass a writable --out)", err)
	}
	tmp, err := os.MkdirTemp(opts.OutDir, ".build-")
	if err != nil {
		return nil, fmt.Errorf("create temp folder in %s: %w", opts.OutDir, err)
	}
	defer os.RemoveAll(tmp)
	m, err := in.writeBundle(ctx, tmp)
	if err != nil {
		return nil, err
	}
	if err := publish(tmp, opts.OutDir, m, res); err != nil {
		return nil, err
	}
	total := in.host.totalSize() + in.app.totalSize()
	opts.report(Progress{Stage: StageWritten, Done: total, Total: total})
	return res, nil
}

// preflightError summarises the errors among findings.
func preflightError(findings []Finding) error {
	var errs []Finding
	for _, f := range findings {
		if f.Severity == Error {
			errs = append(errs, f)
		}
	}
	return fmt.Errorf("%w: %d error(s), the first: %s", ErrPreflight, len(errs), errs[0])
}

// writeBundle writes every file of the bundle into dir and returns its manifest.
func (in *inspection) writeBundle(ctx context.Context, dir string) (Manifest, error) {
	tracker := &progressTracker{opts: in.opts,
		total: in.host.totalSize() + in.app.totalSize()}
	zw := &zipWriter{tmpDir: dir, onRead: tracker.read, onProgress: tracker.poll}
	var files []File
	for _, z := range []struct {
		name string
		src  *source
	}{{HostZipName, in.host}, {AppZipName, in.app}} {
		tracker.start(z.name)
		f, err := writeZipFile(ctx, zw, filepath.Join(dir, z.name), z.src)
		if err != nil {
			return Manifest{}, err
		}
		files = append(files, f)
	}
	tracker.start(StageFinish)
	envFile, err := writeEnvFile(filepath.Join(dir, EnvFileName), in.env)
	if err != nil {
		return Manifest{}, err
	}
	files = append(files, envFile)
	return in.finish(dir, files)
}

// finish writes the install script and the manifest, deriving the label when none was given.
func (in *inspection) finish(dir string, files []File) (Manifest, error) {
	data := scriptData{HealthPort: in.opts.port(), ClientID: in.opts.IdentityClientID,
		HostSHA256: files[0].SHA256, AppSHA256: files[1].SHA256, HostDLL: WebHostDLL}
	label := in.opts.Label
	if label == "" {
		unlabelled, err := renderScript(in.opts.OS, data)
		if err != nil {
			return Manifest{}, fmt.Errorf("render install script: %w", err)
		}
		label = deriveLabel(in.opts.OS, files, unlabelled)
	}
	data.Label = label
	script, err := renderScript(in.opts.OS, data)
	if err != nil {
		return Manifest{}, fmt.Errorf("render install script: %w", err)
	}
	scriptPath := filepath.Join(dir, in.opts.scriptName())
	if err := os.WriteFile(scriptPath, script, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("write install script: %w", err)
	}
	scriptFile, err := hashFile(scriptPath)
	if err != nil {
		return Manifest{}, err
	}
	files = append(files, scriptFile)
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Name, b.Name) })
	m := in.manifest(label, files)
	return m, writeManifest(dir, m)
}

// manifest describes the bundle being written.
func (in *inspection) manifest(label string, files []File) Manifest {
	return Manifest{
		FormatVersion:    FormatVersion,
		Label:            label,
		OS:               in.opts.OS,
		CreatedAt:        time.Now().UTC().Truncate(time.Second),
		HealthPort:       in.opts.port(),
		IdentityClientID: in.opts.IdentityClientID,
		HostVersion:      in.hostVersion,
		InstallScript:    in.opts.scriptName(),
		Functions:        nonNil(in.functions),
		EnvKeys:          envKeys(in.env),
		Files:            files,
	}
}

// deriveLabel names a bundle after its content: the same inputs give the same label. The
// script is hashed as rendered without a label, since the label goes into it afterwards.
func deriveLabel(goos string, files []File, unlabelledScript []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "spotdeck bundle %d\nos %s\n", FormatVersion, goos)
	for _, f := range files {
		fmt.Fprintf(h, "%s %s\n", f.Name, f.SHA256)
	}
	script := sha256.Sum256(unlabelledScript)
	fmt.Fprintf(h, "script %s\n", hex.EncodeToString(script[:]))
	return "b-" + hex.EncodeToString(h.Sum(nil))[:10]
}

// writeZipFile writes src as a zip at p and returns its size and hash.
func writeZipFile(ctx context.Context, zw *zipWriter, p string, src *source) (File, error) {
	f, err := os.Create(p)
	if err != nil {
		return File{}, fmt.Errorf("create %s: %w", p, err)
	}
	defer f.Close()
	buffered := bufio.NewWriterSize(f, 1<<20)
	h := sha256.New()
	counted := &countWriter{w: io.MultiWriter(buffered, h)}
	if err := zw.write(ctx, counted, src); err != nil {
		return File{}, fmt.Errorf("write %s: %w", filepath.Base(p), err)
	}
	if err := buffered.Flush(); err != nil {
		return File{}, fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return File{}, fmt.Errorf("write %s: %w", p, err)
	}
	return File{Name: filepath.Base(p), SHA256: hex.EncodeToString(h.Sum(nil)),
		Size: counted.n}, nil
}

// writeEnvFile writes the app settings readable by the owner only: they are secrets.
func writeEnvFile(p string, vars []EnvVar) (File, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return File{}, fmt.Errorf("create %s: %w", p, err)
	}
	if err := writeEnv(f, vars); err != nil {
		f.Close()
		return File{}, fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return File{}, fmt.Errorf("write %s: %w", p, err)
	}
	return hashFile(p)
}

// publish renames the finished temp folder to outDir/<label>. When that folder exists and
// holds the same files it is kept (the build is a no-op); different files are an error.
func publish(tmp, outDir string, m Manifest, res *Result) error {
	target := filepath.Join(outDir, m.Label)
	res.Dir = target
	_, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Chmod(tmp, 0o755); err != nil {
			return err
		}
		if err := os.Rename(tmp, target); err == nil {
			res.Manifest = m
			return nil
		}
	}
	old, err := ReadManifest(target)
	if err != nil || !slices.Equal(old.Files, m.Files) {
		return fmt.Errorf("%w: %s already exists with other content (fix: pass another "+
			"--label or remove the folder)", ErrLabelTaken, target)
	}
	res.Manifest = old
	res.Reused = true
	return nil
}

// progressTracker counts the input bytes the compressors have read, from any goroutine, and
// reports them from Build's goroutine about every half percent, not on every entry.
type progressTracker struct {
	opts  Options
	stage string
	total int64
	done  atomic.Int64
	sent  int64
}

// start enters a new stage and reports it.
func (t *progressTracker) start(stage string) {
	t.stage = stage
	t.send()
}

// read counts n more input bytes read; safe for concurrent use.
func (t *progressTracker) read(n int64) { t.done.Add(n) }

// poll reports when enough bytes were read since the last report.
func (t *progressTracker) poll() {
	if t.current()-t.sent >= max(t.total/200, 1) {
		t.send()
	}
}

// current is the bytes read so far; a file that grew since it was listed is not counted
// beyond the total.
func (t *progressTracker) current() int64 { return min(t.done.Load(), t.total) }

// send reports the current state.
func (t *progressTracker) send() {
	t.sent = t.current()
	t.opts.report(Progress{Stage: t.stage, Done: t.sent, Total: t.total})
}

// nonNil turns a nil slice into an empty one, so JSON shows [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
