// Package config reads and writes spotdeck's YAML configuration file.
//
// The file lives at $XDG_CONFIG_HOME/spotdeck/config.yaml (or ~/.config/spotdeck/config.yaml)
// and is written with mode 0600 because it may hold a storage connection string.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultRefresh is how often the console reads the fleet when the config says nothing.
const DefaultRefresh = 10 * time.Second

// minRefresh keeps a mistyped interval from hammering Resource Manager's read limits.
const minRefresh = 2 * time.Second

// Config is the whole configuration file. Flags override what it says.
type Config struct {
	Subscription  string `yaml:"subscription,omitempty"`
	ResourceGroup string `yaml:"resourceGroup,omitempty"`
	ARMEndpoint   string `yaml:"armEndpoint,omitempty"`
	// Refresh is the console's auto-refresh interval, e.g. "10s".
	Refresh Duration `yaml:"refresh,omitempty"`
	// ScaleSets, when not empty, limits the console to these scale sets by name.
	ScaleSets []string `yaml:"scaleSets,omitempty"`
	// Storage is the account holding the work queues and the bundle container.
	Storage Storage `yaml:"storage,omitempty"`
	// Queues are the work queues to watch; each one's poison twin is watched too.
	Queues []string `yaml:"queues,omitempty"`
	// Alerts are the thresholds that raise queue alerts.
	Alerts Alerts `yaml:"alerts,omitempty"`
	// Bundle holds the defaults of the console's bundle form (the bundle commands take flags).
	Bundle BundleDefaults `yaml:"bundle,omitempty"`
}

// BundleDefaults prefill the bundle form.
type BundleDefaults struct {
	HostPath   string `yaml:"hostPath,omitempty"`
	AppPath    string `yaml:"appPath,omitempty"`
	EnvPath    string `yaml:"envPath,omitempty"`
	OS         string `yaml:"os,omitempty"`
	HealthPort int    `yaml:"healthPort,omitempty"`
	OutDir     string `yaml:"outDir,omitempty"`
	// Access is how instances read bundles: "identity" (the scale set's managed identity)
	// or "sas" (read-only links).
	Access string `yaml:"access,omitempty"`
	// IdentityClientID is the user-assigned identity the host uses, if any.
	IdentityClientID string `yaml:"identityClientId,omitempty"`
}

// Storage says how to reach the storage account. ConnectionString is a secret: it is kept
// here only when the operator chose to store it; SPOTDECK_STORAGE_CONNECTION_STRING
// overrides it.
type Storage struct {
	Account          string `yaml:"account,omitempty"`
	ConnectionString string `yaml:"connectionString,omitempty"`
	QueueEndpoint    string `yaml:"queueEndpoint,omitempty"`
	BlobEndpoint     string `yaml:"blobEndpoint,omitempty"`
	Container        string `yaml:"container,omitempty"`
}

// Configured tells whether any way to reach the account is set.
func (s Storage) Configured() bool {
	return s.Account != "" || s.ConnectionString != "" || s.QueueEndpoint != ""
}

// Alerts are queue alert thresholds.
type Alerts struct {
	// MaxDepth raises an alert when a queue holds more messages; 0 turns it off.
	MaxDepth int64 `yaml:"maxDepth,omitempty"`
	// PoisonGrowth raises an alert when a poison queue grows. Default on.
	PoisonGrowth *bool `yaml:"poisonGrowth,omitempty"`
}

// PoisonAlerts tells whether poison growth raises alerts (on unless turned off).
func (a Alerts) PoisonAlerts() bool { return a.PoisonGrowth == nil || *a.PoisonGrowth }

// Duration is a time.Duration written as text ("10s", "1m") in YAML.
type Duration time.Duration

// UnmarshalYAML reads a duration such as "10s".
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	parsed, err := time.ParseDuration(node.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration; write it like \"10s\" or \"1m\"",
			node.Line, node.Value)
	}
	*d = Duration(parsed)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) {
	return time.Duration(d).String(), nil
}

// RefreshInterval returns the refresh interval, the default when unset.
func (c Config) RefreshInterval() time.Duration {
	if c.Refresh == 0 {
		return DefaultRefresh
	}
	return time.Duration(c.Refresh)
}

// Validate reports the first setting that cannot work, naming it and the fix.
func (c Config) Validate() error {
	if c.Refresh != 0 && time.Duration(c.Refresh) < minRefresh {
		return fmt.Errorf("refresh %s is below the %s minimum; raise it in the config file",
			time.Duration(c.Refresh), minRefresh)
	}
	if c.Alerts.MaxDepth < 0 {
		return fmt.Errorf("alerts.maxDepth %d is negative; give 0 to turn it off",
			c.Alerts.MaxDepth)
	}
	if len(c.Queues) > 0 && !c.Storage.Configured() {
		return fmt.Errorf("queues are listed but storage is not: set storage.account " +
			"(Entra sign-in) or storage.connectionString")
	}
	return nil
}

// DefaultPath returns where the config file lives for this user.
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the config folder: set XDG_CONFIG_HOME or HOME: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "spotdeck", "config.yaml"), nil
}

// Load reads the config file at path. A missing file is not an error: it gives an empty
// Config and found=false, so a first start can offer the setup.
func Load(path string) (cfg Config, found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, fmt.Errorf("read config %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty file decodes to io.EOF: that is an empty config, not a broken one.
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, true, fmt.Errorf("config %s: %w (fix the file or move it away)",
			path, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, true, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, true, nil
}

// Save writes cfg to path with mode 0600, creating the folder (0700) when missing.
func Save(path string, cfg Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config folder: %w", err)
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write config %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace config %s: %w", path, err)
	}
	return nil
}

// StateDir returns the folder for logs, events and audit records:
// $XDG_STATE_HOME/spotdeck, or ~/.local/state/spotdeck.
func StateDir() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the state folder: set XDG_STATE_HOME or HOME: %w", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "spotdeck"), nil
}
