package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The changing verbs run as processes against fakeARM, a loopback Resource Manager that
// speaks ARM's wire protocol for one Spot scale set: it lists and reads, runs the batch
// operations, simulated evictions and PATCH at once (200, no long-running operation to
// poll), and records every request with its body.

const (
	fakeSubscription = "00000000-0000-0000-0000-00000000a11c"
	fakeGroup        = "rg-func"
	fakeScaleSet     = "vmss-func"
)

// fakeCall is one request fakeARM received.
type fakeCall struct {
	method, path, body string
}

// fakeInstance is one instance of the fake scale set.
type fakeInstance struct {
	power  string
	latest bool
}

type fakeARM struct {
	mu        sync.Mutex
	capacity  int64
	maxPrice  float64
	instances map[string]*fakeInstance
	calls     []fakeCall
	// refuse answers POSTs to …/<verb> with this status and ARM error code.
	refuse     map[string]int
	refuseCode string
}

func newFakeARM(t *testing.T) (*fakeARM, string) {
	t.Helper()
	f := &fakeARM{capacity: 3, maxPrice: -1, refuse: map[string]int{},
		instances: map[string]*fakeInstance{}}
	for _, id := range []string{"0", "1", "2"} {
		f.instances[id] = &fakeInstance{power: "running", latest: true}
	}
	f.instances["2"].power = "deallocated"
	server := httptest.NewServer(f)
	t.Cleanup(server.Close)
	return f, server.URL
}

func (f *fakeARM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{r.Method, r.URL.Path, string(body)})
	if r.Header.Get("Authorization") == "" {
		armFail(w, http.StatusUnauthorized, "AuthenticationFailed", "no token")
		return
	}
	setPath := "/subscriptions/" + fakeSubscription + "/resourcegroups/" + fakeGroup +
		"/providers/microsoft.compute/virtualmachinescalesets/" + fakeScaleSet
	path := strings.ToLower(r.URL.Path)
	switch {
	case path == "/subscriptions/"+fakeSubscription+
		"/providers/microsoft.compute/virtualmachinescalesets" && r.Method == http.MethodGet:
		writeBody(w, http.StatusOK, map[string]any{"value": []any{f.scaleSetJSON()}})
	case path == setPath && r.Method == http.MethodGet:
		writeBody(w, http.StatusOK, f.scaleSetJSON())
	case path == setPath && r.Method == http.MethodPatch:
		f.patch(w, body)
	case path == setPath+"/virtualmachines" && r.Method == http.MethodGet:
		writeBody(w, http.StatusOK, map[string]any{"value": f.instancesJSON()})
	case strings.HasPrefix(path, setPath+"/") && r.Method == http.MethodPost:
		f.post(w, strings.TrimPrefix(path, setPath+"/"), body)
	default:
		armFail(w, http.StatusNotFound, "ResourceNotFound",
			"The Resource '"+r.URL.Path+"' was not found.")
	}
}

// post runs a batch operation (restart, …) or an instance's simulateEviction.
func (f *fakeARM) post(w http.ResponseWriter, rest string, body []byte) {
	verb := rest[strings.LastIndex(rest, "/")+1:]
	if status, ok := f.refuse[verb]; ok {
		armFail(w, status, f.refuseCode, "Operation "+verb+" is not allowed right now.")
		return
	}
	if verb == "simulateeviction" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var ids struct {
		InstanceIDs []string `json:"instanceIds"`
	}
	_ = json.Unmarshal(body, &ids)
	if verb == "delete" {
		for _, id := range ids.InstanceIDs {
			delete(f.instances, id)
		}
		f.capacity = int64(len(f.instances))
	}
	w.WriteHeader(http.StatusOK)
}

// patch applies what the body sends: the capacity and the max price, nothing else.
func (f *fakeARM) patch(w http.ResponseWriter, body []byte) {
	var update struct {
		SKU *struct {
			Capacity *int64 `json:"capacity"`
		} `json:"sku"`
		Properties *struct {
			VirtualMachineProfile struct {
				BillingProfile struct {
					MaxPrice *float64 `json:"maxPrice"`
				} `json:"billingProfile"`
			} `json:"virtualMachineProfile"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(body, &update); err != nil {
		armFail(w, http.StatusBadRequest, "InvalidRequestContent", err.Error())
		return
	}
	if update.SKU != nil && update.SKU.Capacity != nil {
		f.capacity = *update.SKU.Capacity
	}
	if update.Properties != nil {
		if p := update.Properties.VirtualMachineProfile.BillingProfile.MaxPrice; p != nil {
			f.maxPrice = *p
		}
	}
	writeBody(w, http.StatusOK, f.scaleSetJSON())
}

func (f *fakeARM) scaleSetJSON() map[string]any {
	return map[string]any{
		"id": "/subscriptions/" + fakeSubscription + "/resourceGroups/" + fakeGroup +
			"/providers/Microsoft.Compute/virtualMachineScaleSets/" + fakeScaleSet,
		"name": fakeScaleSet, "location": "westeurope",
		"sku": map[string]any{"name": "Standard_D2s_v5", "capacity": f.capacity},
		"properties": map[string]any{
			"provisioningState": "Succeeded",
			"virtualMachineProfile": map[string]any{
				"priority": "Spot", "evictionPolicy": "Deallocate",
				"billingProfile": map[string]any{"maxPrice": f.maxPrice},
			},
		},
	}
}

func (f *fakeARM) instancesJSON() []any {
	ids := make([]string, 0, len(f.instances))
	for id := range f.instances {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		in := f.instances[id]
		out = append(out, map[string]any{
			"instanceId": id, "name": fakeScaleSet + "_" + id,
			"properties": map[string]any{
				"latestModelApplied": in.latest,
				"instanceView": map[string]any{"statuses": []any{
					map[string]any{"code": "PowerState/" + in.power}}},
			},
		})
	}
	return out
}

// changes returns the requests that could change something: all but GETs.
func (f *fakeARM) changes() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if c.method != http.MethodGet {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeARM) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func writeBody(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func armFail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("x-ms-error-code", code)
	writeBody(w, status, map[string]any{"error": map[string]any{"code": code,
		"message": message}})
}

// verbEnv is one isolated home for a sequence of runs, so later runs see the audit log of
// earlier ones.
type verbEnv struct {
	home  string
	extra []string
}

func newVerbEnv(t *testing.T) *verbEnv {
	return &verbEnv{home: t.TempDir()}
}

func (e *verbEnv) environ() []string {
	env := []string{
		"HOME=" + e.home,
		"XDG_CONFIG_HOME=" + filepath.Join(e.home, "config"),
		"XDG_STATE_HOME=" + filepath.Join(e.home, "state"),
		"PATH=" + os.Getenv("PATH"),
		"TERM=dumb",
	}
	return append(env, e.extra...)
}

func (e *verbEnv) auditPath() string {
	return filepath.Join(e.home, "state", "spotdeck", "audit.jsonl")
}

// writeConfig writes the config file of this home.
func (e *verbEnv) writeConfig(t *testing.T, yaml string) {
	t.Helper()
	dir := filepath.Join(e.home, "config", "spotdeck")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs spotdeck with stdin from a pipe (never a terminal) and returns its outputs.
func (e *verbEnv) run(t *testing.T, stdin string, args ...string) (stdout, stderr string,
	code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = e.environ()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("spotdeck %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// readAudit returns the records of this home's local audit log.
func (e *verbEnv) readAudit(t *testing.T) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(e.auditPath())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("audit line %q is not JSON: %v", line, err)
		}
		records = append(records, rec)
	}
	return records
}

// fakeFlags point spotdeck at the fake.
func fakeFlags(endpoint string, args ...string) []string {
	return append(args, "--arm-endpoint", endpoint, "--subscription", fakeSubscription)
}
