package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadMissingFileIsEmpty(t *testing.T) {
	cfg, found, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err != nil || found {
		t.Fatalf("Load(missing) = found %v, err %v; want not found, no error", found, err)
	}
	if cfg.RefreshInterval() != DefaultRefresh {
		t.Errorf("RefreshInterval() = %s, want default %s", cfg.RefreshInterval(), DefaultRefresh)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spotdeck", "config.yaml")
	want := Config{
		Subscription:  "sub-1",
		ResourceGroup: "rg-functions",
		Refresh:       Duration(30 * time.Second),
		ScaleSets:     []string{"vmss-a"},
	}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("config mode = %o, want 600", info.Mode().Perm())
	}
	got, found, err := Load(path)
	if err != nil || !found {
		t.Fatalf("Load = found %v, err %v", found, err)
	}
	if got.Subscription != want.Subscription || got.RefreshInterval() != 30*time.Second ||
		len(got.ScaleSets) != 1 || got.ResourceGroup != want.ResourceGroup {
		t.Errorf("round trip = %+v, want %+v", got, want)
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, body, wantInErr string
	}{
		{"unknown key", "subscripton: abc\n", "subscripton"},
		{"bad duration", "refresh: soon\n", "not a duration"},
		{"too fast", "refresh: 100ms\n", "minimum"},
		{"not yaml", "subscription: [\n", "fix the file"},
		{"queues without storage", "queues: [orders]\n", "storage.account"},
		{"negative depth", "alerts:\n  maxDepth: -1\n", "maxDepth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("Load(%q) error = %v, want it to mention %q", tt.body, err, tt.wantInErr)
			}
		})
	}
}

func TestLoadEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, found, err := Load(path); err != nil || !found {
		t.Fatalf("Load(empty) = found %v, err %v; want found, no error", found, err)
	}
}

func TestDefaultPathFollowsXDG(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg-test")
	got, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if got != "/tmp/xdg-test/spotdeck/config.yaml" {
		t.Errorf("DefaultPath() = %q", got)
	}
}
