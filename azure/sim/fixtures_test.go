package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fixtureDir holds real Azure REST example payloads, beside the repository.
var fixtureDir = filepath.Join("..", "..", "..", "shared", "fixtures", "arm")

// TestShapesMatchAzureExamples checks that every JSON field the simulator sends for a
// scale set and for an instance also appears in Azure's own example of that payload, so
// the simulator invents no fields a real client would never see.
func TestShapesMatchAzureExamples(t *testing.T) {
	if _, err := os.Stat(fixtureDir); err != nil {
		t.Skipf("Azure example payloads not found at %s (%v); they live in shared/fixtures/arm "+
			"beside the repository", fixtureDir, err)
	}
	s, _ := newTestSim(t, Options{})
	s.mu.Lock()
	now := s.clock.now()
	win, _ := s.findScaleSet("rg-functions", "vmss-func-win")
	// Instance 4 has every part: a failed script, health, the agent.
	tests := []struct {
		name     string
		ours     any
		examples []string // the MaximumSet example has every field; the others add some
	}{
		{"scale set", armScaleSet(win), []string{"VirtualMachineScaleSets_ListAll.json",
			"VirtualMachineScaleSets_Get.json"}},
		{"instance", armInstance(win, win.instances[4], now, true), []string{
			"VirtualMachineScaleSetVMs_List.json", "VirtualMachineScaleSetVMs_Get.json"}},
	}
	s.mu.Unlock()
	// The instance view's computerName is in the schema (2025-04-01,
	// VirtualMachineScaleSetVMInstanceView.computerName) but in none of the examples.
	inSchemaOnly := map[string]bool{".properties.instanceView.computerName": true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			theirs := map[string]bool{}
			for _, file := range tc.examples {
				for path := range fieldPaths(t, exampleBody(t, file)) {
					theirs[path] = true
				}
			}
			for path := range fieldPaths(t, tc.ours) {
				if !theirs[path] && !inSchemaOnly[path] && !underFreeForm(path) {
					t.Errorf("field %s is in none of %v", path, tc.examples)
				}
			}
		})
	}
}

// exampleBody returns the 200 response body of an example, or its first listed item.
func exampleBody(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, file))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	var example struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(data, &example); err != nil {
		t.Fatalf("decode example %s: %v", file, err)
	}
	var body map[string]any
	if err := json.Unmarshal(example.Responses["200"].Body, &body); err != nil {
		t.Fatalf("decode example %s body: %v", file, err)
	}
	if list, ok := body["value"].([]any); ok && len(list) > 0 {
		return list[0]
	}
	return body
}

// fieldPaths returns the dotted paths of every object field in a JSON value; array
// elements share one path.
func fieldPaths(t *testing.T, value any) map[string]bool {
	t.Helper()
	data, err := json.Marshal(value)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	paths := map[string]bool{}
	collectPaths(tree, "", paths)
	return paths
}

func collectPaths(node any, prefix string, paths map[string]bool) {
	switch v := node.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for key := range v {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			path := prefix + "." + key
			paths[path] = true
			collectPaths(v[key], path, paths)
		}
	case []any:
		for _, item := range v {
			collectPaths(item, prefix, paths)
		}
	}
}

// underFreeForm tells whether a path lies inside an extension's free-form settings.
func underFreeForm(path string) bool {
	return strings.Contains(path, ".settings.")
}
