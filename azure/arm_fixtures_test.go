package azure

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
)

// These tests serve the Azure REST examples in the shared fixtures folder through the real
// armcompute client and check what the mapping makes of them.

const (
	maxSetScaleSetID = "/subscriptions/{subscription-id}/resourceGroups/{resourceGroupName}" +
		"/providers/Microsoft.Compute/virtualMachineScaleSets/{virtualMachineScaleSetName}"
	rgcomputeScaleSetID = "/subscriptions/{subscription-id}/resourceGroups/rgcompute" +
		"/providers/Microsoft.Compute/virtualMachineScaleSets/{virtualMachineScaleSetName}"
)

func TestListScaleSetsFromFixtures(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		// asList wraps a single-resource body into a one-item list answer.
		asList bool
		group  string
		want   []ScaleSet
	}{
		{
			name:    "list all, every field",
			fixture: "VirtualMachineScaleSets_ListAll.json",
			want:    []ScaleSet{maximumScaleSet()},
		},
		{
			name:    "list all, only id and location",
			fixture: "VirtualMachineScaleSets_ListAll_Minimum.json",
			want: []ScaleSet{{
				ID:            maxSetScaleSetID,
				Name:          "{virtualMachineScaleSetName}",
				ResourceGroup: "{resourceGroupName}",
				Location:      "westus",
			}},
		},
		{
			name:    "list one resource group",
			fixture: "VirtualMachineScaleSets_List.json",
			group:   "rgcompute",
			want: []ScaleSet{
				{ID: rgcomputeScaleSetID, Name: "{virtualMachineScaleSetName}",
					ResourceGroup: "rgcompute", Location: "eastus"},
				{ID: rgcomputeScaleSetID, Name: "{virtualMachineScaleSetName}",
					ResourceGroup: "rgcompute", Location: "eastus"},
			},
		},
		{
			name:    "hand-written get, linux, automatic upgrades, no spot fields",
			fixture: "VirtualMachineScaleSets_Get.json",
			asList:  true,
			want:    []ScaleSet{getScaleSet()},
		},
		{
			name:    "spot scale set with restore policy",
			fixture: "VirtualMachineScaleSets_CreateOrUpdate_Spot.json",
			asList:  true,
			want:    []ScaleSet{spotScaleSet()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := armExampleBody(t, tt.fixture, "200")
			served := armListBody(t, body)
			if !tt.asList {
				served = withoutNextLink(t, body)
			}
			path := allScaleSetsPath
			if tt.group != "" {
				path = groupScaleSetsPath(tt.group)
			}
			stub := newARMStub()
			stub.answer(path, served)
			client, _ := newTLSStubClientFor(t, stub, tt.group)

			got, err := client.ListScaleSets(context.Background())
			if err != nil {
				t.Fatalf("ListScaleSets: %v", err)
			}
			assertMappedEqual(t, got, tt.want)
			assertOneRequest(t, stub, path)
		})
	}
}

func maximumScaleSet() ScaleSet {
	return ScaleSet{
		ID:                maxSetScaleSetID,
		Name:              "{virtualMachineScaleSetName}",
		ResourceGroup:     "{resourceGroupName}",
		Location:          "westus",
		SKU:               "Standard_D1_v2",
		Capacity:          to.Ptr[int64](3),
		OrchestrationMode: "uniform",
		Priority:          "regular",
		EvictionPolicy:    "deallocate",
		MaxPrice:          to.Ptr(4.0),
		SpotRestore:       to.Ptr(true),
		UpgradeMode:       "manual",
		RollingUpgrade: &RollingUpgradePolicy{
			MaxBatchInstancePercent:             to.Ptr[int32](49),
			MaxUnhealthyInstancePercent:         to.Ptr[int32](81),
			MaxUnhealthyUpgradedInstancePercent: to.Ptr[int32](98),
			PauseTimeBetweenBatches:             "aaaaaaaaaaaaaaa",
		},
		ProvisioningState: "succeeded",
		// The OS disk says Windows although the filler profile carries both OS configurations.
		OSType: "windows",
		Zones:  []string{"aaaaaaaaaaaaaaaaaaaa"},
		// Its only extension has the filler type "aaaaaaaa": neither script nor health.
	}
}

func getScaleSet() ScaleSet {
	return ScaleSet{
		ID: "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/" +
			"Microsoft.Compute/virtualMachineScaleSets/myVirtualMachineScaleSet",
		Name:              "myVirtualMachineScaleSet",
		ResourceGroup:     "myResourceGroup",
		Location:          "westus",
		SKU:               "Standard_D2s_v3",
		Capacity:          to.Ptr[int64](4),
		UpgradeMode:       "automatic",
		ProvisioningState: "succeeded",
		OSType:            "linux",
	}
}

func spotScaleSet() ScaleSet {
	return ScaleSet{
		ID: "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/" +
			"Microsoft.Compute/virtualMachineScaleSets/{vmss-name}",
		Name:              "{vmss-name}",
		ResourceGroup:     "myResourceGroup",
		Location:          "westus",
		SKU:               "Standard_A8m_v2",
		Capacity:          to.Ptr[int64](2),
		Priority:          "spot",
		EvictionPolicy:    "deallocate",
		MaxPrice:          to.Ptr(-1.0),
		SpotRestore:       to.Ptr(true),
		UpgradeMode:       "manual",
		ProvisioningState: "creating",
		OSType:            "windows",
	}
}

func TestListInstancesFromFixtures(t *testing.T) {
	created := time.Date(2021, 6, 27, 1, 2, 38, 313846900, time.UTC)
	tests := []struct {
		name string
		// items builds the list items from the fixture folder.
		items func(t *testing.T) []byte
		want  []Instance
	}{
		{
			name: "list with every field",
			items: func(t *testing.T) []byte {
				return withoutNextLink(t,
					armExampleBody(t, "VirtualMachineScaleSetVMs_List.json", "200"))
			},
			want: []Instance{{
				ID:           "aaaaaaaaaaaa",
				Name:         "{vmss-vm-name}",
				ComputerName: "test000000",
				Zone:         "a",
				// Filler status codes report neither power nor provisioning; the model
				// says Succeeded.
				Power:        "",
				Provisioning: "succeeded",
				LatestModel:  to.Ptr(true),
				// vmHealth is present with a code outside the documented set.
				Health:    HealthUnknown,
				Extension: ExtensionStatus{State: "succeeded", Message: "a"},
				Created:   &created,
				Label:     "aaaaaaa",
			}},
		},
		{
			name: "get without instance view",
			items: func(t *testing.T) []byte {
				vm := armExampleBody(t, "VirtualMachineScaleSetVMs_Get.json", "200")
				return armListBody(t, vm)
			},
			want: []Instance{{
				ID:           "0",
				Name:         "{vmss-vm-name}",
				ComputerName: "test000000",
				Provisioning: "succeeded",
				LatestModel:  to.Ptr(true),
				Extension:    ExtensionStatus{State: "succeeded"},
			}},
		},
		{
			name:  "instance view with nulls and no vmHealth",
			items: instanceViewFixtureAsList,
			want: []Instance{{
				ID:           "0",
				Name:         "myVirtualMachineScaleSet_0",
				Power:        PowerRunning,
				Provisioning: "succeeded",
				Health:       HealthNotReported,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := instancesPath("rgcompute", "vmss-a")
			stub := newARMStub()
			stub.answer(path, tt.items(t))
			client, _ := newTLSStubClient(t, stub)

			got, err := client.ListInstances(context.Background(), "rgcompute", "vmss-a")
			if err != nil {
				t.Fatalf("ListInstances: %v", err)
			}
			assertMappedEqual(t, got, tt.want)
			seen := assertOneRequest(t, stub, path)
			if expand := seen.query.Get("$expand"); expand != "instanceView" {
				t.Errorf("$expand = %q, want instanceView in the list call", expand)
			}
		})
	}
}

// instanceViewFixtureAsList puts the instance-view example into a VM of a list answer, the
// way the list with $expand=instanceView carries it.
func instanceViewFixtureAsList(t *testing.T) []byte {
	view := armExampleBody(t, "VirtualMachineScaleSetVMs_GetInstanceView.json", "200")
	vm, err := json.Marshal(map[string]any{
		"instanceId": "0",
		"name":       "myVirtualMachineScaleSet_0",
		"properties": map[string]any{"instanceView": view},
	})
	if err != nil {
		t.Fatalf("build VM around the instance view: %v", err)
	}
	return armListBody(t, vm)
}

func TestThrottledListFromFixture(t *testing.T) {
	raw, err := json.Marshal(armThrottleBody(t))
	if err != nil {
		t.Fatalf("encode 429 body: %v", err)
	}
	stub := newARMStub()
	// A Retry-After above the SDK's longest retry delay returns the 429 at once.
	stub.answerWith(allScaleSetsPath, armAnswer{
		status: http.StatusTooManyRequests,
		header: http.Header{"Retry-After": {"1200"}},
		body:   raw,
	})
	client, _ := newTLSStubClient(t, stub)

	_, err = client.ListScaleSets(context.Background())
	if err == nil {
		t.Fatal("ListScaleSets succeeded against a 429 answer")
	}
	if code := ErrorCode(err); code != "OperationNotAllowed" {
		t.Errorf("ErrorCode = %q, want OperationNotAllowed", code)
	}
	for _, part := range []string{
		"read scale sets in subscription " + armTestSubscription,
		"OperationNotAllowed (429): The server rejected the request because too many",
		"wait 1200 s",
	} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) || respErr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("error does not unwrap to the SDK's 429 response error: %v", err)
	}
}

// armThrottleBody reads the Compute resource provider's throttling body, which is a bare
// JSON object rather than an example file.
func armThrottleBody(t *testing.T) json.RawMessage {
	t.Helper()
	raw := readARMFixture(t, "ComputeRP_Throttled429_Body.json")
	var body json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("decode throttling body: %v", err)
	}
	return body
}

// assertOneRequest checks that exactly one request reached the stub, at path, and returns
// it: a list is one paged call, never a call per item.
func assertOneRequest(t *testing.T, stub *armStub, path string) armRequest {
	t.Helper()
	seen := stub.requests()
	if len(seen) != 1 {
		t.Fatalf("stub saw %d requests, want exactly 1: %+v", len(seen), seen)
	}
	if !strings.EqualFold(seen[0].path, path) {
		t.Errorf("request path = %s, want %s", seen[0].path, path)
	}
	if seen[0].authorization != "Bearer fake_token" {
		t.Errorf("Authorization = %q, want the static loopback token", seen[0].authorization)
	}
	return seen[0]
}
