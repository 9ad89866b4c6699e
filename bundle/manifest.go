package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// FormatVersion is the manifest format this package writes and the newest it reads.
const FormatVersion = 1

// sha256Pattern is a lower-case hex SHA-256.
var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Manifest describes a built bundle. It is written last, as manifest.json, and never holds
// an env value: only the keys.
type Manifest struct {
	FormatVersion int       `json:"formatVersion"`
	Label         string    `json:"label"`
	OS            string    `json:"os"`
	CreatedAt     time.Time `json:"createdAt"`
	HealthPort    int       `json:"healthPort"`
	// IdentityClientID is the user-assigned identity baked into the install script, if any.
	IdentityClientID string `json:"identityClientId,omitempty"`
	// HostVersion is the host's file version, "" when it could not be read.
	HostVersion string `json:"hostVersion,omitempty"`
	// InstallScript is the name of the script the Custom Script Extension runs.
	InstallScript string `json:"installScript"`
	// Functions are the function names found in the app, sorted.
	Functions []string `json:"functions"`
	// EnvKeys are the keys of app.env in file order.
	EnvKeys []string `json:"envKeys"`
	// Files lists every file of the bundle but the manifest, sorted by name.
	Files []File `json:"files"`
}

// File is one file of a bundle.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// File returns the entry for name.
func (m Manifest) File(name string) (File, bool) {
	for _, f := range m.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// ReadManifest reads and checks dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	p := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(p)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: %w (fix: pass the folder of a built bundle, "+
			"DIR/<label>)", ErrManifest, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %s is not valid JSON: %w (fix: build the bundle "+
			"again)", ErrManifest, p, err)
	}
	if err := m.check(); err != nil {
		return Manifest{}, fmt.Errorf("%w: %s: %w (fix: build the bundle again)",
			ErrManifest, p, err)
	}
	return m, nil
}

// check validates the fields a reader relies on.
func (m Manifest) check() error {
	if m.FormatVersion < 1 || m.FormatVersion > FormatVersion {
		return fmt.Errorf("format version %d is not supported (this spotdeck reads up "+
			"to %d)", m.FormatVersion, FormatVersion)
	}
	if err := ValidateLabel(m.Label); err != nil {
		return err
	}
	if m.OS != OSLinux && m.OS != OSWindows {
		return fmt.Errorf("os %q is neither %q nor %q", m.OS, OSLinux, OSWindows)
	}
	if len(m.Files) == 0 {
		return fmt.Errorf("no files listed")
	}
	for _, f := range m.Files {
		if f.Name == "" || f.Name != filepath.Base(f.Name) || f.Name == ManifestName {
			return fmt.Errorf("file name %q is not a plain bundle file name", f.Name)
		}
		if !sha256Pattern.MatchString(f.SHA256) || f.Size < 0 {
			return fmt.Errorf("file %s has a bad sha256 or size", f.Name)
		}
	}
	return nil
}

// Verify checks that every file listed in the manifest is in dir with its size and SHA-256.
func (m Manifest) Verify(dir string) error {
	for _, f := range m.Files {
		got, err := hashFile(filepath.Join(dir, f.Name))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrManifest, err)
		}
		if got != f {
			return fmt.Errorf("%w: %s does not match the manifest (size %d, want %d): "+
				"build the bundle again", ErrManifest, f.Name, got.Size, f.Size)
		}
	}
	return nil
}

// hashFile returns the name, size and SHA-256 of a file, reading it as a stream.
func hashFile(p string) (File, error) {
	f, err := os.Open(p)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", p, err)
	}
	return File{Name: filepath.Base(p), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// writeManifest writes m as indented JSON into dir.
func writeManifest(dir string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), append(data, '\n'), 0o644)
}
