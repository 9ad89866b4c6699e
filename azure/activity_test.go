package azure

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
	monitorfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor/fake"
)

// activityGroup is the resource group of the scale sets in these tests.
const activityGroup = "rg-func"

// activityStart is the "since" of every read in these tests; activityNow is the test clock.
var (
	activityStart = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	activityNow   = activityStart.Add(time.Hour)
)

// activityFakeEndpoint is never dialled: the fake transport answers in-process.
const activityFakeEndpoint = "http://127.0.0.1:9"

// instanceResourceID is the resource ID of one scale-set instance.
func instanceResourceID(group, scaleSet, instance string) string {
	return "/subscriptions/" + armTestSubscription + "/resourceGroups/" + group +
		"/providers/Microsoft.Compute/virtualMachineScaleSets/" + scaleSet +
		"/virtualMachines/" + instance
}

// logEntry builds an Activity Log entry as the service sends it with the reader's $select.
func logEntry(operation, status, operationID, resourceID string,
	at time.Time) *armmonitor.EventData {
	return &armmonitor.EventData{
		OperationName:     &armmonitor.LocalizableString{Value: to.Ptr(operation)},
		Status:            &armmonitor.LocalizableString{Value: to.Ptr(status)},
		OperationID:       to.Ptr(operationID),
		CorrelationID:     to.Ptr("corr-" + operationID),
		EventDataID:       to.Ptr("event-" + operationID + "-" + status),
		EventTimestamp:    to.Ptr(at),
		ResourceID:        to.Ptr(resourceID),
		ResourceGroupName: to.Ptr(resourceGroupOf(resourceID)),
	}
}

// activityFake serves Activity Log pages through the SDK's fake server and records the
// $filter and $select of each read.
type activityFake struct {
	mu      sync.Mutex
	pages   [][]*armmonitor.EventData
	errCode string
	status  int
	filters []string
	selects []string
}

func (f *activityFake) listPager(filter string, options *armmonitor.ActivityLogsClientListOptions) (
	resp azfake.PagerResponder[armmonitor.ActivityLogsClientListResponse]) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, filter)
	if options != nil {
		f.selects = append(f.selects, stringOf(options.Select))
	}
	if f.errCode != "" {
		resp.AddResponseError(f.status, f.errCode)
		return resp
	}
	for _, page := range f.pages {
		list := armmonitor.EventDataCollection{Value: page}
		resp.AddPage(http.StatusOK, armmonitor.ActivityLogsClientListResponse{
			EventDataCollection: list}, nil)
	}
	return resp
}

// newFakeActivityLog returns a reader whose requests the fake answers in-process.
func newFakeActivityLog(t *testing.T, fake *activityFake, group string) *ActivityLog {
	t.Helper()
	servers := &monitorfake.ServerFactory{
		ActivityLogsServer: monitorfake.ActivityLogsServer{NewListPager: fake.listPager},
	}
	client, err := NewClient(ClientOptions{
		SubscriptionID: armTestSubscription,
		ResourceGroup:  group,
		ARMEndpoint:    activityFakeEndpoint,
		Transport:      monitorfake.NewServerFactoryTransport(servers),
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	activity, err := client.Activity()
	if err != nil {
		t.Fatalf("Activity: %v", err)
	}
	activity.now = func() time.Time { return activityNow }
	return activity
}

func TestEvictionsFromTheActivityLog(t *testing.T) {
	at := func(minutes int) time.Time {
		return activityStart.Add(time.Duration(minutes) * time.Minute)
	}
	vm := func(scaleSet, instance string) string {
		return instanceResourceID(activityGroup, scaleSet, instance)
	}
	lowerCaseID := "/SUBSCRIPTIONS/" + armTestSubscription + "/RESOURCEGROUPS/RG-Func/PROVIDERS/" +
		"MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/vmss-b/VIRTUALMACHINES/7"
	noIDs := logEntry(OpEvictSpot, "Succeeded", "", vm("vmss-a", "9"), at(8))
	noIDs.OperationID, noIDs.CorrelationID, noIDs.EventDataID = nil, nil, nil
	groupOnlyInField := logEntry(OpEvictSpot, "Succeeded", "op-g",
		"/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-c/virtualMachines/2", at(9))
	groupOnlyInField.ResourceGroupName = to.Ptr(activityGroup)
	submittedOnly := logEntry(OpEvictSpot, "Succeeded", "op-s", vm("vmss-a", "5"), at(0))
	submittedOnly.EventTimestamp, submittedOnly.SubmissionTimestamp = nil, to.Ptr(at(11))

	tests := []struct {
		name  string
		pages [][]*armmonitor.EventData
		want  []ActivityEviction
	}{
		{
			name: "real and simulated evictions, oldest first",
			pages: [][]*armmonitor.EventData{{
				logEntry(OpSimulateEviction, "Succeeded", "op-2", vm("vmss-a", "3"), at(5)),
				logEntry(OpEvictSpot, "Succeeded", "op-1", vm("vmss-a", "1"), at(2)),
			}},
			want: []ActivityEviction{
				{Time: at(2), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "1"},
				{Time: at(5), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "3",
					Simulated: true},
			},
		},
		{
			name: "unrelated operations are left out",
			pages: [][]*armmonitor.EventData{{
				logEntry("Microsoft.Compute/virtualMachineScaleSets/write", "Succeeded", "op-w",
					vm("vmss-a", "1"), at(1)),
				logEntry("Microsoft.Compute/virtualMachineScaleSets/virtualMachines/"+
					"deallocate/action", "Succeeded", "op-d", vm("vmss-a", "2"), at(2)),
				logEntry(OpEvictSpot, "Succeeded", "op-1", vm("vmss-a", "4"), at(3)),
			}},
			want: []ActivityEviction{
				{Time: at(3), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "4"},
			},
		},
		{
			name: "entries missing every field are skipped",
			pages: [][]*armmonitor.EventData{{
				nil,
				{},
				{OperationName: &armmonitor.LocalizableString{}},
				{OperationName: &armmonitor.LocalizableString{Value: to.Ptr(OpEvictSpot)}},
				{OperationName: &armmonitor.LocalizableString{Value: to.Ptr(OpEvictSpot)},
					EventTimestamp: to.Ptr(at(1))},
				{OperationName: &armmonitor.LocalizableString{Value: to.Ptr(OpEvictSpot)},
					EventTimestamp: to.Ptr(at(1)), ResourceID: to.Ptr(vm("vmss-z", "1"))},
			}},
			want: []ActivityEviction{
				{Time: at(1), ResourceGroup: activityGroup, ScaleSet: "vmss-z", InstanceID: "1"},
			},
		},
		{
			name: "started and succeeded of one operation give one eviction at the outcome",
			pages: [][]*armmonitor.EventData{{
				logEntry(OpEvictSpot, "Succeeded", "op-1", vm("vmss-a", "1"), at(4)),
				logEntry(OpEvictSpot, "Started", "op-1", vm("vmss-a", "1"), at(3)),
				logEntry(OpSimulateEviction, "Started", "op-2", vm("vmss-a", "2"), at(6)),
				logEntry(OpSimulateEviction, "Accepted", "op-2", vm("vmss-a", "2"), at(7)),
			}},
			want: []ActivityEviction{
				{Time: at(4), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "1"},
				{Time: at(7), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "2",
					Simulated: true},
			},
		},
		{
			name: "an operation only started so far is kept; a failed one is not",
			pages: [][]*armmonitor.EventData{{
				logEntry(OpSimulateEviction, "Started", "op-1", vm("vmss-a", "1"), at(3)),
				logEntry(OpSimulateEviction, "Started", "op-2", vm("vmss-a", "2"), at(3)),
				logEntry(OpSimulateEviction, "Failed", "op-2", vm("vmss-a", "2"), at(4)),
			}},
			want: []ActivityEviction{
				{Time: at(3), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "1",
					Simulated: true},
			},
		},
		{
			name: "one correlation over several instances keeps each instance",
			pages: [][]*armmonitor.EventData{{
				logEntry(OpEvictSpot, "Succeeded", "op-1", vm("vmss-a", "1"), at(3)),
				logEntry(OpEvictSpot, "Succeeded", "op-1", vm("vmss-a", "2"), at(3)),
			}},
			want: []ActivityEviction{
				{Time: at(3), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "1"},
				{Time: at(3), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "2"},
			},
		},
		{
			name: "names in other cases, and fields to fall back on",
			pages: [][]*armmonitor.EventData{{
				logEntry(strings.ToLower(OpEvictSpot), "succeeded", "op-1", lowerCaseID, at(1)),
				noIDs,
				groupOnlyInField,
				submittedOnly,
			}},
			want: []ActivityEviction{
				{Time: at(1), ResourceGroup: "RG-Func", ScaleSet: "vmss-b", InstanceID: "7"},
				{Time: at(8), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "9"},
				{Time: at(9), ResourceGroup: activityGroup, ScaleSet: "vmss-c", InstanceID: "2"},
				{Time: at(11), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "5"},
			},
		},
		{
			name: "entries over two pages and a scale set named alone",
			pages: [][]*armmonitor.EventData{
				{logEntry(OpEvictSpot, "Succeeded", "op-1", vm("vmss-a", "1"), at(1))},
				{logEntry(OpEvictSpot, "Succeeded", "op-2", "/subscriptions/"+armTestSubscription+
					"/resourceGroups/"+activityGroup+
					"/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-a", at(2))},
			},
			want: []ActivityEviction{
				{Time: at(1), ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "1"},
				{Time: at(2), ResourceGroup: activityGroup, ScaleSet: "vmss-a"},
			},
		},
		{
			name: "entries before the start or from a standalone VM are left out",
			pages: [][]*armmonitor.EventData{{
				logEntry(OpEvictSpot, "Succeeded", "op-1", vm("vmss-a", "1"), at(-1)),
				logEntry(OpEvictSpot, "Succeeded", "op-2", "/subscriptions/"+armTestSubscription+
					"/resourceGroups/"+activityGroup+
					"/providers/Microsoft.Compute/virtualMachines/vm-1", at(2)),
			}},
			want: []ActivityEviction{},
		},
		{
			name:  "an empty log",
			pages: [][]*armmonitor.EventData{{}},
			want:  []ActivityEviction{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			activity := newFakeActivityLog(t, &activityFake{pages: tt.pages}, "")
			got, err := activity.Evictions(context.Background(), activityStart)
			if err != nil {
				t.Fatalf("Evictions: %v", err)
			}
			assertMappedEqual(t, got, tt.want)
		})
	}
}

func TestEvictionsRequest(t *testing.T) {
	tests := []struct {
		name       string
		group      string
		since      time.Time
		wantFilter string
	}{
		{
			name:  "subscription narrowed to the Compute provider",
			since: activityStart,
			wantFilter: "eventTimestamp ge '2026-12-03T10:00:00Z' and " +
				"resourceProvider eq 'Microsoft.Compute'",
		},
		{
			name:  "resource group, start time in UTC",
			group: activityGroup,
			since: time.Date(2026, 12, 3, 11, 30, 0, 500, time.FixedZone("CET", 3600)),
			wantFilter: "eventTimestamp ge '2026-12-03T10:30:00.0000005Z' and " +
				"resourceGroupName eq 'rg-func'",
		},
		{
			name:  "a start older than the log keeps is moved up to its retention",
			since: time.Time{},
			wantFilter: "eventTimestamp ge '2026-09-04T11:00:00Z' and " +
				"resourceProvider eq 'Microsoft.Compute'",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &activityFake{pages: [][]*armmonitor.EventData{{}}}
			activity := newFakeActivityLog(t, fake, tt.group)
			if _, err := activity.Evictions(context.Background(), tt.since); err != nil {
				t.Fatalf("Evictions: %v", err)
			}
			if len(fake.filters) != 1 || fake.filters[0] != tt.wantFilter {
				t.Errorf("filters = %q, want one: %q", fake.filters, tt.wantFilter)
			}
			if len(fake.selects) != 1 || fake.selects[0] != activitySelect {
				t.Errorf("selects = %q, want one: %q", fake.selects, activitySelect)
			}
			for _, field := range []string{"operationName", "status", "eventTimestamp",
				"resourceId", "operationId", "eventDataId"} {
				if !strings.Contains(activitySelect, field) {
					t.Errorf("$select %q lacks %s, which the reader uses", activitySelect, field)
				}
			}
		})
	}
}

func TestEvictionsErrorsNameTheFix(t *testing.T) {
	tests := []struct {
		name     string
		group    string
		status   int
		code     string
		wantCode string
		want     []string
	}{
		{
			name:     "no role on the subscription",
			status:   http.StatusForbidden,
			code:     "AuthorizationFailed",
			wantCode: "AuthorizationFailed",
			want: []string{"read Spot evictions from the Activity Log of subscription " +
				armTestSubscription, "AuthorizationFailed (403)", "grant the Reader role on " +
				"subscription " + armTestSubscription + " to read the Activity Log"},
		},
		{
			name:     "no role on the resource group",
			group:    activityGroup,
			status:   http.StatusForbidden,
			code:     "AuthorizationFailed",
			wantCode: "AuthorizationFailed",
			want: []string{"resource group rg-func in subscription",
				"grant the Reader role on resource group rg-func to read the Activity Log"},
		},
		{
			name:     "a bad filter",
			status:   http.StatusBadRequest,
			code:     "BadRequest",
			wantCode: "BadRequest",
			want:     []string{"BadRequest (400)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &activityFake{status: tt.status, errCode: tt.code}
			activity := newFakeActivityLog(t, fake, tt.group)
			got, err := activity.Evictions(context.Background(), activityStart)
			if err == nil {
				t.Fatalf("Evictions = %v, want an error", got)
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
			if code := ErrorCode(err); code != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", code, tt.wantCode)
			}
		})
	}
}

func TestEvictionsWhenCancelled(t *testing.T) {
	activity := newFakeActivityLog(t, &activityFake{pages: [][]*armmonitor.EventData{{}}}, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := activity.Evictions(ctx, activityStart)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Evictions error = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "Activity Log") {
		t.Errorf("error %q does not name the Activity Log", err)
	}
}

// TestEvictionsFromWireJSON reads the JSON shape the service sends, explicit nulls and
// all, through a real HTTP server; it is the shape a stand-in for the service must serve.
func TestEvictionsFromWireJSON(t *testing.T) {
	stub := newARMStub()
	path := "/subscriptions/" + armTestSubscription +
		"/providers/Microsoft.Insights/eventtypes/management/values"
	resourceID := instanceResourceID(activityGroup, "vmss-a", "3")
	stub.answer(path, []byte(`{"value":[
	  {"eventDataId":"e1","correlationId":"c1","operationId":"o1",
	   "operationName":{"value":"`+OpSimulateEviction+`","localizedValue":"Simulate Eviction"},
	   "status":{"value":"Started","localizedValue":"Started"},
	   "eventTimestamp":"2026-12-03T10:04:00.1234567Z",
	   "resourceGroupName":"rg-func","resourceId":"`+resourceID+`"},
	  {"eventDataId":"e2","correlationId":"c1","operationId":"o1",
	   "operationName":{"value":"`+OpSimulateEviction+`","localizedValue":null},
	   "status":{"value":"Succeeded","localizedValue":null},
	   "subStatus":null,"eventTimestamp":"2026-12-03T10:05:00Z",
	   "submissionTimestamp":"2026-12-03T10:06:00Z",
	   "resourceGroupName":"rg-func","resourceId":"`+resourceID+`"},
	  {"eventDataId":"e3","operationName":null,"status":null,"eventTimestamp":null,
	   "resourceId":null},
	  {"operationName":{"value":null},"resourceId":"`+resourceID+`"}
	]}`))
	client, _ := newTLSStubClient(t, stub)
	activity, err := client.Activity()
	if err != nil {
		t.Fatalf("Activity: %v", err)
	}
	got, err := activity.Evictions(context.Background(), activityStart)
	if err != nil {
		t.Fatalf("Evictions: %v", err)
	}
	want := []ActivityEviction{{Time: activityStart.Add(5 * time.Minute),
		ResourceGroup: activityGroup, ScaleSet: "vmss-a", InstanceID: "3", Simulated: true}}
	assertMappedEqual(t, got, want)
	seen := stub.requests()
	if len(seen) != 1 || seen[0].query.Get("api-version") == "" {
		t.Errorf("requests = %+v, want one with an api-version", seen)
	}
}

func TestScaleSetTarget(t *testing.T) {
	tests := []struct {
		name                          string
		id                            string
		group, scaleSet, wantInstance string
	}{
		{name: "instance", id: instanceResourceID("rg", "vmss", "12"),
			group: "rg", scaleSet: "vmss", wantInstance: "12"},
		{name: "segments in lower case",
			id: "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/" +
				"virtualmachinescalesets/vmss/virtualmachines/0",
			group: "rg", scaleSet: "vmss", wantInstance: "0"},
		{name: "scale set only", id: "/subscriptions/s/resourceGroups/rg/providers/" +
			"Microsoft.Compute/virtualMachineScaleSets/vmss", group: "rg", scaleSet: "vmss"},
		{name: "trailing slash", id: "/subscriptions/s/resourceGroups/rg/providers/" +
			"Microsoft.Compute/virtualMachineScaleSets/vmss/", group: "rg", scaleSet: "vmss"},
		{name: "instance segment without an ID", id: "/subscriptions/s/resourceGroups/rg/" +
			"providers/Microsoft.Compute/virtualMachineScaleSets/vmss/virtualMachines",
			group: "rg", scaleSet: "vmss"},
		{name: "standalone VM", id: "/subscriptions/s/resourceGroups/rg/providers/" +
			"Microsoft.Compute/virtualMachines/vm1"},
		{name: "scale set segment last", id: "/subscriptions/s/resourceGroups/rg/providers/" +
			"Microsoft.Compute/virtualMachineScaleSets"},
		{name: "empty", id: ""},
		{name: "slashes only", id: "///"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			group, scaleSet, instance := scaleSetTarget(tt.id)
			if group != tt.group || scaleSet != tt.scaleSet || instance != tt.wantInstance {
				t.Errorf("scaleSetTarget(%q) = %q, %q, %q; want %q, %q, %q", tt.id,
					group, scaleSet, instance, tt.group, tt.scaleSet, tt.wantInstance)
			}
		})
	}
}
