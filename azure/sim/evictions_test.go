package sim

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"

	"spotdeck/azure"
)

// sinceStart is a filter that admits every entry of a test simulation.
const sinceStart = "eventTimestamp ge '2026-12-03T09:00:00Z'"

// capacityOf reads a scale set's sku.capacity through the real client.
func capacityOf(t *testing.T, c clients, group, name string) int64 {
	t.Helper()
	resp, err := c.scaleSets.Get(context.Background(), group, name, nil)
	if err != nil {
		t.Fatalf("get scale set %s: %v", name, err)
	}
	return deref(deref(resp.SKU).Capacity)
}

func simulateEviction(t *testing.T, c clients, group, name, id string) {
	t.Helper()
	if _, err := c.instances.SimulateEviction(context.Background(), group, name, id,
		nil); err != nil {
		t.Fatalf("simulate eviction of %s/%s: %v", name, id, err)
	}
}

func TestEvictionUnderDeleteRefills(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			c := clientsVia(t, s, via)
			simulateEviction(t, c, "rg-functions", "vmss-func-win", "1")

			simAdvance(clock, 2*time.Minute)
			vms, _ := listInstances(t, c, "rg-functions", "vmss-func-win", true)
			if instanceByID(vms)["1"] != nil || len(vms) != 5 {
				t.Fatalf("after the eviction: %d instances, evicted one present %v; want 5, gone",
					len(vms), instanceByID(vms)["1"] != nil)
			}
			if got := capacityOf(t, c, "rg-functions", "vmss-func-win"); got != 5 {
				t.Errorf("capacity after the eviction %d, want 5", got)
			}

			// The refill comes refillDelay after the deletion: half a minute into its boot.
			simAdvance(clock, refillDelay-30*time.Second)
			refilled := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "6"))
			want := observed{"ProvisioningState/creating", "PowerState/starting",
				"HealthState/initializing", "", "v7", true}
			if refilled != want {
				t.Errorf("refilled instance\n got %+v\nwant %+v", refilled, want)
			}
			if got := capacityOf(t, c, "rg-functions", "vmss-func-win"); got != 6 {
				t.Errorf("capacity after the refill %d, want 6", got)
			}

			simAdvance(clock, 10*time.Minute)
			booted := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "6"))
			if booted.power != "PowerState/running" || booted.health != "HealthState/healthy" ||
				booted.provisioning != "ProvisioningState/succeeded" {
				t.Errorf("refilled instance ten minutes on: %+v, want running and healthy", booted)
			}
		})
	}
}

func TestEvictionUnderDeallocateStays(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			c := clientsVia(t, s, via)
			simulateEviction(t, c, "rg-functions", "vmss-func-linux", "0")
			simAdvance(clock, time.Hour)
			vms, _ := listInstances(t, c, "rg-functions", "vmss-func-linux", true)
			if len(vms) != 4 {
				t.Fatalf("%d instances an hour after a deallocating eviction, want 4", len(vms))
			}
			evicted := observe(instanceByID(vms)["0"])
			if evicted.power != "PowerState/deallocated" || evicted.health != "" {
				t.Errorf("evicted instance power %q health %q, want deallocated, no health",
					evicted.power, evicted.health)
			}
			if got := capacityOf(t, c, "rg-functions", "vmss-func-linux"); got != 4 {
				t.Errorf("capacity %d, want 4: a deallocated instance still counts", got)
			}
		})
	}
}

func TestEvictionsAreLogged(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			endpoint, transport := connect(t, s, via)
			c := newClients(t, FixedSubscriptionID, endpoint, transport)
			simAdvance(clock, 5*time.Minute)
			firstAt := s.Now()
			simulateEviction(t, c, "rg-functions", "vmss-func-win", "1")
			simAdvance(clock, 5*time.Minute)
			simulateEviction(t, c, "rg-functions", "vmss-func-linux", "0")

			events := listEvents(t, monitorClient(t, endpoint, transport), sinceStart, nil)
			if len(events) != 2 {
				t.Fatalf("%d entries, want 2", len(events))
			}
			// Newest first, as the service answers.
			checkEvictionEntry(t, events[1], "vmss-func-win", "1", firstAt)
			checkEvictionEntry(t, events[0], "vmss-func-linux", "0", firstAt.Add(5*time.Minute))
			if deref(events[0].EventDataID) == deref(events[1].EventDataID) {
				t.Error("two entries share an eventDataId")
			}
		})
	}
}

// checkEvictionEntry checks one simulated eviction's Activity Log entry.
func checkEvictionEntry(t *testing.T, e *armmonitor.EventData, set, id string, at time.Time) {
	t.Helper()
	wantID := "/subscriptions/" + FixedSubscriptionID + "/resourceGroups/rg-functions" +
		"/providers/Microsoft.Compute/virtualMachineScaleSets/" + set + "/virtualMachines/" + id
	if got := deref(e.ResourceID); got != wantID {
		t.Errorf("resourceId %q, want %q", got, wantID)
	}
	if got := deref(deref(e.OperationName).Value); got != azure.OpSimulateEviction {
		t.Errorf("operationName %q, want %q", got, azure.OpSimulateEviction)
	}
	if got := deref(deref(e.Status).Value); got != "Succeeded" {
		t.Errorf("status %q, want Succeeded", got)
	}
	if got := deref(e.EventTimestamp); !got.Equal(at) {
		t.Errorf("eventTimestamp %v, want %v", got, at)
	}
	if deref(e.EventDataID) == "" || deref(e.CorrelationID) == "" {
		t.Errorf("eventDataId %q correlationId %q, want both set", deref(e.EventDataID),
			deref(e.CorrelationID))
	}
}

// evictedAt makes a simulation with an eviction of each Functions scale set at the given
// minutes after the start, and returns it with the Activity Log client.
func evictedAt(t *testing.T, opts Options, minutes ...int) (*Sim,
	*armmonitor.ActivityLogsClient) {
	t.Helper()
	s, clock := newTestSim(t, opts)
	c := inProcessClients(t, s)
	elapsed := 0
	for i, m := range minutes {
		simAdvance(clock, time.Duration(m-elapsed)*time.Minute)
		elapsed = m
		set, id := "vmss-func-win", fmt.Sprint(i%3)
		if i%2 == 1 {
			set, id = "vmss-func-linux", fmt.Sprint(i/2)
		}
		simulateEviction(t, c, "rg-functions", set, id)
	}
	return s, monitorClient(t, InProcessEndpoint, s.Transport())
}

func TestActivityFilter(t *testing.T) {
	_, logs := evictedAt(t, Options{}, 10, 20, 30, 40)
	tests := []struct {
		name, filter string
		want         int
	}{
		{"start only", sinceStart, 4},
		{"start after two", "eventTimestamp ge '2026-12-03T09:25:00Z'", 2},
		{"any case, fractional seconds", "EVENTTIMESTAMP GE '2026-12-03T09:25:00.0000000Z'", 2},
		{"time without zone", "eventTimestamp ge '2026-12-03T09:25:00'", 2},
		{"date only", "eventTimestamp ge '2026-12-03'", 4},
		{"start and end", sinceStart + " and eventTimestamp le '2026-12-03T09:25:00Z'", 2},
		{"resource group", sinceStart + " and resourceGroupName eq 'RG-Functions'", 4},
		{"other resource group", sinceStart + " and resourceGroupName eq 'rg-batch'", 0},
		{"resource provider", sinceStart + " and resourceProvider eq 'Microsoft.Compute'", 4},
		{"one resource", sinceStart + " and resourceUri eq '/subscriptions/" +
			FixedSubscriptionID + "/resourceGroups/rg-functions/providers/Microsoft.Compute" +
			"/virtualMachineScaleSets/vmss-func-linux/virtualMachines/0'", 1},
		{"future", "eventTimestamp ge '2027-01-01T00:00:00Z'", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(listEvents(t, logs, tc.filter, nil)); got != tc.want {
				t.Errorf("%d entries, want %d", got, tc.want)
			}
		})
	}
}

func TestActivityFilterRefused(t *testing.T) {
	_, logs := evictedAt(t, Options{}, 10)
	tests := []struct {
		name, filter, wantMessage string
	}{
		{"no start", "resourceGroupName eq 'rg-functions'", "has no start time"},
		{"not a time", "eventTimestamp ge 'yesterday'", "is not a time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pager := logs.NewListPager(tc.filter, nil)
			_, err := pager.NextPage(context.Background())
			respErr := responseError(t, err)
			if respErr.StatusCode != 400 || !strings.Contains(err.Error(), tc.wantMessage) {
				t.Errorf("got %d %v, want 400 saying %q", respErr.StatusCode, err, tc.wantMessage)
			}
		})
	}
}

func TestActivityPagesAndSelects(t *testing.T) {
	s, logs := evictedAt(t, Options{PageSize: 2}, 1, 2, 3, 4, 5)
	pager := logs.NewListPager(sinceStart, &armmonitor.ActivityLogsClientListOptions{
		Select: to.Ptr("eventTimestamp, operationName")})
	var times []time.Time
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		for _, e := range page.Value {
			times = append(times, deref(e.EventTimestamp))
			if e.ResourceID != nil || e.Status != nil || e.OperationName == nil {
				t.Errorf("entry carries fields beyond $select: resourceId %v status %v, "+
					"operationName %v", e.ResourceID != nil, e.Status != nil,
					e.OperationName != nil)
			}
		}
	}
	if pages != 3 || len(times) != 5 {
		t.Fatalf("%d entries in %d pages, want 5 in 3", len(times), pages)
	}
	for i := 1; i < len(times); i++ {
		if !times[i].Before(times[i-1]) {
			t.Errorf("entry %d at %v is not older than the one before (%v)", i, times[i],
				times[i-1])
		}
	}
	if got := s.Calls()[OpListActivityLogs]; got != 3 {
		t.Errorf("%d calls counted, want one per page", got)
	}
}

func TestActivityReaderReadsTheSimulatedLog(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			endpoint, transport := connect(t, s, via)
			simAdvance(clock, 3*time.Minute)
			simulateEviction(t, newClients(t, FixedSubscriptionID, endpoint, transport),
				"rg-functions", "vmss-func-win", "2")
			client, err := azure.NewClient(azure.ClientOptions{SubscriptionID: s.SubscriptionID(),
				ARMEndpoint: endpoint, Transport: transport})
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			logs, err := client.Activity()
			if err != nil {
				t.Fatalf("activity reader: %v", err)
			}
			got, err := logs.Evictions(context.Background(), testStart)
			if err != nil {
				t.Fatalf("read evictions: %v", err)
			}
			want := azure.ActivityEviction{Time: testStart.Add(3 * time.Minute),
				ResourceGroup: "rg-functions", ScaleSet: "vmss-func-win", InstanceID: "2",
				Simulated: true}
			if len(got) != 1 || got[0] != want {
				t.Errorf("evictions %+v, want [%+v]", got, want)
			}
		})
	}
}

// platformEvictions lists the platform's evictions in the log, as "set/id@time".
func platformEvictions(t *testing.T, s *Sim) []string {
	t.Helper()
	var out []string
	for _, e := range listEvents(t, monitorClient(t, InProcessEndpoint, s.Transport()),
		sinceStart, nil) {
		if deref(deref(e.OperationName).Value) != azure.OpEvictSpot {
			t.Errorf("a random eviction logged as %q", deref(deref(e.OperationName).Value))
		}
		id := deref(e.ResourceID)
		out = append(out, id[strings.Index(id, "/virtualMachineScaleSets/")+25:]+"@"+
			deref(e.EventTimestamp).Format(time.RFC3339))
	}
	return out
}

func TestRandomEvictionsFollowTheSeed(t *testing.T) {
	run := func(seed int64) string {
		s, clock := newTestSim(t, Options{Seed: seed, EvictionsPerHour: 3})
		simAdvance(clock, 3*time.Hour)
		return strings.Join(platformEvictions(t, s), " ")
	}
	first, again, other := run(7), run(7), run(8)
	if first == "" {
		t.Fatal("no random eviction in three hours at 3 per hour and scale set")
	}
	if first != again {
		t.Errorf("the same seed evicted differently:\n%s\n%s", first, again)
	}
	if first == other {
		t.Errorf("seeds 7 and 8 evicted the same instances at the same times: %s", first)
	}
}

func TestRandomEvictionRate(t *testing.T) {
	const perHour, hours = 6.0, 20
	s, clock := newTestSim(t, Options{Seed: 3, EvictionsPerHour: perHour})
	simAdvance(clock, hours*time.Hour)
	counts := map[string]int{}
	for _, e := range platformEvictions(t, s) {
		counts[e[:strings.Index(e, "/")]]++
	}
	// The Delete scale set is refilled, so it always has instances to evict: its count is
	// a Poisson draw of mean 120; 4.5 standard deviations either side.
	if n := counts["vmss-func-win"]; n < 70 || n > 170 {
		t.Errorf("vmss-func-win: %d evictions in %d hours at %v per hour", n, hours, perHour)
	}
	// The Deallocate scale set runs out of running instances: four at most.
	if n := counts["vmss-func-linux"]; n < 1 || n > 4 {
		t.Errorf("vmss-func-linux: %d evictions, want 1 to 4 (it has four instances)", n)
	}
	if n := counts["vmss-batch-regular"]; n != 0 {
		t.Errorf("regular-priority scale set evicted %d times", n)
	}
}
