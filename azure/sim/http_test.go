package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// serve starts the simulation on a loopback port for the duration of the test.
func serve(t *testing.T, s *Sim) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	endpoint, err := s.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %q is not a loopback HTTP URL", endpoint)
	}
	return endpoint
}

// httpClients builds real clients that reach the simulation over loopback HTTP.
func httpClients(t *testing.T, s *Sim) clients {
	t.Helper()
	return newClients(t, FixedSubscriptionID, serve(t, s), nil)
}

func TestHTTPListsScaleSets(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	sets := listScaleSets(t, httpClients(t, s))
	var names []string
	for _, ss := range sets {
		names = append(names, deref(ss.Name))
	}
	want := "vmss-batch-regular vmss-func-linux vmss-func-win"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("scale sets %q, want %q", got, want)
	}
}

func TestHTTPListsResourceGroup(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	c := httpClients(t, s)
	pager := c.scaleSets.NewListPager("rg-functions", nil)
	var names []string
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list resource group: %v", err)
		}
		for _, ss := range page.Value {
			names = append(names, deref(ss.Name))
		}
	}
	if got := strings.Join(names, " "); got != "vmss-func-linux vmss-func-win" {
		t.Errorf("scale sets of rg-functions %q", got)
	}
}

func TestHTTPPagesThroughInstances(t *testing.T) {
	const size = 120
	s, _ := newTestSim(t, Options{InstancesPerScaleSet: map[string]int{"vmss-func-linux": size}})
	c := httpClients(t, s)
	vms, pages := listInstances(t, c, "rg-functions", "vmss-func-linux", true)
	if len(vms) != size || pages != 3 {
		t.Fatalf("listed %d instances in %d pages, want %d in 3", len(vms), pages, size)
	}
	for i, vm := range vms {
		if observe(vm).power == "" {
			t.Fatalf("instance %d (page %d) came back without its instance view", i,
				i/defaultPageSize+1)
		}
	}
	if got := len(instanceByID(vms)); got != size {
		t.Errorf("%d distinct instances, want %d", got, size)
	}
}

func TestHTTPGets(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	c := httpClients(t, s)
	ss, err := c.scaleSets.Get(context.Background(), "rg-functions", "vmss-func-win", nil)
	if err != nil {
		t.Fatalf("get scale set: %v", err)
	}
	if got := deref(deref(ss.SKU).Capacity); got != 6 {
		t.Errorf("capacity %d, want 6", got)
	}
	vm := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "4"))
	if vm.health != "HealthState/unhealthy" || vm.script != "ProvisioningState/failed/1" {
		t.Errorf("instance 4 health %q script %q, want unhealthy and failed", vm.health,
			vm.script)
	}
	view, err := c.instances.GetInstanceView(context.Background(), "rg-functions",
		"vmss-func-win", "0", nil)
	if err != nil {
		t.Fatalf("get instance view: %v", err)
	}
	if got := deref(view.ComputerName); got != "funcwin000000" {
		t.Errorf("computer name %q, want funcwin000000", got)
	}
}

func TestHTTPEvictionAndPoller(t *testing.T) {
	s, clock := newTestSim(t, Options{})
	c := httpClients(t, s)
	ctx := context.Background()
	if _, err := c.instances.SimulateEviction(ctx, "rg-functions", "vmss-func-linux", "1",
		nil); err != nil {
		t.Fatalf("simulate eviction: %v", err)
	}
	poller, err := c.scaleSets.BeginUpdateInstances(ctx, "rg-functions", "vmss-func-win",
		armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs{InstanceIDs: to.SliceOfPtrs("2")},
		nil)
	if err != nil {
		t.Fatalf("begin update instances: %v", err)
	}
	if poller.Done() {
		t.Fatal("the manual upgrade finished without a poll; the poll route is not exercised")
	}
	if _, err := poller.Poll(ctx); err != nil || poller.Done() {
		t.Fatalf("first poll: done %v, err %v; want the upgrade still in progress",
			poller.Done(), err)
	}
	// The upgrade ends in simulated time; move past it before waiting for the end.
	simAdvance(clock, time.Hour)
	if _, err := poller.PollUntilDone(ctx, pollFast); err != nil {
		t.Fatalf("poll update instances: %v", err)
	}
	if got := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "2")); !got.latest {
		t.Error("instance 2 is not on the latest model after the upgrade")
	}
	clock.Advance(2 * time.Second)
	evicted := observe(getInstance(t, c, "rg-functions", "vmss-func-linux", "1"))
	if evicted.power != "PowerState/deallocated" || evicted.health != "" {
		t.Errorf("evicted instance power %q health %q, want deallocated without health",
			evicted.power, evicted.health)
	}
	if got := s.Calls()[OpUpdateInstances]; got < 2 {
		t.Errorf("%d update-instances calls, want the start and at least one poll", got)
	}
}

func TestHTTPInjectedFaults(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter time.Duration
		wantCode   string
		wantRetry  string
	}{
		{"throttled", http.StatusTooManyRequests, 1500 * time.Millisecond,
			"OperationNotAllowed", "2"},
		{"server error", http.StatusInternalServerError, 0, "InternalServerError", ""},
		{"unavailable", http.StatusServiceUnavailable, 30 * time.Second,
			"ServiceUnavailable", "30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSim(t, Options{})
			c := httpClients(t, s)
			s.InjectFault(OpListAllScaleSets, tc.status, tc.retryAfter, 1)
			pager := c.scaleSets.NewListAllPager(nil)
			_, err := pager.NextPage(context.Background())
			respErr := responseError(t, err)
			if respErr.StatusCode != tc.status || respErr.ErrorCode != tc.wantCode {
				t.Errorf("got %d %s, want %d %s", respErr.StatusCode, respErr.ErrorCode,
					tc.status, tc.wantCode)
			}
			if got := respErr.RawResponse.Header.Get("Retry-After"); got != tc.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tc.wantRetry)
			}
			if sets := listScaleSets(t, c); len(sets) != 3 {
				t.Errorf("after the fault: %d scale sets, want 3", len(sets))
			}
		})
	}
}

func TestHTTPErrorsAreARMShaped(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	endpoint := serve(t, s)
	base := endpoint + "/subscriptions/" + FixedSubscriptionID +
		"/resourceGroups/rg-functions/providers/Microsoft.Compute/virtualMachineScaleSets/"
	tests := []struct {
		name, method, url string
		auth              bool
		wantStatus        int
		wantCode          string
	}{
		{"unknown route", http.MethodGet, endpoint + "/nothing/here", true,
			http.StatusNotFound, "RouteNotFound"},
		{"operation not served", http.MethodPost, base + "vmss-func-win/deallocate", true,
			http.StatusNotImplemented, "NotImplemented"},
		{"poll of nothing", http.MethodGet, base + "vmss-func-win/get/fake/status", true,
			http.StatusNotFound, "OperationNotFound"},
		{"no credential", http.MethodGet, base + "vmss-func-win", false,
			http.StatusUnauthorized, "AuthenticationFailed"},
		{"bad skip token", http.MethodGet, base + "vmss-func-win/virtualMachines" +
			"?api-version=2025-04-01&$skiptoken=abc", true,
			http.StatusBadRequest, "InvalidSkipToken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, code, message := rawCall(t, tc.method, tc.url, tc.auth)
			if status != tc.wantStatus || code != tc.wantCode {
				t.Errorf("got %d %s, want %d %s", status, code, tc.wantStatus, tc.wantCode)
			}
			if message == "" {
				t.Error("the error carries no message")
			}
		})
	}
}

// rawCall sends a request without the SDK and decodes the ARM error body.
func rawCall(t *testing.T, method, url string, auth bool) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, nil)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer test")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var body errorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s %s answered %d without an ARM error body: %v", method, url,
			resp.StatusCode, err)
	}
	return resp.StatusCode, body.Error.Code, body.Error.Message
}

func TestServeRefusesNonLoopback(t *testing.T) {
	tests := []string{"0.0.0.0:0", ":0", "192.0.2.1:8080", "no-port"}
	s, _ := newTestSim(t, Options{})
	for _, addr := range tests {
		t.Run(addr, func(t *testing.T) {
			if _, err := s.Serve(context.Background(), addr); err == nil {
				t.Errorf("Serve(%q) listened; it must refuse a non-loopback address", addr)
			}
		})
	}
}

func TestServeStopsWhenContextEnds(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	endpoint, err := s.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(endpoint + "/")
		if err != nil {
			return
		}
		resp.Body.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the server still answers five seconds after its context ended")
}
