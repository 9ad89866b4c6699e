package bundle

import (
	"archive/zip"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// testHostVersion is the file version put into the fake WebHost dll.
const testHostVersion = "4.1036.1.23224"

// writeTree creates files (slash paths relative to root) with the given contents.
func writeTree(t testing.TB, root string, files map[string]string) string {
	t.Helper()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), []byte(body))
	}
	return root
}

// zipItem is one entry of a hand-made zip; names are written as given, unchecked.
type zipItem struct {
	name string
	body string
	mode fs.FileMode
}

// writeZip writes items as a zip at p.
func writeZip(t *testing.T, p string, items []zipItem) string {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, it := range items {
		fh := &zip.FileHeader{Name: it.name, Method: zip.Deflate}
		if it.mode != 0 {
			fh.SetMode(it.mode)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(it.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeDLL returns bytes shaped like a .NET dll's version resource, between filler bytes.
func fakeDLL(ms, ls uint32, filler int) []byte {
	out := make([]byte, 0, filler*2+64)
	for i := range filler {
		out = append(out, byte(i*7))
	}
	out = append(out, 0x5c, 0x03, 0x34, 0x00, 0x00, 0x00) // wLength, wValueLength, wType
	out = append(out, versionInfoKey...)
	out = append(out, 0, 0) // padding to 32 bits
	for _, v := range []uint32{fixedFileInfoSignature, 0x00010000, ms, ls, ms, ls} {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	for i := range filler {
		out = append(out, byte(i*13))
	}
	return out
}

// hostFiles is a small host build: the WebHost dll with a version resource, and a worker.
func hostFiles() map[string]string {
	files := map[string]string{
		WebHostDLL:                            string(fakeDLL(4<<16|1036, 1<<16|23224, 3000)),
		"Microsoft.Azure.WebJobs.Script.dll":  "library bytes",
		"workers/node/worker.config.json":     `{"description":{"language":"node"}}`,
		"runtimes/linux-x64/native/libfoo.so": "native",
	}
	files["Microsoft.Azure.WebJobs.Script.WebHost.runtimeconfig.json"] = "{}"
	return files
}

// appFiles is a small in-process .NET function app with two functions.
func appFiles() map[string]string {
	return map[string]string{
		"host.json":                 `{"version":"2.0"}`,
		"QueueWorker/function.json": `{"scriptFile":"../bin/App.dll","bindings":[]}`,
		"TimerJob/function.json":    `{"scriptFile":"../bin/App.dll","bindings":[]}`,
		"bin/App.dll":               "app assembly",
	}
}

// testEnv is an env file whose values must never leave app.env.
const testEnv = `# settings
FUNCTIONS_WORKER_RUNTIME=dotnet
AzureWebJobsStorage=DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=s3cr3t-Key-Value==
ServiceBus__fullyQualifiedNamespace="sb-unique-namespace-value.servicebus.windows.net"
`

// secretValue is a value from testEnv that must appear in app.env only.
const secretValue = "s3cr3t-Key-Value=="

// fixture lays out a host folder, an app folder and an env file, and returns options for them.
func fixture(t *testing.T) Options {
	t.Helper()
	dir := t.TempDir()
	host := writeTree(t, filepath.Join(dir, "host"), hostFiles())
	app := writeTree(t, filepath.Join(dir, "app"), appFiles())
	env := filepath.Join(dir, "app.env")
	if err := os.WriteFile(env, []byte(testEnv), 0o600); err != nil {
		t.Fatal(err)
	}
	return Options{HostPath: host, AppPath: app, EnvPath: env, OS: OSLinux,
		OutDir: filepath.Join(dir, "out")}
}

// errorsOf returns the error findings.
func errorsOf(findings []Finding) []Finding {
	var out []Finding
	for _, f := range findings {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}
