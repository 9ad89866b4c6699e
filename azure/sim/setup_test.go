package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

func TestDenyRejectsUnknownActions(t *testing.T) {
	tests := []struct {
		action  string
		wantErr bool
	}{
		{ActionWriteScaleSets, false},
		{strings.ToUpper(ActionReadActivityLog), false},
		{"Microsoft.Compute/virtualMachineScaleSets/delete", true},
		{"", true},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			err := New(Options{}).Deny(tt.action)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Deny(%q) = %v, want error %t", tt.action, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), ActionWriteScaleSets) {
				t.Errorf("error %q does not list the deniable actions", err)
			}
		})
	}
}

// get sends one request over loopback HTTP, as a second process would.
func get(t *testing.T, endpoint, path string) (int, errorBody, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body errorBody
	_ = json.Unmarshal(data, &body)
	return resp.StatusCode, body, data
}

// TestDeniedActionOverHTTP checks the refusal's status, code and message, and that the
// permissions list reports the denied action as excluded.
func TestDeniedActionOverHTTP(t *testing.T) {
	s := New(Options{Seed: 1})
	if err := s.Deny(ActionReadScaleSets); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	endpoint, err := s.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	group := "/subscriptions/" + FixedSubscriptionID + "/resourceGroups/rg-functions"
	status, body, _ := get(t, endpoint, group+
		"/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2024-11-01")
	if status != http.StatusForbidden || body.Error.Code != "AuthorizationFailed" ||
		!strings.Contains(body.Error.Message, "'"+ActionReadScaleSets+"' over scope '"+group+
			"/providers/Microsoft.Compute'") {
		t.Errorf("list = %d %+v, want 403 AuthorizationFailed naming action and scope",
			status, body)
	}
	status, _, data := get(t, endpoint, group+
		"/providers/Microsoft.Authorization/permissions?api-version=2022-04-01")
	var perms struct {
		Value []permissionEntry `json:"value"`
	}
	if err := json.Unmarshal(data, &perms); err != nil || status != http.StatusOK {
		t.Fatalf("permissions = %d %s (%v)", status, data, err)
	}
	if len(perms.Value) != 1 ||
		strings.Join(perms.Value[0].NotActions, ",") != ActionReadScaleSets {
		t.Errorf("permissions = %+v, want the denied action excluded", perms.Value)
	}
}

func TestSetStorageAccountMovesEndpoints(t *testing.T) {
	tests := []struct {
		name, blob, queue   string
		wantBlob, wantQueue string
	}{
		{"default", "", "", defaultBlobEndpoint, defaultQueueEndpoint},
		{"emulator", "http://127.0.0.1:15000/devstoreaccount1/", "http://127.0.0.1:15001/x",
			"http://127.0.0.1:15000/devstoreaccount1", "http://127.0.0.1:15001/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{})
			s.SetStorageAccount(tt.blob, tt.queue)
			blob, queue := s.storageEndpoints()
			if blob != tt.wantBlob || queue != tt.wantQueue {
				t.Errorf("endpoints = %s, %s; want %s, %s", blob, queue, tt.wantBlob,
					tt.wantQueue)
			}
		})
	}
}

func TestRegionOfFilter(t *testing.T) {
	tests := []struct {
		filter *string
		want   string
	}{
		{nil, ""},
		{to.Ptr("location eq 'westeurope'"), "westeurope"},
		{to.Ptr("location eq northeurope"), "northeurope"},
		{to.Ptr("something else"), ""},
	}
	for _, tt := range tests {
		opts := &armcompute.ResourceSKUsClientListOptions{Filter: tt.filter}
		if got := regionOfFilter(opts); got != tt.want {
			t.Errorf("regionOfFilter(%v) = %q, want %q", tt.filter, got, tt.want)
		}
	}
}

func TestCreateScaleSetModelChecks(t *testing.T) {
	spot := armcompute.VirtualMachinePriorityTypesSpot
	model := func(sku string, capacity int64) armcompute.VirtualMachineScaleSet {
		return armcompute.VirtualMachineScaleSet{
			SKU: &armcompute.SKU{Name: to.Ptr(sku), Capacity: to.Ptr(capacity)},
			Properties: &armcompute.VirtualMachineScaleSetProperties{
				VirtualMachineProfile: &armcompute.VirtualMachineScaleSetVMProfile{
					Priority: &spot,
					StorageProfile: &armcompute.VirtualMachineScaleSetStorageProfile{
						ImageReference: &armcompute.ImageReference{
							Publisher: to.Ptr("MicrosoftWindowsServer")}},
				}},
		}
	}
	tests := []struct {
		name, group, scaleSet string
		model                 armcompute.VirtualMachineScaleSet
		wantCode              string
	}{
		{"created", "rg-functions", "vmss-new", model("Standard_D2s_v5", 3), ""},
		{"exists", "rg-functions", "VMSS-FUNC-WIN", model("Standard_D2s_v5", 1),
			"OperationNotAllowed"},
		{"no group", "rg-none", "vmss-new", model("Standard_D2s_v5", 1), "ResourceGroupNotFound"},
		{"no sku", "rg-functions", "vmss-new", armcompute.VirtualMachineScaleSet{},
			"InvalidParameter"},
		{"too big", "rg-functions", "vmss-new", model("Standard_D2s_v5", 5000),
			"InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Seed: 1})
			now := s.lockAndAdvance()
			ss, err := s.createScaleSet(tt.group, tt.scaleSet, tt.model, now.Add(time.Second))
			s.mu.Unlock()
			if tt.wantCode != "" {
				if err == nil || err.code != tt.wantCode {
					t.Fatalf("err = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ss.instances) != 3 || ss.os != windows || ss.priority != spot {
				t.Errorf("created %d instances, os %v, priority %s", len(ss.instances), ss.os,
					ss.priority)
			}
		})
	}
}
