package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusJSONFromSimProcess reads the fleet that `spotdeck sim` serves from a second
// process, over loopback HTTP, through the real SDK client.
func TestStatusJSONFromSimProcess(t *testing.T) {
	endpoint, sub := startSim(t, "50")
	stdout, stderr, code := runSpotdeck(t, "status", "-o", "json",
		"--arm-endpoint", endpoint, "--subscription", sub)
	if code != 0 {
		t.Fatalf("status exited %d: %s", code, stderr)
	}
	var doc struct {
		ScaleSets []map[string]any `json:"scaleSets"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("status -o json is not JSON: %v\n%s", err, stdout)
	}
	if len(doc.ScaleSets) < 2 {
		t.Fatalf("want at least 2 scale sets, got %d", len(doc.ScaleSets))
	}
	for _, s := range doc.ScaleSets {
		for _, key := range []string{"name", "resourceGroup", "location", "sku", "capacity",
			"priority", "evictionPolicy", "upgradeMode", "label", "instances"} {
			if _, ok := s[key]; !ok {
				t.Errorf("scale set %v lacks key %q", s["name"], key)
			}
		}
		if s["priority"] != "spot" && s["name"] != nil &&
			strings.Contains(s["name"].(string), "func") {
			t.Errorf("scale set %v priority = %v, want spot", s["name"], s["priority"])
		}
		instances, _ := s["instances"].([]any)
		if len(instances) == 0 {
			t.Errorf("scale set %v has no instances", s["name"])
		}
		for _, raw := range instances {
			in := raw.(map[string]any)
			for _, key := range []string{"id", "name", "zone", "power", "provisioning",
				"health", "latestModel"} {
				if _, ok := in[key]; !ok {
					t.Errorf("instance %v lacks key %q", in["name"], key)
				}
			}
			if p, ok := in["power"].(string); ok && p != strings.ToLower(p) {
				t.Errorf("power %q is not lower case", p)
			}
		}
	}
}

func TestStatusTableFromSimProcess(t *testing.T) {
	endpoint, sub := startSim(t, "50")
	stdout, stderr, code := runSpotdeck(t, "status", "-o", "table",
		"--arm-endpoint", endpoint, "--subscription", sub)
	if code != 0 {
		t.Fatalf("status exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "SCALE SET") || !strings.Contains(stdout, "vmss-func-win") {
		t.Errorf("status table:\n%s", stdout)
	}
	if !strings.Contains(stdout, "spot/delete") || strings.Contains(stdout, "regular/unknown") {
		t.Errorf("status table must read spot/delete, and a Regular scale set just regular:\n%s",
			stdout)
	}
}

func TestStatusExitCodes(t *testing.T) {
	dir := t.TempDir()
	badYAML, shortRefresh := filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "fast.yaml")
	for path, text := range map[string]string{badYAML: "subscription: [oops\n",
		shortRefresh: "refresh: 1s\n"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no subscription", []string{"status"}, exitUsage, "spotdeck demo"},
		{"bad output", []string{"status", "-o", "yaml", "--subscription", "s"}, exitUsage,
			"json or table"},
		{"unreachable endpoint", []string{"status", "--subscription", "s",
			"--arm-endpoint", "http://127.0.0.1:9"}, exitError, "127.0.0.1:9"},
		{"non-azure endpoint", []string{"status", "--subscription", "s",
			"--arm-endpoint", "https://example.com"}, exitError, "example.com"},
		{"unknown flag", []string{"status", "--nope"}, exitUsage, "--nope"},
		{"sim off loopback", []string{"sim", "--listen", "0.0.0.0:8443"}, exitUsage,
			"loopback"},
		{"bad speed", []string{"demo", "--speed", "0"}, exitUsage, "--speed"},
		{"speed not a number", []string{"demo", "--speed", "NaN"}, exitUsage, "--speed"},
		{"negative eviction rate", []string{"sim", "--evictions-per-hour", "-1"}, exitUsage,
			"--evictions-per-hour"},
		{"missing config", []string{"status", "--subscription", "s", "--config",
			filepath.Join(dir, "nope.yaml")}, exitUsage, "nope.yaml: no such file"},
		{"broken config", []string{"status", "--subscription", "s", "--config", badYAML},
			exitError, "bad.yaml: yaml: line 1"},
		{"refresh too short", []string{"status", "--subscription", "s", "--config",
			shortRefresh}, exitError, "below the 2s minimum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runSpotdeck(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.wantErr)
			}
		})
	}
}
