package azure

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"spotdeck/bundle"
)

// localFile is one file of a built bundle on disk, hashed.
type localFile struct {
	name   string
	path   string
	size   int64
	sha256 string
	// md5 is what the service can check a request body against; SHA-256 it cannot.
	md5 []byte
}

// localBundle is a built bundle read from disk: its manifest and every file, checked.
type localBundle struct {
	manifest bundle.Manifest
	// files are the files the manifest lists, in its order.
	files []localFile
	// manifestFile is manifest.json itself, uploaded last.
	manifestFile localFile
}

// readLocalBundle reads dir/manifest.json and hashes every file it lists, refusing a
// bundle whose files no longer match it.
func readLocalBundle(dir string) (localBundle, error) {
	m, err := bundle.ReadManifest(dir)
	if err != nil {
		return localBundle{}, fmt.Errorf("%w: %w", ErrUploadOptions, err)
	}
	b := localBundle{manifest: m}
	for _, entry := range m.Files {
		f, err := hashLocal(filepath.Join(dir, entry.Name))
		if err != nil {
			return localBundle{}, err
		}
		if f.size != entry.Size || f.sha256 != strings.ToLower(entry.SHA256) {
			return localBundle{}, fmt.Errorf("%w: %s changed since the bundle was built "+
				"(it no longer matches manifest.json): build the bundle again",
				ErrUploadOptions, f.path)
		}
		b.files = append(b.files, f)
	}
	b.manifestFile, err = hashLocal(filepath.Join(dir, bundle.ManifestName))
	if err != nil {
		return localBundle{}, err
	}
	return b, nil
}

// hashLocal reads a file once, as a stream, for its size, SHA-256 and MD5.
func hashLocal(p string) (localFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return localFile{}, fmt.Errorf("%w: %w (fix: pass the folder of a built bundle, "+
			"DIR/<label>)", ErrUploadOptions, err)
	}
	defer f.Close()
	sha, sum := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(sha, sum), f)
	if err != nil {
		return localFile{}, fmt.Errorf("read %s: %w", p, err)
	}
	return localFile{name: filepath.Base(p), path: p, size: n,
		sha256: hex.EncodeToString(sha.Sum(nil)), md5: sum.Sum(nil)}, nil
}

// contentType names the media type a bundle file is served with.
func contentType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".zip":
		return "application/zip"
	case ".json":
		return "application/json"
	}
	// The env file and the install scripts are text; instances read them as such.
	return "text/plain; charset=utf-8"
}
