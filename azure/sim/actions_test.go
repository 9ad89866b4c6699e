package sim

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// finish lets simulated time pass the end of an operation, then polls it to its end.
func finish[T any](t *testing.T, clock *manualClock, poller *runtime.Poller[T], err error) T {
	t.Helper()
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	simAdvance(clock, 10*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{
		Frequency: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return res
}

// latestFlags maps each instance ID to its latestModelApplied.
func latestFlags(t *testing.T, c clients, name string) map[string]bool {
	t.Helper()
	vms, _ := listInstances(t, c, "rg-functions", name, false)
	out := map[string]bool{}
	for id, vm := range instanceByID(vms) {
		out[id] = observe(vm).latest
	}
	return out
}

func TestScalingSendsCapacityOnlyAndLeavesTheModel(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, clock := newTestSim(t, Options{Seed: 3})
			c := clientsVia(t, s, via)
			before := latestFlags(t, c, "vmss-func-win")
			s.mu.Lock()
			ss, _ := s.findScaleSet("rg-functions", "vmss-func-win")
			gen := ss.modelGen
			s.mu.Unlock()
			update := armcompute.VirtualMachineScaleSetUpdate{
				SKU: &armcompute.SKU{Capacity: to.Ptr(int64(len(before) + 2))}}
			poller, err := c.scaleSets.BeginUpdate(context.Background(), "rg-functions",
				"vmss-func-win", update, nil)
			res := finish(t, clock, poller, err)
			if got := deref(res.SKU.Capacity); got != int64(len(before)+2) {
				t.Errorf("capacity %d, want %d", got, len(before)+2)
			}
			after := latestFlags(t, c, "vmss-func-win")
			for id, latest := range before {
				if after[id] != latest {
					t.Errorf("instance %s: latest model %t → %t after a scale", id, latest,
						after[id])
				}
			}
			if len(after) != len(before)+2 {
				t.Errorf("%d instances after scaling out by 2 from %d", len(after), len(before))
			}
			want := fmt.Sprintf(`{"sku":{"capacity":%d}}`, len(before)+2)
			s.mu.Lock()
			defer s.mu.Unlock()
			if string(ss.lastPatch) != want || ss.modelGen != gen {
				t.Errorf("patch %s, model generation %d → %d; want %s, unchanged",
					ss.lastPatch, gen, ss.modelGen, want)
			}
		})
	}
}

func TestPatchOfTheModelMarksInstancesBehind(t *testing.T) {
	s, clock := newTestSim(t, Options{Seed: 3})
	c := inProcessClients(t, s)
	update := armcompute.VirtualMachineScaleSetUpdate{
		SKU: &armcompute.SKU{Capacity: to.Ptr(int64(6))},
		Properties: &armcompute.VirtualMachineScaleSetUpdateProperties{
			VirtualMachineProfile: &armcompute.VirtualMachineScaleSetUpdateVMProfile{
				OSProfile: &armcompute.VirtualMachineScaleSetUpdateOSProfile{}}}}
	poller, err := c.scaleSets.BeginUpdate(context.Background(), "rg-functions",
		"vmss-func-win", update, nil)
	finish(t, clock, poller, err)
	for id, latest := range latestFlags(t, c, "vmss-func-win") {
		if latest {
			t.Errorf("instance %s still on the latest model after the model was sent", id)
		}
	}
}

func TestScaleInRemovesTheNewestInstances(t *testing.T) {
	s, clock := newTestSim(t, Options{Seed: 3})
	c := inProcessClients(t, s)
	before := latestFlags(t, c, "vmss-func-linux")
	update := armcompute.VirtualMachineScaleSetUpdate{
		SKU: &armcompute.SKU{Capacity: to.Ptr(int64(len(before) - 1))}}
	poller, err := c.scaleSets.BeginUpdate(context.Background(), "rg-functions",
		"vmss-func-linux", update, nil)
	finish(t, clock, poller, err)
	after := latestFlags(t, c, "vmss-func-linux")
	if len(after) != len(before)-1 {
		t.Fatalf("%d instances after scaling in from %d", len(after), len(before))
	}
	if _, ok := after["0"]; !ok {
		t.Errorf("scale-in removed the oldest instance: %v", after)
	}
}

func TestRestartDeleteAndStartInstances(t *testing.T) {
	s, clock := newTestSim(t, Options{Seed: 3})
	c := inProcessClients(t, s)
	simAdvance(clock, 10*time.Minute) // every instance is up
	ids := &armcompute.VirtualMachineScaleSetVMInstanceIDs{InstanceIDs: to.SliceOfPtrs("1")}
	poller, err := c.scaleSets.BeginRestart(context.Background(), "rg-functions",
		"vmss-func-win", &armcompute.VirtualMachineScaleSetsClientBeginRestartOptions{
			VMInstanceIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if got := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "1")); got.power !=
		"PowerState/stopping" || got.provisioning != "ProvisioningState/updating" {
		t.Errorf("restarting instance: %+v", got)
	}
	finish(t, clock, poller, nil)
	if got := observe(getInstance(t, c, "rg-functions", "vmss-func-win", "1")); got.power !=
		"PowerState/running" {
		t.Errorf("after the restart: %+v", got)
	}

	before := len(latestFlags(t, c, "vmss-func-win"))
	del, err := c.scaleSets.BeginDeleteInstances(context.Background(), "rg-functions",
		"vmss-func-win", armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs{
			InstanceIDs: to.SliceOfPtrs("1")}, nil)
	finish(t, clock, del, err)
	if after := latestFlags(t, c, "vmss-func-win"); len(after) != before-1 {
		t.Errorf("%d instances after deleting one of %d", len(after), before)
	}
	_, err = c.scaleSets.BeginRestart(context.Background(), "rg-functions", "vmss-func-win",
		&armcompute.VirtualMachineScaleSetsClientBeginRestartOptions{VMInstanceIDs: ids})
	if re := responseError(t, err); re.StatusCode != http.StatusBadRequest {
		t.Errorf("restart of a deleted instance: %d %s", re.StatusCode, re.ErrorCode)
	}
}

func TestMaxPriceNeedsDeallocatedInstances(t *testing.T) {
	s, _ := newTestSim(t, Options{Seed: 3})
	c := inProcessClients(t, s)
	update := armcompute.VirtualMachineScaleSetUpdate{
		Properties: &armcompute.VirtualMachineScaleSetUpdateProperties{
			VirtualMachineProfile: &armcompute.VirtualMachineScaleSetUpdateVMProfile{
				BillingProfile: &armcompute.BillingProfile{MaxPrice: to.Ptr(0.2)}}}}
	_, err := c.scaleSets.BeginUpdate(context.Background(), "rg-functions", "vmss-func-win",
		update, nil)
	if re := responseError(t, err); re.StatusCode != http.StatusConflict ||
		re.ErrorCode != "OperationNotAllowed" {
		t.Errorf("max price with running instances: %d %s", re.StatusCode, re.ErrorCode)
	}
}
