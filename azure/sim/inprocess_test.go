package sim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

func TestInProcessScaleSetsAsModelled(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	sets := listScaleSets(t, inProcessClients(t, s))

	type want struct {
		group, sku, priority, eviction, upgrade, label, osType string
		capacity                                               int64
		maxPrice                                               *float64
		zones                                                  int
		extensions                                             int
	}
	tests := map[string]want{
		"vmss-func-win": {group: "rg-functions", sku: "Standard_D2s_v5", priority: "Spot",
			eviction: "Delete", upgrade: "Manual", label: "v7", osType: "Windows",
			capacity: 6, maxPrice: to.Ptr(-1.0), zones: 3, extensions: 2},
		"vmss-func-linux": {group: "rg-functions", sku: "Standard_D4as_v5", priority: "Spot",
			eviction: "Deallocate", upgrade: "Rolling", label: "v7", osType: "Linux",
			capacity: 4, maxPrice: to.Ptr(0.0523), zones: 3, extensions: 2},
		"vmss-batch-regular": {group: "rg-batch", sku: "Standard_B2s", priority: "Regular",
			upgrade: "Automatic", osType: "Linux", capacity: 2},
	}
	if len(sets) != len(tests) {
		t.Fatalf("listed %d scale sets, want %d", len(sets), len(tests))
	}
	byName := map[string]*armcompute.VirtualMachineScaleSet{}
	for _, ss := range sets {
		byName[deref(ss.Name)] = ss
	}
	for name, w := range tests {
		t.Run(name, func(t *testing.T) {
			ss := byName[name]
			if ss == nil {
				t.Fatalf("scale set %s not listed", name)
			}
			if !strings.Contains(deref(ss.ID), "/resourceGroups/"+w.group+"/") {
				t.Errorf("ID %s, want resource group %s", deref(ss.ID), w.group)
			}
			if got := deref(deref(ss.SKU).Name); got != w.sku {
				t.Errorf("sku %q, want %q", got, w.sku)
			}
			if got := deref(deref(ss.SKU).Capacity); got != w.capacity {
				t.Errorf("capacity %d, want %d", got, w.capacity)
			}
			if len(ss.Zones) != w.zones {
				t.Errorf("%d zones, want %d", len(ss.Zones), w.zones)
			}
			props := deref(ss.Properties)
			if got := string(deref(deref(props.UpgradePolicy).Mode)); got != w.upgrade {
				t.Errorf("upgrade mode %q, want %q", got, w.upgrade)
			}
			profile := deref(props.VirtualMachineProfile)
			if got := string(deref(profile.Priority)); got != w.priority {
				t.Errorf("priority %q, want %q", got, w.priority)
			}
			if got := string(deref(profile.EvictionPolicy)); got != w.eviction {
				t.Errorf("eviction policy %q, want %q", got, w.eviction)
			}
			checkMaxPrice(t, profile.BillingProfile, w.maxPrice)
			osDisk := deref(deref(profile.StorageProfile).OSDisk)
			if got := string(deref(osDisk.OSType)); got != w.osType {
				t.Errorf("OS type %q, want %q", got, w.osType)
			}
			checkModelExtensions(t, profile.ExtensionProfile, w.extensions, w.label)
		})
	}
}

func checkMaxPrice(t *testing.T, billing *armcompute.BillingProfile, want *float64) {
	t.Helper()
	var got *float64
	if billing != nil {
		got = billing.MaxPrice
	}
	if (got == nil) != (want == nil) || (got != nil && *got != *want) {
		t.Errorf("max price %v, want %v", deref(got), deref(want))
	}
}

// checkModelExtensions checks the count of model extensions and the Custom Script
// Extension's forceUpdateTag.
func checkModelExtensions(t *testing.T, profile *armcompute.VirtualMachineScaleSetExtensionProfile,
	count int, label string) {
	t.Helper()
	var extensions []*armcompute.VirtualMachineScaleSetExtension
	if profile != nil {
		extensions = profile.Extensions
	}
	if len(extensions) != count {
		t.Fatalf("%d model extensions, want %d", len(extensions), count)
	}
	got, health := "", false
	for _, ext := range extensions {
		props := deref(ext.Properties)
		if props.ForceUpdateTag != nil {
			got = *props.ForceUpdateTag
		}
		health = health || strings.HasPrefix(deref(props.Type), "ApplicationHealth")
	}
	if got != label {
		t.Errorf("forceUpdateTag %q, want %q", got, label)
	}
	if health != (count > 0) {
		t.Errorf("application health extension present = %v, want %v", health, count > 0)
	}
}

func TestInProcessInstancesAsModelled(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	const (
		healthy      = "HealthState/healthy"
		unhealthy    = "HealthState/unhealthy"
		initializing = "HealthState/initializing"
		running      = "PowerState/running"
		succeeded    = "ProvisioningState/succeeded"
	)
	tests := []struct {
		set, id string
		want    observed
	}{
		{"vmss-func-win", "0", observed{succeeded, running, healthy, succeeded, "v7", true}},
		{"vmss-func-win", "2", observed{succeeded, running, healthy, succeeded, "v6", false}},
		{"vmss-func-win", "4", observed{succeeded, running, unhealthy,
			"ProvisioningState/failed/1", "v7", true}},
		{"vmss-func-win", "5", observed{"ProvisioningState/creating", "PowerState/starting",
			initializing, "", "v7", true}},
		{"vmss-func-linux", "2", observed{succeeded, running, unhealthy, succeeded, "v7", true}},
		{"vmss-func-linux", "3", observed{"ProvisioningState/creating", "PowerState/starting",
			initializing, "", "v7", true}},
		{"vmss-batch-regular", "1", observed{succeeded, running, "", "", "", true}},
	}
	listed := map[string]map[string]*armcompute.VirtualMachineScaleSetVM{}
	for _, name := range []string{"vmss-func-win", "vmss-func-linux"} {
		vms, _ := listInstances(t, c, "rg-functions", name, true)
		listed[name] = instanceByID(vms)
	}
	batch, _ := listInstances(t, c, "rg-batch", "vmss-batch-regular", true)
	listed["vmss-batch-regular"] = instanceByID(batch)

	for _, tc := range tests {
		t.Run(tc.set+"/"+tc.id, func(t *testing.T) {
			vm := listed[tc.set][tc.id]
			if vm == nil {
				t.Fatalf("instance %s not listed", tc.id)
			}
			if got := observe(vm); got != tc.want {
				t.Errorf("instance state\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestInProcessFailedScriptCarriesMessage(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	vm := getInstance(t, inProcessClients(t, s), "rg-functions", "vmss-func-win", "4")
	for _, ext := range vm.Properties.InstanceView.Extensions {
		if deref(ext.Name) != "deploy-functions" {
			continue
		}
		message := deref(ext.Statuses[0].Message)
		if !strings.Contains(message, "non-zero exit code") {
			t.Errorf("failed script message %q does not tell the exit code", message)
		}
		return
	}
	t.Fatal("instance 4 reports no Custom Script Extension status")
}

func TestInProcessInstanceViewOnlyWhenExpanded(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	for _, withView := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "expanded"}[withView], func(t *testing.T) {
			vms, _ := listInstances(t, c, "rg-functions", "vmss-func-linux", withView)
			if len(vms) != 4 {
				t.Fatalf("listed %d instances, want 4", len(vms))
			}
			for _, vm := range vms {
				if got := vm.Properties.InstanceView != nil; got != withView {
					t.Errorf("instance %s has instance view = %v, want %v",
						deref(vm.InstanceID), got, withView)
				}
			}
		})
	}
}

func TestInProcessZonesRoundRobin(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	vms, _ := listInstances(t, inProcessClients(t, s), "rg-functions", "vmss-func-win", false)
	want := []string{"1", "2", "3", "1", "2", "3"}
	for i, vm := range vms {
		if len(vm.Zones) != 1 || deref(vm.Zones[0]) != want[i] {
			t.Errorf("instance %s zones %v, want [%s]", deref(vm.InstanceID),
				to.SliceOfPtrs(vm.Zones...), want[i])
		}
	}
}

func TestInProcessBootCompletesAsTimePasses(t *testing.T) {
	tests := []struct {
		name    string
		elapsed time.Duration // real time; the test sim runs 60 times faster
		want    observed
	}{
		{"at start", 0, observed{"ProvisioningState/creating", "PowerState/starting",
			"HealthState/initializing", "", "v7", true}},
		{"after ten simulated minutes", 10 * time.Second, observed{
			"ProvisioningState/succeeded", "PowerState/running", "HealthState/healthy",
			"ProvisioningState/succeeded", "v7", true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			clock.Advance(tc.elapsed)
			vm := getInstance(t, inProcessClients(t, s), "rg-functions", "vmss-func-win", "5")
			if got := observe(vm); got != tc.want {
				t.Errorf("instance 5\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestInProcessEvictionFollowsPolicy(t *testing.T) {
	tests := []struct {
		name, set, id string
		elapsed       time.Duration // simulated time after the eviction
		wantPower     string        // "" when the instance is gone
		wantCapacity  int64
	}{
		{"deallocate, during notice", "vmss-func-linux", "0", 10 * time.Second,
			"PowerState/running", 4},
		{"deallocate, stopping", "vmss-func-linux", "0", 45 * time.Second,
			"PowerState/deallocating", 4},
		{"deallocate, done", "vmss-func-linux", "0", 2 * time.Minute,
			"PowerState/deallocated", 4},
		{"delete, stopping", "vmss-func-win", "0", 45 * time.Second, "PowerState/stopping", 6},
		{"delete, done", "vmss-func-win", "0", 2 * time.Minute, "", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			c := inProcessClients(t, s)
			_, err := c.instances.SimulateEviction(context.Background(), "rg-functions",
				tc.set, tc.id, nil)
			if err != nil {
				t.Fatalf("simulate eviction: %v", err)
			}
			clock.Advance(tc.elapsed / 60)
			vms, _ := listInstances(t, c, "rg-functions", tc.set, true)
			vm := instanceByID(vms)[tc.id]
			got := ""
			if vm != nil {
				got = observe(vm).power
			}
			if got != tc.wantPower {
				t.Errorf("power %q, want %q", got, tc.wantPower)
			}
			if int64(len(vms)) != tc.wantCapacity {
				t.Errorf("%d instances, want %d", len(vms), tc.wantCapacity)
			}
		})
	}
}

func TestInProcessSpotRestoreBringsCapacityBack(t *testing.T) {
	s, clock := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	_, err := c.instances.SimulateEviction(context.Background(), "rg-functions",
		"vmss-func-win", "1", nil)
	if err != nil {
		t.Fatalf("simulate eviction: %v", err)
	}
	// One simulated minute for the eviction, three for the restore, then a little.
	clock.Advance(4*time.Second + 10*time.Second/60)
	vms, _ := listInstances(t, c, "rg-functions", "vmss-func-win", true)
	byID := instanceByID(vms)
	if len(vms) != 6 || byID["1"] != nil || byID["6"] == nil {
		t.Fatalf("instances after restore: %d, evicted present %v, new one present %v",
			len(vms), byID["1"] != nil, byID["6"] != nil)
	}
	if got := observe(byID["6"]).power; got != "PowerState/starting" {
		t.Errorf("restored instance power %q, want it booting", got)
	}
}

func TestInProcessEvictionRefused(t *testing.T) {
	tests := []struct {
		name, group, set, id string
		evictTwice           bool
		wantStatus           int
		wantCode             string
	}{
		{"regular priority", "rg-batch", "vmss-batch-regular", "0", false,
			http.StatusConflict, "OperationNotAllowed"},
		{"already evicting", "rg-functions", "vmss-func-linux", "1", true,
			http.StatusConflict, "OperationNotAllowed"},
		{"unknown instance", "rg-functions", "vmss-func-linux", "99", false,
			http.StatusNotFound, "ResourceNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSim(t, Options{})
			c := inProcessClients(t, s)
			evict := func() error {
				_, err := c.instances.SimulateEviction(context.Background(), tc.group, tc.set,
					tc.id, nil)
				return err
			}
			if tc.evictTwice {
				if err := evict(); err != nil {
					t.Fatalf("first eviction: %v", err)
				}
			}
			respErr := responseError(t, evict())
			if respErr.StatusCode != tc.wantStatus || respErr.ErrorCode != tc.wantCode {
				t.Errorf("got %d %s, want %d %s", respErr.StatusCode, respErr.ErrorCode,
					tc.wantStatus, tc.wantCode)
			}
		})
	}
}

func TestInProcessManualUpgrade(t *testing.T) {
	s, clock := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	poller, err := c.scaleSets.BeginUpdateInstances(context.Background(), "rg-functions",
		"vmss-func-win", armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs{
			InstanceIDs: to.SliceOfPtrs("2", "3")}, nil)
	if err != nil {
		t.Fatalf("begin update instances: %v", err)
	}
	simAdvance(clock, upgradeFor) // the operation ends when the instances apply the model
	if _, err := poller.PollUntilDone(context.Background(), pollFast); err != nil {
		t.Fatalf("update instances: %v", err)
	}
	upgrading := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "2"))
	if upgrading.label != "v7" || !upgrading.latest {
		t.Errorf("upgraded instance label %q latest %v, want v7 and latest",
			upgrading.label, upgrading.latest)
	}
	if upgrading.script != "ProvisioningState/transitioning" {
		t.Errorf("script state right after the upgrade %q, want it rerunning", upgrading.script)
	}
	clock.Advance(5 * time.Second)
	done := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "3"))
	if done.script != "ProvisioningState/succeeded" || done.health != "HealthState/healthy" {
		t.Errorf("five simulated minutes later: script %q health %q, want succeeded, healthy",
			done.script, done.health)
	}
}

func TestInProcessManualUpgradeRejectsUnknownInstance(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	_, err := c.scaleSets.BeginUpdateInstances(context.Background(), "rg-functions",
		"vmss-func-win", armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs{
			InstanceIDs: to.SliceOfPtrs("2", "42")}, nil)
	respErr := responseError(t, err)
	if respErr.StatusCode != http.StatusBadRequest || respErr.ErrorCode != "InvalidParameter" {
		t.Errorf("got %d %s, want 400 InvalidParameter", respErr.StatusCode, respErr.ErrorCode)
	}
	still := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "2"))
	if still.latest {
		t.Error("a rejected upgrade changed instance 2")
	}
}

func TestInProcessLookupErrors(t *testing.T) {
	tests := []struct {
		name, group, set string
		wantCode         string
	}{
		{"unknown scale set", "rg-functions", "vmss-nope", "ResourceNotFound"},
		{"unknown resource group", "rg-nope", "vmss-func-win", "ResourceGroupNotFound"},
	}
	s, _ := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.scaleSets.Get(context.Background(), tc.group, tc.set, nil)
			respErr := responseError(t, err)
			if respErr.StatusCode != http.StatusNotFound || respErr.ErrorCode != tc.wantCode {
				t.Errorf("got %d %s, want 404 %s", respErr.StatusCode, respErr.ErrorCode,
					tc.wantCode)
			}
		})
	}
}

func TestInProcessLookupIsCaseInsensitive(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	c := inProcessClients(t, s)
	resp, err := c.scaleSets.Get(context.Background(), "RG-Functions", "VMSS-Func-Win", nil)
	if err != nil {
		t.Fatalf("get with other case: %v", err)
	}
	if got := deref(resp.Name); got != "vmss-func-win" {
		t.Errorf("name %q, want vmss-func-win", got)
	}
}

func TestInProcessWrongSubscription(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	other := newClients(t, "11111111-1111-1111-1111-111111111111", InProcessEndpoint,
		s.Transport())
	_, err := other.scaleSets.Get(context.Background(), "rg-functions", "vmss-func-win", nil)
	respErr := responseError(t, err)
	if respErr.StatusCode != http.StatusNotFound || respErr.ErrorCode != "SubscriptionNotFound" {
		t.Errorf("got %d %s, want 404 SubscriptionNotFound", respErr.StatusCode,
			respErr.ErrorCode)
	}
}

func TestInProcessPagesLargeFleet(t *testing.T) {
	const size = 260
	s, _ := newTestSim(t, Options{InstancesPerScaleSet: map[string]int{"vmss-func-linux": size}})
	c := inProcessClients(t, s)
	vms, pages := listInstances(t, c, "rg-functions", "vmss-func-linux", true)
	if len(vms) != size {
		t.Fatalf("listed %d instances, want %d", len(vms), size)
	}
	wantPages := (size + defaultPageSize - 1) / defaultPageSize
	if pages != wantPages {
		t.Errorf("read %d pages, want %d", pages, wantPages)
	}
	if got := len(instanceByID(vms)); got != size {
		t.Errorf("%d distinct instance IDs, want %d: pages overlap", got, size)
	}
	if got := s.Calls()[OpListInstances]; got != wantPages {
		t.Errorf("Calls counted %d list calls, want one per page, %d", got, wantPages)
	}
}

func TestInProcessPagingSurvivesAbandonedListing(t *testing.T) {
	s, _ := newTestSim(t, Options{InstancesPerScaleSet: map[string]int{"vmss-func-linux": 120}})
	c := inProcessClients(t, s)
	abandoned := c.instances.NewListPager("rg-functions", "vmss-func-linux", nil)
	if _, err := abandoned.NextPage(context.Background()); err != nil {
		t.Fatalf("first page: %v", err)
	}
	vms, pages := listInstances(t, c, "rg-functions", "vmss-func-linux", false)
	if len(vms) != 120 || pages != 3 {
		t.Errorf("fresh listing after an abandoned one: %d instances in %d pages, want 120 in 3",
			len(vms), pages)
	}
}

func TestInProcessExtraScaleSetsPageTheSubscription(t *testing.T) {
	s, _ := newTestSim(t, Options{ExtraScaleSets: 60, PageSize: 25})
	sets := listScaleSets(t, inProcessClients(t, s))
	if len(sets) != 63 {
		t.Fatalf("listed %d scale sets, want 63", len(sets))
	}
	if got := s.Calls()[OpListAllScaleSets]; got != 3 {
		t.Errorf("%d list calls, want 3 pages of 25", got)
	}
}

func BenchmarkListFiveThousandInstances(b *testing.B) {
	s := New(Options{Seed: 1, InstancesPerScaleSet: map[string]int{"vmss-func-linux": 5000}})
	c := inProcessClients(b, s)
	for b.Loop() {
		pager := c.instances.NewListPager("rg-functions", "vmss-func-linux",
			&armcompute.VirtualMachineScaleSetVMsClientListOptions{Expand: to.Ptr("instanceView")})
		for pager.More() {
			if _, err := pager.NextPage(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
}
