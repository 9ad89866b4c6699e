package azure

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"spotdeck/azure/storagetest"
	"spotdeck/bundle"
)

// testBundle is a bundle folder written by a test, with the content of each file.
type testBundle struct {
	dir   string
	files map[string][]byte
}

// writeTestBundle writes files and a manifest listing them into root/<label>, the layout
// bundle.Build produces.
func writeTestBundle(t *testing.T, root, label string, files map[string][]byte) testBundle {
	t.Helper()
	dir := filepath.Join(root, label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := bundle.Manifest{FormatVersion: bundle.FormatVersion, Label: label,
		OS: bundle.OSLinux, CreatedAt: time.Now().UTC().Truncate(time.Second),
		HealthPort: bundle.DefaultHealthPort, InstallScript: bundle.LinuxScriptName,
		Functions: []string{"Ping"}, EnvKeys: []string{"FUNCTIONS_WORKER_RUNTIME"}}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, bundle.File{Name: name,
			SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
	}
	slices.SortFunc(m.Files, func(a, b bundle.File) int { return strings.Compare(a.Name, b.Name) })
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, bundle.ManifestName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return testBundle{dir: dir, files: files}
}

// bundleFiles returns the usual files of a bundle; host and app sizes are chosen by the
// test, their bytes are random so they do not compress and differ between seeds.
func bundleFiles(hostSeed, appSeed uint64, hostSize, appSize int) map[string][]byte {
	return map[string][]byte{
		bundle.HostZipName:     randomBytes(hostSeed, hostSize),
		bundle.AppZipName:      randomBytes(appSeed, appSize),
		bundle.EnvFileName:     []byte("FUNCTIONS_WORKER_RUNTIME=dotnet-isolated\n" + envSecret),
		bundle.LinuxScriptName: []byte("#!/bin/sh\necho install\n"),
	}
}

// envSecret is an env line whose value must never show in any output.
const envSecret = "AzureWebJobsStorage=DefaultEndpointsProtocol=https;AccountKey=" +
	"c2VjcmV0LWtleS1tdXN0LW5vdC1sZWFr\n"

// envSecretValue is the part of envSecret that is secret.
const envSecretValue = "c2VjcmV0LWtleS1tdXN0LW5vdC1sZWFr"

// randomBytes returns n bytes that a seed determines.
func randomBytes(seed uint64, n int) []byte {
	r := mathrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	data := make([]byte, n)
	_, _ = r.Read(data)
	return data
}

// testStorage returns the options for the emulator, or skips the test without one.
func testStorage(t *testing.T) StorageOptions {
	t.Helper()
	return StorageOptions{ConnectionString: storagetest.ConnectionString(t)}
}

// newTestContainer returns a fresh container name, so tests never share state.
func newTestContainer(t *testing.T) string {
	t.Helper()
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	return "up-" + hex.EncodeToString(suffix)
}

// containerClient opens a container for the assertions of a test, apart from the code
// under test.
func containerClient(t *testing.T, opts StorageOptions, name string) *container.Client {
	t.Helper()
	conn, err := ParseConnectionString(opts.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	explicit := "AccountName=" + conn.AccountName + ";AccountKey=" + conn.AccountKey +
		";BlobEndpoint=" + conn.BlobEndpoint
	client, err := container.NewClientFromConnectionString(explicit, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// download reads a whole blob through the test's own client.
func download(t *testing.T, c *container.Client, name string) []byte {
	t.Helper()
	resp, err := c.NewBlobClient(name).DownloadStream(context.Background(), nil)
	if err != nil {
		t.Fatalf("download %s: %v", name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("download %s: %v", name, err)
	}
	return data
}

// blobExists tells whether a blob is in the container.
func blobExists(t *testing.T, c *container.Client, name string) bool {
	t.Helper()
	_, err := c.NewBlobClient(name).GetProperties(context.Background(), nil)
	if isNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatalf("properties of %s: %v", name, err)
	}
	return true
}

// sha256Hex returns the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// testContext bounds a test's calls to the emulator.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
