package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"spotdeck/bundle"
)

// TestUploadBundleSendsThenReusesThenCopies runs the life of a container: a first upload
// sends everything, the same bundle again sends nothing, and a rebuild with only a new
// app sends only the app (and its manifest).
func TestUploadBundleSendsThenReusesThenCopies(t *testing.T) {
	opts := testStorage(t)
	ctx := testContext(t)
	name := newTestContainer(t)
	root := t.TempDir()
	first := writeTestBundle(t, root, "release-1", bundleFiles(1, 2, 3<<20, 300<<10))
	up := UploadOptions{BlockSize: 1 << 20}

	t.Run("first upload sends every file", func(t *testing.T) {
		res, err := UploadBundle(ctx, opts, first.dir, name, up)
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		for _, f := range res.Files {
			want += f.Size
			if f.How != FileSent || f.BytesSent != f.Size {
				t.Errorf("%s: how %q, sent %d of %d; want all sent", f.Name, f.How,
					f.BytesSent, f.Size)
			}
		}
		if res.BytesSent != want {
			t.Errorf("BytesSent = %d, want %d", res.BytesSent, want)
		}
		assertBlobsMatch(t, containerClient(t, opts, name), "release-1", first)
	})

	t.Run("same bundle again sends nothing", func(t *testing.T) {
		res, err := UploadBundle(ctx, opts, first.dir, name, up)
		if err != nil {
			t.Fatal(err)
		}
		if res.BytesSent != 0 || len(res.Names(FileKept)) != len(res.Files) {
			t.Errorf("sent %d bytes, kept %v of %d files; want 0 bytes, all kept",
				res.BytesSent, res.Names(FileKept), len(res.Files))
		}
	})

	t.Run("new app only sends the app", func(t *testing.T) {
		second := writeTestBundle(t, root, "release-2", bundleFiles(1, 3, 3<<20, 300<<10))
		res, err := UploadBundle(ctx, opts, second.dir, name, up)
		if err != nil {
			t.Fatal(err)
		}
		host, _ := res.File(bundle.HostZipName)
		if host.How != FileCopied || host.BytesSent != 0 {
			t.Errorf("host.zip: how %q, %d bytes sent; want copied, 0 bytes", host.How,
				host.BytesSent)
		}
		if got, want := res.Names(FileSent), []string{bundle.AppZipName,
			bundle.ManifestName}; !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
		app, _ := res.File(bundle.AppZipName)
		manifest, _ := res.File(bundle.ManifestName)
		if res.BytesSent != app.Size+manifest.Size {
			t.Errorf("BytesSent = %d, want app %d + manifest %d", res.BytesSent, app.Size,
				manifest.Size)
		}
		assertBlobsMatch(t, containerClient(t, opts, name), "release-2", second)
	})
}

// assertBlobsMatch downloads every file of a bundle from <label>/ and compares hashes.
func assertBlobsMatch(t *testing.T, client *container.Client, label string, b testBundle) {
	t.Helper()
	for fileName, data := range b.files {
		got := download(t, client, labelBlob(label, fileName))
		if sha256Hex(got) != sha256Hex(data) {
			t.Errorf("%s/%s: downloaded bytes differ from the local file", label, fileName)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(b.dir, bundle.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if got := download(t, client, labelBlob(label, bundle.ManifestName)); string(got) !=
		string(manifest) {
		t.Errorf("%s/manifest.json differs from the local one", label)
	}
}

func TestUploadBundleWritesManifestLast(t *testing.T) {
	opts := testStorage(t)
	b := writeTestBundle(t, t.TempDir(), "ordered", bundleFiles(4, 5, 200<<10, 100<<10))
	var mu sync.Mutex
	var order []string
	up := UploadOptions{blobWritten: func(blob string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, blob)
	}}
	if _, err := UploadBundle(testContext(t), opts, b.dir, newTestContainer(t), up); err != nil {
		t.Fatal(err)
	}
	if len(order) != len(b.files)+1 {
		t.Fatalf("blobs written: %v; want %d", order, len(b.files)+1)
	}
	if last := order[len(order)-1]; last != "ordered/"+bundle.ManifestName {
		t.Errorf("last blob written is %s, want the manifest; order %v", last, order)
	}
}

// TestUploadBundleResumes interrupts the upload of a large file and checks that the next
// run sends only the blocks that had not arrived, and that no manifest was visible in
// between.
func TestUploadBundleResumes(t *testing.T) {
	opts := testStorage(t)
	name := newTestContainer(t)
	b := writeTestBundle(t, t.TempDir(), "resumable", bundleFiles(6, 7, 8<<20, 64<<10))
	const cutAt = 3 << 20
	ctx, cancel := context.WithCancel(testContext(t))
	var sentBeforeCut int64
	up := UploadOptions{BlockSize: 256 << 10, Concurrency: 2}
	up.Progress = func(p UploadProgress) {
		if p.Bytes >= cutAt && sentBeforeCut == 0 {
			sentBeforeCut = p.Bytes
			cancel()
		}
	}
	_, err := UploadBundle(ctx, opts, b.dir, name, up)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted upload: err = %v, want context.Canceled", err)
	}
	client := containerClient(t, opts, name)
	if blobExists(t, client, "resumable/"+bundle.ManifestName) {
		t.Fatal("manifest.json is visible after an interrupted upload")
	}

	up.Progress = nil
	res, err := UploadBundle(testContext(t), opts, b.dir, name, up)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := res.File(bundle.HostZipName)
	if host.How != FileSent || host.BytesSent <= 0 || host.BytesSent > host.Size-sentBeforeCut {
		t.Errorf("resumed host.zip sent %d bytes (how %q); want between 1 and %d (size %d, "+
			"%d sent before the cut)", host.BytesSent, host.How, host.Size-sentBeforeCut,
			host.Size, sentBeforeCut)
	}
	assertBlobsMatch(t, client, "resumable", b)
}

func TestUploadBundleRefusesLabelWithOtherContent(t *testing.T) {
	opts := testStorage(t)
	ctx := testContext(t)
	name := newTestContainer(t)
	first := writeTestBundle(t, t.TempDir(), "same-label", bundleFiles(8, 9, 10<<10, 10<<10))
	if _, err := UploadBundle(ctx, opts, first.dir, name, UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	other := writeTestBundle(t, t.TempDir(), "same-label", bundleFiles(8, 10, 10<<10, 10<<10))
	_, err := UploadBundle(ctx, opts, other.dir, name, UploadOptions{})
	if !errors.Is(err, ErrLabelConflict) || !strings.Contains(err.Error(), "--label") {
		t.Fatalf("err = %v, want ErrLabelConflict naming --label", err)
	}
	got := download(t, containerClient(t, opts, name), "same-label/"+bundle.AppZipName)
	if sha256Hex(got) != sha256Hex(first.files[bundle.AppZipName]) {
		t.Error("the refused upload changed the label's app.zip")
	}
}

// TestUploadBundleChecksCopiedBlobs damages a blob of the content store behind the
// uploader's back: the copy made from it must fail its check.
func TestUploadBundleChecksCopiedBlobs(t *testing.T) {
	opts := testStorage(t)
	ctx := testContext(t)
	name := newTestContainer(t)
	root := t.TempDir()
	first := writeTestBundle(t, root, "v1", bundleFiles(11, 12, 20<<10, 10<<10))
	if _, err := UploadBundle(ctx, opts, first.dir, name, UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	host := first.files[bundle.HostZipName]
	damaged := slices.Clone(host)
	damaged[0] ^= 0xff
	client := containerClient(t, opts, name)
	sha := sha256Hex(host)
	_, err := client.NewBlockBlobClient(storeBlob(sha)).UploadBuffer(ctx, damaged, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.NewBlobClient(storeBlob(sha)).SetMetadata(ctx,
		map[string]*string{metaSHA256: &sha}, nil); err != nil {
		t.Fatal(err)
	}
	second := writeTestBundle(t, root, "v2", bundleFiles(11, 13, 20<<10, 10<<10))
	_, err = UploadBundle(ctx, opts, second.dir, name, UploadOptions{})
	if !errors.Is(err, ErrBlobCheck) {
		t.Fatalf("err = %v, want ErrBlobCheck for the damaged host.zip", err)
	}
	if blobExists(t, client, "v2/"+bundle.ManifestName) {
		t.Error("manifest.json was written although a file failed its check")
	}
}

func TestUploadBundleRefusesChangedFiles(t *testing.T) {
	b := writeTestBundle(t, t.TempDir(), "changed", bundleFiles(14, 15, 1<<10, 1<<10))
	if err := os.WriteFile(filepath.Join(b.dir, bundle.AppZipName), []byte("other"),
		0o600); err != nil {
		t.Fatal(err)
	}
	opts := StorageOptions{Account: "spotdeckdocs"}
	_, err := UploadBundle(context.Background(), opts, b.dir, "bundles", UploadOptions{})
	if !errors.Is(err, ErrUploadOptions) ||
		!strings.Contains(err.Error(), "build the bundle again") {
		t.Fatalf("err = %v, want ErrUploadOptions telling to build again", err)
	}
}

func TestUploadBundleRejectsBadArguments(t *testing.T) {
	dir := writeTestBundle(t, t.TempDir(), "args", bundleFiles(16, 17, 1<<10, 1<<10)).dir
	account := StorageOptions{Account: "spotdeckdocs"}
	tests := []struct {
		name      string
		opts      StorageOptions
		dir       string
		container string
		up        UploadOptions
		wantText  string
	}{
		{"bad container", account, dir, "Bundles", UploadOptions{}, "--container"},
		{"double dash", account, dir, "my--bundles", UploadOptions{}, "single dashes"},
		{"unknown access", account, dir, "bundles", UploadOptions{Access: "public"},
			`"identity" or "sas"`},
		{"tiny blocks", account, dir, "bundles", UploadOptions{BlockSize: 1024}, "block size"},
		{"no storage", StorageOptions{}, dir, "bundles", UploadOptions{}, "--account"},
		{"bad account", StorageOptions{Account: "No_Such"}, dir, "bundles", UploadOptions{},
			"storage account name"},
		{"not a bundle", account, t.TempDir(), "bundles", UploadOptions{}, "DIR/<label>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := UploadBundle(context.Background(), tt.opts, tt.dir, tt.container, tt.up)
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.wantText)
			}
		})
	}
}

// TestUploadBundleKeepsSecretsOut checks that no env value reaches the result, its JSON
// form or the progress reports.
func TestUploadBundleKeepsSecretsOut(t *testing.T) {
	opts := testStorage(t)
	b := writeTestBundle(t, t.TempDir(), "secrets", bundleFiles(18, 19, 10<<10, 10<<10))
	var reports strings.Builder
	up := UploadOptions{Access: AccessSAS, Progress: func(p UploadProgress) {
		fmt.Fprintf(&reports, "%+v\n", p)
	}}
	res, err := UploadBundle(testContext(t), opts, b.dir, newTestContainer(t), up)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"result": fmt.Sprintf("%+v", res),
		"JSON": string(data), "progress": reports.String()} {
		if strings.Contains(text, envSecretValue) {
			t.Errorf("the %s holds an env value", what)
		}
	}
}
