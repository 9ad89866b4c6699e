package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"spotdeck/azure"
)

// changeResult is the part of `-o json` the tests read.
type changeResult struct {
	Action           string   `json:"action"`
	ScaleSet         string   `json:"scaleSet"`
	ResourceGroup    string   `json:"resourceGroup"`
	Result           string   `json:"result"`
	Error            *string  `json:"error"`
	Done             []string `json:"doneInstanceIds"`
	PreviousCapacity *int64   `json:"previousCapacity"`
	Capacity         *int64   `json:"capacity"`
	MaxPrice         *float64 `json:"maxPrice"`
	Who              string   `json:"who"`
	Audit            struct {
		ID     string `json:"id"`
		Local  string `json:"local"`
		Shared string `json:"shared"`
	} `json:"audit"`
}

func decodeChange(t *testing.T, stdout string) changeResult {
	t.Helper()
	var doc changeResult
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, stdout)
	}
	return doc
}

func TestChangingVerbsRunAndLeaveAnAuditRecord(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantMethod string
		wantPath   string
		wantBody   string
		wantTarget string
		wantParam  [2]string
	}{
		{name: "restart", args: []string{"instances", "restart", "--ids", "0,1"},
			wantMethod: http.MethodPost, wantPath: "/restart",
			wantBody: `{"instanceIds":["0","1"]}`, wantTarget: "rg-func/vmss-func/0"},
		{name: "reimage", args: []string{"instances", "reimage", "--ids", "1"},
			wantMethod: http.MethodPost, wantPath: "/reimage",
			wantBody: `{"instanceIds":["1"]}`, wantTarget: "rg-func/vmss-func/1"},
		{name: "delete", args: []string{"instances", "delete", "--ids", "1"},
			wantMethod: http.MethodPost, wantPath: "/delete",
			wantBody: `{"instanceIds":["1"]}`, wantTarget: "rg-func/vmss-func/1"},
		{name: "start", args: []string{"instances", "start", "--ids", "2"},
			wantMethod: http.MethodPost, wantPath: "/start",
			wantBody: `{"instanceIds":["2"]}`, wantTarget: "rg-func/vmss-func/2"},
		{name: "simulate eviction", args: []string{"instances", "simulate-eviction", "--ids", "0"},
			wantMethod: http.MethodPost, wantPath: "/virtualMachines/0/simulateEviction",
			wantTarget: "rg-func/vmss-func/0"},
		{name: "scale", args: []string{"scale", "--capacity", "5"},
			wantMethod: http.MethodPatch, wantPath: "/" + fakeScaleSet,
			wantBody: `{"sku":{"capacity":5}}`, wantTarget: "rg-func/vmss-func",
			wantParam: [2]string{"capacity", "5"}},
		{name: "max price", args: []string{"max-price", "--price", "0.031"},
			wantMethod: http.MethodPatch, wantPath: "/" + fakeScaleSet,
			wantBody: `{"properties":{"virtualMachineProfile":` +
				`{"billingProfile":{"maxPrice":0.031}}}}`,
			wantTarget: "rg-func/vmss-func", wantParam: [2]string{"maxPrice", "0.031"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, endpoint := newFakeARM(t)
			env := newVerbEnv(t)
			args := fakeFlags(endpoint, append(tt.args, "--scale-set", fakeScaleSet, "--yes",
				"-o", "json")...)
			stdout, stderr, code := env.run(t, "", args...)
			if code != exitOK {
				t.Fatalf("exit %d, want 0; stderr: %s", code, stderr)
			}
			doc := decodeChange(t, stdout)
			if doc.Result != "ok" || doc.ResourceGroup != fakeGroup || doc.Who != "simulator" {
				t.Errorf("result %+v", doc)
			}
			changes := fake.changes()
			if len(changes) != 1 {
				t.Fatalf("fake saw %d changing requests, want 1: %+v", len(changes), changes)
			}
			got := changes[0]
			if got.method != tt.wantMethod || !strings.HasSuffix(got.path, tt.wantPath) {
				t.Errorf("request %s %s, want %s …%s", got.method, got.path, tt.wantMethod,
					tt.wantPath)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body %s, want exactly %s", got.body, tt.wantBody)
			}
			assertAuditRecord(t, env, doc.Audit.ID, tt.name, tt.wantTarget, tt.wantParam)
		})
	}
}

// assertAuditRecord checks the local log holds exactly the change's record.
func assertAuditRecord(t *testing.T, env *verbEnv, id, name, target string, param [2]string) {
	t.Helper()
	records := env.readAudit(t)
	if len(records) != 1 {
		t.Fatalf("audit log holds %d records, want 1", len(records))
	}
	rec := records[0]
	if rec["id"] != id || rec["who"] != "simulator" || rec["result"] != "ok" ||
		rec["host"] == "" || rec["time"] == "" {
		t.Errorf("audit record %v", rec)
	}
	if action, _ := rec["action"].(string); strings.ReplaceAll(action, "-", " ") != name {
		t.Errorf("audit action %q, want %q", action, name)
	}
	targets, _ := rec["targets"].([]any)
	if len(targets) == 0 || targets[0] != target {
		t.Errorf("audit targets %v, want %s first", targets, target)
	}
	if param[0] != "" {
		params, _ := rec["params"].(map[string]any)
		if params[param[0]] != param[1] {
			t.Errorf("audit params %v, want %s=%s", params, param[0], param[1])
		}
	}
}

func TestScaleChangesTheCapacityOnly(t *testing.T) {
	fake, endpoint := newFakeARM(t)
	env := newVerbEnv(t)
	stdout, stderr, code := env.run(t, "", fakeFlags(endpoint, "scale", "--scale-set",
		fakeScaleSet, "--capacity", "1", "--yes", "-o", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := decodeChange(t, stdout)
	if doc.PreviousCapacity == nil || *doc.PreviousCapacity != 3 || doc.Capacity == nil ||
		*doc.Capacity != 1 {
		t.Errorf("capacity %v → %v, want 3 → 1", doc.PreviousCapacity, doc.Capacity)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	for id, in := range fake.instances {
		if !in.latest {
			t.Errorf("instance %s is no longer on the latest model", id)
		}
	}
	if fake.maxPrice != -1 {
		t.Errorf("max price changed to %v by a scale", fake.maxPrice)
	}
}

func TestChangingVerbsExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		refuse     string
		wantCode   int
		wantStderr string
		wantAudit  string
	}{
		{name: "read-only", args: []string{"--read-only", "instances", "delete", "--ids", "1",
			"--yes"}, wantCode: exitReadOnly, wantStderr: "--read-only"},
		{name: "read-only scale", args: []string{"scale", "--capacity", "9", "--yes",
			"--read-only"}, wantCode: exitReadOnly, wantStderr: "nothing was sent"},
		{name: "no --yes without a terminal", args: []string{"instances", "restart", "--ids",
			"0"}, stdin: "y\n", wantCode: exitNotConfirmed, wantStderr: "needs --yes"},
		{name: "unknown instance", args: []string{"instances", "restart", "--ids", "0,7",
			"--yes"}, wantCode: exitNotFound, wantStderr: "no instance 7"},
		{name: "no ids", args: []string{"instances", "restart", "--yes"}, wantCode: exitUsage,
			wantStderr: "--ids"},
		{name: "bad output", args: []string{"instances", "restart", "--ids", "0", "-o", "yaml"},
			wantCode: exitUsage, wantStderr: "json or table"},
		{name: "no capacity", args: []string{"scale", "--yes"}, wantCode: exitUsage,
			wantStderr: "--capacity"},
		{name: "capacity out of range", args: []string{"scale", "--capacity", "-2", "--yes"},
			wantCode: exitUsage, wantStderr: "0 to 1000"},
		{name: "price with six decimals", args: []string{"max-price", "--price", "0.000001",
			"--yes"}, wantCode: exitUsage, wantStderr: "decimals"},
		{name: "azure refuses", args: []string{"instances", "restart", "--ids", "0", "--yes"},
			refuse: "restart", wantCode: exitError, wantStderr: "Conflict (409)",
			wantAudit: "failed: restart instance 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, endpoint := newFakeARM(t)
			if tt.refuse != "" {
				fake.mu.Lock() // the server goroutine reads these
				fake.refuse[tt.refuse] = http.StatusConflict
				fake.refuseCode = "Conflict"
				fake.mu.Unlock()
			}
			env := newVerbEnv(t)
			args := fakeFlags(endpoint, append(tt.args, "--scale-set", fakeScaleSet)...)
			_, stderr, code := env.run(t, tt.stdin, args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.wantStderr)
			}
			assertRefusalLeftNoChange(t, fake, env, tt.refuse, tt.wantAudit)
		})
	}
}

// assertRefusalLeftNoChange checks that a refused verb sent no change and wrote no audit
// record, and that a change Azure refused was sent once and recorded as failed.
func assertRefusalLeftNoChange(t *testing.T, fake *fakeARM, env *verbEnv, refused,
	wantAudit string) {
	t.Helper()
	records := env.readAudit(t)
	if refused == "" {
		if changes := fake.changes(); len(changes) != 0 {
			t.Errorf("a refused verb sent %+v", changes)
		}
		if len(records) != 0 {
			t.Errorf("a refused verb left audit records %v", records)
		}
		return
	}
	if len(records) != 1 || !strings.HasPrefix(records[0]["result"].(string), wantAudit) {
		t.Errorf("audit records %v, want one whose result starts %q", records, wantAudit)
	}
}

func TestInstancesNeedsAKnownVerb(t *testing.T) {
	for _, args := range [][]string{{"instances"}, {"instances", "reboot"}} {
		_, stderr, code := runSpotdeck(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "restart, reimage") {
			t.Errorf("spotdeck %v: exit %d, stderr %q; want %d listing the verbs", args, code,
				stderr, exitUsage)
		}
	}
}

func TestReadOnlySendsNoRequestAtAll(t *testing.T) {
	fake, endpoint := newFakeARM(t)
	env := newVerbEnv(t)
	for _, verb := range azure.InstanceActionKinds {
		_, _, code := env.run(t, "", fakeFlags(endpoint, "--read-only", "instances", verb,
			"--scale-set", fakeScaleSet, "--ids", "0", "--yes")...)
		if code != exitReadOnly {
			t.Errorf("%s under --read-only exited %d, want %d", verb, code, exitReadOnly)
		}
	}
	if n := fake.callCount(); n != 0 {
		t.Errorf("--read-only verbs sent %d requests, want none", n)
	}
}

func TestMaxPriceShowsUnderReadOnly(t *testing.T) {
	_, endpoint := newFakeARM(t)
	env := newVerbEnv(t)
	stdout, stderr, code := env.run(t, "", fakeFlags(endpoint, "--read-only", "max-price",
		"--scale-set", fakeScaleSet, "-o", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc maxPriceDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if doc.MaxPrice == nil || *doc.MaxPrice != -1 || doc.Priority == nil ||
		*doc.Priority != "spot" || doc.ResourceGroup != fakeGroup {
		t.Errorf("max-price doc %+v", doc)
	}
	table, _, _ := env.run(t, "", fakeFlags(endpoint, "max-price", "--scale-set",
		fakeScaleSet)...)
	if !strings.Contains(table, "never evicted for price") {
		t.Errorf("max-price table %q", table)
	}
}

func TestUnknownScaleSetIsNotFound(t *testing.T) {
	_, endpoint := newFakeARM(t)
	tests := []struct {
		name string
		args []string
	}{
		{"looked up by name", []string{"instances", "restart", "--ids", "0"}},
		{"in a given group", []string{"instances", "restart", "--ids", "0",
			"--resource-group", fakeGroup}},
		{"max price", []string{"max-price"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newVerbEnv(t)
			args := fakeFlags(endpoint, append(tt.args, "--scale-set", "vmss-nope", "--yes")...)
			_, stderr, code := env.run(t, "", args...)
			if code != exitNotFound || !strings.Contains(stderr, "vmss-nope") {
				t.Errorf("exit %d, stderr %q; want %d naming the scale set", code, stderr,
					exitNotFound)
			}
		})
	}
}

func TestSimulateEvictionAgainstTheSimulator(t *testing.T) {
	endpoint, sub := startSim(t, "50")
	env := newVerbEnv(t)
	stdout, stderr, code := env.run(t, "", "instances", "simulate-eviction", "--scale-set",
		"vmss-func-linux", "--ids", "0", "--yes", "-o", "json", "--arm-endpoint", endpoint,
		"--subscription", sub)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := decodeChange(t, stdout)
	if doc.ResourceGroup != "rg-functions" || strings.Join(doc.Done, ",") != "0" {
		t.Errorf("result %+v", doc)
	}
	records := env.readAudit(t)
	if len(records) != 1 || records[0]["who"] != "simulator" ||
		records[0]["action"] != "simulate-eviction" {
		t.Errorf("audit records %v", records)
	}
	_, stderr, code = env.run(t, "", "instances", "simulate-eviction", "--scale-set",
		"vmss-batch-regular", "--ids", "0", "--yes", "--arm-endpoint", endpoint,
		"--subscription", sub)
	if code != exitUsage || !strings.Contains(stderr, "Spot") {
		t.Errorf("eviction of a regular scale set: exit %d, stderr %q", code, stderr)
	}
}

func TestCodedErrorsGiveTheirExitCode(t *testing.T) {
	wrapped := errors.New("x")
	for _, code := range []int{exitNotFound, exitReadOnly, exitNotConfirmed} {
		err := codedError{code: code, err: wrapped}
		var coded interface{ ExitCode() int }
		if !errors.As(err, &coded) || coded.ExitCode() != code || !errors.Is(err, wrapped) {
			t.Errorf("codedError %d: ExitCode or Unwrap wrong", code)
		}
	}
}
