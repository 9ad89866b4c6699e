package sim

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"

	"spotdeck/azure"
)

func TestRoutesOfEveryProvider(t *testing.T) {
	const sub = "/subscriptions/" + FixedSubscriptionID
	tests := []struct {
		method, path, want string
	}{
		{http.MethodGet, sub + "/providers/Microsoft.Insights/eventtypes/management/values",
			OpListActivityLogs},
		{http.MethodGet, strings.ToLower(sub + "/providers/Microsoft.Insights/eventtypes" +
			"/management/values"), OpListActivityLogs},
		{http.MethodPost, "/providers/Microsoft.ResourceGraph/resources", OpQueryResources},
		{http.MethodGet, "/providers/Microsoft.ResourceGraph/resources", ""},
		{http.MethodGet, sub + "/providers/Microsoft.Compute/virtualMachineScaleSets",
			OpListAllScaleSets},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			got, ok := routeFor(tc.method, tc.path)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("routed to %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
}

func TestProviderForSharedOperationName(t *testing.T) {
	// Two providers name an operation alike, as armresourcegraph and armsubscriptions both
	// have a "Client"; the route tells them apart.
	saved := append([]*provider(nil), registry.providers...)
	savedByOp := registry.byOp
	t.Cleanup(func() { registry.providers, registry.byOp = saved, savedByOp })
	registry.byOp = map[string][]*provider{}
	for op, list := range savedByOp {
		registry.byOp[op] = list
	}
	other := func(*Sim, *http.Request) azure.Transporter { return nil }
	registerProvider(provider{name: "Test.Other", transport: other,
		routes: []route{newRoute(http.MethodGet, "/providers/Test.Other/things",
			OpQueryResources)}})

	tests := []struct {
		method, path, want string
	}{
		{http.MethodPost, "/providers/Microsoft.ResourceGraph/resources",
			"Microsoft.ResourceGraph"},
		{http.MethodGet, "/providers/Test.Other/things", "Test.Other"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			p, ok := providerFor(OpQueryResources, tc.method, tc.path)
			if !ok || p.name != tc.want {
				t.Fatalf("provider %v (%v), want %s", p, ok, tc.want)
			}
		})
	}
	if _, ok := providerFor(OpQueryResources, http.MethodGet, "/elsewhere"); ok {
		t.Error("a shared operation name resolved without a matching route")
	}
}

func TestRegisterProviderRefusesMistakes(t *testing.T) {
	noop := func(*Sim, *http.Request) azure.Transporter { return nil }
	someRoute := []route{newRoute(http.MethodGet, "/x", "X.Y")}
	tests := []struct {
		name string
		p    provider
	}{
		{"no name", provider{routes: someRoute, transport: noop}},
		{"no routes", provider{name: "A.B", transport: noop}},
		{"no transport", provider{name: "A.B", routes: someRoute}},
		{"registered twice", provider{name: "microsoft.compute", routes: someRoute,
			transport: noop}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("registerProvider accepted the provider")
				}
			}()
			registerProvider(tc.p)
		})
	}
}

// monitorClient builds the real Activity Log client for an endpoint; a nil transport
// means the network.
func monitorClient(t *testing.T, endpoint string,
	transport azure.Transporter) *armmonitor.ActivityLogsClient {
	t.Helper()
	client, err := armmonitor.NewActivityLogsClient(FixedSubscriptionID, testCredential,
		clientOptions(endpoint, transport))
	if err != nil {
		t.Fatalf("activity log client: %v", err)
	}
	return client
}

// graphClient builds the real Resource Graph client for an endpoint.
func graphClient(t *testing.T, endpoint string,
	transport azure.Transporter) *armresourcegraph.Client {
	t.Helper()
	client, err := armresourcegraph.NewClient(testCredential, clientOptions(endpoint, transport))
	if err != nil {
		t.Fatalf("resource graph client: %v", err)
	}
	return client
}

// listEvents reads every Activity Log entry a filter admits.
func listEvents(t *testing.T, client *armmonitor.ActivityLogsClient, filter string,
	selected *string) []*armmonitor.EventData {
	t.Helper()
	var events []*armmonitor.EventData
	pager := client.NewListPager(filter, &armmonitor.ActivityLogsClientListOptions{
		Select: selected})
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list activity log: %v", err)
		}
		events = append(events, page.Value...)
	}
	return events
}

func TestEveryProviderAnswersTheRealClients(t *testing.T) {
	for _, via := range []string{"in-process", "http"} {
		t.Run(via, func(t *testing.T) {
			s, _ := newTestSim(t, Options{})
			endpoint, transport := InProcessEndpoint, s.Transport()
			if via == "http" {
				endpoint, transport = serve(t, s), nil
			}
			events := listEvents(t, monitorClient(t, endpoint, transport),
				"eventTimestamp ge '2026-01-01T00:00:00Z'", nil)
			if len(events) != 0 {
				t.Errorf("a fresh subscription logged %d events, want none", len(events))
			}
			answer, err := graphClient(t, endpoint, transport).Resources(context.Background(),
				armresourcegraph.QueryRequest{Query: to.Ptr("SpotResources | where type =~ '" +
					spotEvictionRateType + "'")}, nil)
			if err != nil {
				t.Fatalf("resource graph query: %v", err)
			}
			if got := deref(answer.Count); got != int64(len(s.fleetSKUs())) {
				t.Errorf("%d eviction-rate rows, want one per fleet VM size (%d)", got,
					len(s.fleetSKUs()))
			}
			if sets := listScaleSets(t, newClients(t, FixedSubscriptionID, endpoint,
				transport)); len(sets) != 3 {
				t.Errorf("compute listed %d scale sets beside the other providers, want 3",
					len(sets))
			}
		})
	}
}
