package sim

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	realStart := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		speed   float64
		elapsed time.Duration
		want    time.Duration // simulated time since the start
	}{
		{"real time", 1, time.Minute, time.Minute},
		{"sixty times", 60, time.Second, time.Minute},
		{"zero speed means real time", 0, time.Minute, time.Minute},
		{"negative speed means real time", -5, time.Minute, time.Minute},
		{"fractional", 0.5, time.Minute, 30 * time.Second},
		{"real time going back", 10, -time.Minute, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			current := realStart
			c := newClock(func() time.Time { return current }, testStart, tc.speed)
			current = realStart.Add(tc.elapsed)
			if got := c.now().Sub(testStart); got != tc.want {
				t.Errorf("simulated time moved %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClockZeroStartIsNow(t *testing.T) {
	realStart := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(func() time.Time { return realStart }, time.Time{}, 1)
	if got := c.now(); !got.Equal(realStart) {
		t.Errorf("start %v, want the source's time %v", got, realStart)
	}
}

func TestOperationFor(t *testing.T) {
	const sub = "/subscriptions/" + FixedSubscriptionID
	const vmss = sub + "/resourceGroups/rg-functions/providers/Microsoft.Compute" +
		"/virtualMachineScaleSets/vmss-func-win"
	tests := []struct {
		method, path, want string
	}{
		{http.MethodGet, sub + "/providers/Microsoft.Compute/virtualMachineScaleSets",
			OpListAllScaleSets},
		{http.MethodGet, sub + "/resourceGroups/rg/providers/Microsoft.Compute" +
			"/virtualMachineScaleSets", OpListScaleSets},
		{http.MethodGet, vmss, OpGetScaleSet},
		{http.MethodPatch, vmss, "VirtualMachineScaleSetsClient.BeginUpdate"},
		{http.MethodPost, vmss + "/manualupgrade", OpUpdateInstances},
		{http.MethodGet, vmss + "/virtualMachines", OpListInstances},
		{http.MethodGet, vmss + "/virtualMachines/3", OpGetInstance},
		{http.MethodGet, vmss + "/virtualMachines/3/instanceView", OpGetInstanceView},
		{http.MethodPost, vmss + "/virtualMachines/3/simulateEviction", OpSimulateEviction},
		{http.MethodPatch, vmss + "/extensions/deploy-functions",
			"VirtualMachineScaleSetExtensionsClient.BeginUpdate"},
		{http.MethodGet, strings.ToLower(vmss) + "/VIRTUALMACHINES", OpListInstances},
		{http.MethodDelete, vmss + "/virtualMachines", ""},
		{http.MethodGet, vmss + "/virtualMachines/3/nothing", ""},
		{http.MethodGet, "/", ""},
	}
	s, _ := newTestSim(t, Options{})
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			got, err := s.operationFor(tc.method, tc.path)
			if tc.want == "" {
				if err == nil || err.status != http.StatusNotFound {
					t.Errorf("resolved to %q, want a 404 route error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestOperationForPollFollowsStartedOperation(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	path := "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute" +
		"/virtualMachineScaleSets/v/manualupgrade"
	if _, err := s.operationFor(http.MethodGet, path+pollSuffix); err == nil {
		t.Fatal("a poll of an operation never started resolved")
	}
	ctx := context.WithValue(context.Background(), requestInfoKey{}, &requestInfo{path: path})
	s.mu.Lock()
	s.beginOperation(ctx, OpUpdateInstances, s.clock.now().Add(time.Minute), doneAt)
	s.mu.Unlock()
	for _, poll := range []string{path + pollSuffix, strings.ToUpper(path) + pollSuffix} {
		if got, err := s.operationFor(http.MethodGet, poll); err != nil ||
			got != OpUpdateInstances {
			t.Errorf("poll %s resolved to %q (%v), want %q", poll, got, err, OpUpdateInstances)
		}
	}
}

func TestInjectFaultCounts(t *testing.T) {
	tests := []struct {
		name      string
		op        string
		status    int
		count     int
		wantFails int
	}{
		{"two calls of one operation", OpGetScaleSet, http.StatusServiceUnavailable, 2, 2},
		{"any operation", AnyOperation, http.StatusBadGateway, 1, 1},
		{"other operation untouched", OpListInstances, http.StatusInternalServerError, 3, 0},
		{"not an error status", OpGetScaleSet, http.StatusOK, 3, 0},
		{"no count", OpGetScaleSet, http.StatusInternalServerError, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSim(t, Options{})
			c := inProcessClients(t, s)
			s.InjectFault(tc.op, tc.status, 0, tc.count)
			fails := 0
			for range 4 {
				_, err := c.scaleSets.Get(context.Background(), "rg-functions",
					"vmss-func-win", nil)
				if err != nil {
					if got := responseError(t, err).StatusCode; got != tc.status {
						t.Fatalf("failed with %d, want %d", got, tc.status)
					}
					fails++
				}
			}
			if fails != tc.wantFails {
				t.Errorf("%d calls failed, want %d", fails, tc.wantFails)
			}
			if got := s.Calls()[OpGetScaleSet]; got != 4 {
				t.Errorf("Calls counted %d gets, want 4", got)
			}
		})
	}
}

func TestInjectLatency(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	s.InjectLatency(OpGetScaleSet, time.Minute, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.scaleSets.Get(ctx, "rg-functions", "vmss-func-win", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow call ended with %v, want the context deadline", err)
	}
	if _, err := c.scaleSets.Get(context.Background(), "rg-functions", "vmss-func-win",
		nil); err != nil {
		t.Errorf("the next call is still slowed or failed: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"zero value", Options{}, ""},
		{"known override", Options{InstancesPerScaleSet: map[string]int{"vmss-func-win": 10}}, ""},
		{"extra set override", Options{ExtraScaleSets: 2,
			InstancesPerScaleSet: map[string]int{"vmss-extra-002": 10}}, ""},
		{"unknown name", Options{InstancesPerScaleSet: map[string]int{"vmss-nope": 1}},
			`"vmss-nope", which is not a simulated scale set`},
		{"negative count", Options{InstancesPerScaleSet: map[string]int{"vmss-func-win": -1}},
			"use 0 or more"},
		{"negative extras", Options{ExtraScaleSets: -1}, "ExtraScaleSets is -1"},
		{"eviction rate", Options{EvictionsPerHour: 6}, ""},
		{"negative eviction rate", Options{EvictionsPerHour: -1}, "EvictionsPerHour is -1"},
		{"eviction rate not a number", Options{EvictionsPerHour: math.NaN()},
			"EvictionsPerHour is NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestComputerNames(t *testing.T) {
	ss := &scaleSet{namePrefix: "funcwin"}
	tests := map[int]string{0: "funcwin000000", 35: "funcwin00000Z", 36: "funcwin000010"}
	for id, want := range tests {
		if got := (&instance{id: id}).computerName(ss); got != want {
			t.Errorf("instance %d: computer name %q, want %q", id, got, want)
		}
	}
}

// TestSameSeedSameFleet reads the same large fleet from two simulations with one seed,
// and from one with another seed, at the same simulated time.
func TestSameSeedSameFleet(t *testing.T) {
	snapshot := func(seed int64) string {
		s, clock := newTestSim(t, Options{Seed: seed,
			InstancesPerScaleSet: map[string]int{"vmss-func-win": 60}})
		clock.Advance(time.Second)
		now := s.lockAndAdvance()
		defer s.mu.Unlock()
		ss, err := s.findScaleSet("rg-functions", "vmss-func-win")
		if err != nil {
			t.Fatal(err)
		}
		var vms []any
		for _, in := range ss.instances {
			vms = append(vms, armInstance(ss, in, now, true))
		}
		data, err := json.Marshal(vms)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	first, again, other := snapshot(7), snapshot(7), snapshot(8)
	if first != again {
		t.Error("two simulations with the same seed and times differ")
	}
	if first == other {
		t.Error("two simulations with different seeds are identical")
	}
}

func TestStatusCode(t *testing.T) {
	tests := map[int]string{
		http.StatusTooManyRequests:     "TooManyRequests",
		http.StatusInternalServerError: "InternalServerError",
		http.StatusTeapot:              "Imateapot",
		599:                            "HTTP599",
	}
	for status, want := range tests {
		if got := statusCode(status); got != want {
			t.Errorf("status %d: code %q, want %q", status, got, want)
		}
	}
}

func TestInstanceIDsFollowCreationTime(t *testing.T) {
	s, _ := newTestSim(t, Options{InstancesPerScaleSet: map[string]int{"vmss-func-win": 80}})
	ss, err := s.findScaleSet("rg-functions", "vmss-func-win")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(ss.instances); i++ {
		prev, next := ss.instances[i-1], ss.instances[i]
		if next.created.Before(prev.created) {
			t.Fatalf("instance %d created %v, before instance %d (%v)", next.id, next.created,
				prev.id, prev.created)
		}
	}
}
