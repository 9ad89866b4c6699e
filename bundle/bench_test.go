package bundle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// benchSizeEnv sets the size in MB of the generated host tree; benchDefaultMB keeps
// `go test -bench` quick.
const (
	benchSizeEnv   = "SPOTDECK_BENCH_MB"
	benchDefaultMB = 20
)

// benchVocabulary feeds identifiers and text into generated files.
var benchVocabulary = []string{
	"Microsoft", "Azure", "WebJobs", "Script", "Host", "Extensions", "Logging", "Options",
	"Configuration", "DependencyInjection", "System", "Collections", "Generic", "Threading",
	"Tasks", "Storage", "Queues", "Blobs", "Diagnostics", "Runtime", "CompilerServices",
	"get_Value", "set_Value", "InvokeAsync", "CancellationToken", "ILogger", "Dispose",
	"version", "dependencies", "runtimeTarget", "serviceable", "sha512", "path", "type",
}

// benchSize returns the tree size asked for through the environment.
func benchSize(t testing.TB) int64 {
	mb := benchDefaultMB
	if s := os.Getenv(benchSizeEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number of MB", benchSizeEnv, s)
		}
		mb = n
	}
	return int64(mb) << 20
}

// genHostTree writes a tree shaped like a host build: thousands of files, mostly small,
// about 60% dll-like binary, 30% text and 10% already compressed data. It is seeded, so the
// same size gives the same tree.
func genHostTree(t testing.TB, dir string, total int64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(total)))
	writeFile(t, filepath.Join(dir, WebHostDLL), fakeDLL(4<<16|1036, 1<<16|23224, 4096))
	var written int64
	for i := 0; written < total; i++ {
		kind := rng.IntN(10)
		name := benchFileName(rng, i, kind)
		body := benchContent(rng, kind, benchFileSize(rng))
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), body)
		written += int64(len(body))
	}
}

// writeFile writes a file, creating its folder.
func writeFile(t testing.TB, p string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// benchFileSize draws a file size: mostly small files, some medium, a few large; about
// 75 KB on average, so 200 MB makes some 2,700 files.
func benchFileSize(rng *rand.Rand) int {
	switch r := rng.IntN(1000); {
	case r < 800:
		return 1<<10 + rng.IntN(23<<10)
	case r < 985:
		return 24<<10 + rng.IntN(276<<10)
	default:
		return 512<<10 + rng.IntN(7<<19)
	}
}

// benchFileName places file i in a folder layout like a host's.
func benchFileName(rng *rand.Rand, i, kind int) string {
	dirs := []string{"", "runtimes/win-x64/native", "runtimes/linux-x64/lib/net8.0",
		"workers/python/3.11/LINUX/X64", "workers/node/dist", "workers/powershell/7.4/Modules",
		"en", "de", "ja", "zh-Hans"}
	ext := ".dll"
	switch {
	case kind >= 6 && kind < 9:
		ext = []string{".json", ".xml", ".pdb.txt"}[rng.IntN(3)]
	case kind == 9:
		ext = ".nupkg"
	}
	word := benchVocabulary[rng.IntN(len(benchVocabulary))]
	return filepath.ToSlash(filepath.Join(dirs[rng.IntN(len(dirs))],
		fmt.Sprintf("Microsoft.%s.%d%s", word, i, ext)))
}

// benchContent makes size bytes of the given kind: 0-5 dll-like, 6-8 text, 9 random.
func benchContent(rng *rand.Rand, kind, size int) []byte {
	out := make([]byte, 0, size+64)
	switch {
	case kind == 9:
		for len(out) < size {
			out = append(out, byte(rng.Uint32()))
		}
	case kind >= 6:
		for n := 0; len(out) < size; n++ {
			out = fmt.Appendf(out, "  {\"%s\": \"%s.%s/%d.%d\", \"%s\": \"sha512-%x\"},\n",
				pick(rng), pick(rng), pick(rng), n%9, rng.IntN(40), pick(rng), rng.Uint32())
		}
	default:
		out = appendDLLLike(rng, out, size)
	}
	return out[:size]
}

// appendDLLLike appends a mix of random runs, identifiers and small integers, which
// compresses about like a .NET assembly.
func appendDLLLike(rng *rand.Rand, out []byte, size int) []byte {
	for len(out) < size {
		switch r := rng.IntN(100); {
		case r < 30:
			for range 8 + rng.IntN(40) {
				out = append(out, byte(rng.Uint32()))
			}
		case r < 70:
			out = append(out, pick(rng)...)
			out = append(out, 0)
		default:
			for range 4 {
				out = append(out, byte(rng.IntN(16)), 0, 0, byte(rng.IntN(3)))
			}
		}
	}
	return out
}

// pick draws a word of the vocabulary.
func pick(rng *rand.Rand) string { return benchVocabulary[rng.IntN(len(benchVocabulary))] }

// benchOptions generates a host tree of the asked size and returns options building it.
func benchOptions(t testing.TB) Options {
	t.Helper()
	dir := t.TempDir()
	host := filepath.Join(dir, "host")
	genHostTree(t, host, benchSize(t))
	app := writeTree(t, filepath.Join(dir, "app"), appFiles())
	env := filepath.Join(dir, "app.env")
	writeFile(t, env, []byte(testEnv))
	return Options{HostPath: host, AppPath: app, EnvPath: env, OS: OSLinux,
		OutDir: filepath.Join(dir, "out")}
}

// heapPeak samples the heap in use until stop is called and returns the peak in MB.
func heapPeak() (stop func() float64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse+ms.StackInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak) / (1 << 20)
	}
}

func BenchmarkBuild(b *testing.B) {
	opts := benchOptions(b)
	b.SetBytes(benchSize(b))
	stop := heapPeak()
	for i := 0; b.Loop(); i++ {
		opts.OutDir = filepath.Join(b.TempDir(), strconv.Itoa(i))
		if _, err := Build(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(stop(), "peak-heap-MB")
}
