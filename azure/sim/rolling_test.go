package sim

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// rolloutClients are the extension and rolling-upgrade clients a rollout uses.
type rolloutClients struct {
	extensions *armcompute.VirtualMachineScaleSetExtensionsClient
	rolling    *armcompute.VirtualMachineScaleSetRollingUpgradesClient
}

func rolloutClientsVia(t *testing.T, s *Sim, via string) rolloutClients {
	t.Helper()
	endpoint, transport := connect(t, s, via)
	factory, err := armcompute.NewClientFactory(FixedSubscriptionID, testCredential,
		clientOptions(endpoint, transport))
	if err != nil {
		t.Fatal(err)
	}
	return rolloutClients{extensions: factory.NewVirtualMachineScaleSetExtensionsClient(),
		rolling: factory.NewVirtualMachineScaleSetRollingUpgradesClient()}
}

// setScriptTag sends the PATCH a rollout sends: the script's tag only.
func setScriptTag(t *testing.T, c rolloutClients, clock *manualClock, scaleSet, tag string) {
	t.Helper()
	poller, err := c.extensions.BeginUpdate(context.Background(), functionsGroup, scaleSet,
		"deploy-functions", armcompute.VirtualMachineScaleSetExtensionUpdate{
			Properties: &armcompute.VirtualMachineScaleSetExtensionProperties{
				ForceUpdateTag: to.Ptr(tag)}}, nil)
	if err != nil {
		t.Fatalf("begin extension update: %v", err)
	}
	simAdvance(clock, extensionUpdateTakes+time.Second)
	resp, err := poller.PollUntilDone(context.Background(), pollFast)
	if err != nil {
		t.Fatalf("extension update: %v", err)
	}
	if got := deref(resp.Properties.ForceUpdateTag); got != tag {
		t.Errorf("the update answered tag %q, want %q", got, tag)
	}
}

func TestExtensionUpdateMakesANewModel(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			c, rc := clientsVia(t, s, via), rolloutClientsVia(t, s, via)
			setScriptTag(t, rc, clock, "vmss-func-win", "v8")
			set, err := c.scaleSets.Get(context.Background(), functionsGroup, "vmss-func-win",
				nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := scriptTag(set.VirtualMachineScaleSet); got != "v8" {
				t.Errorf("model tag %q after the update, want v8", got)
			}
			before := observe(getInstance(t, c, functionsGroup, "vmss-func-win", "0"))
			if before.latest || before.label != "v7" {
				t.Errorf("instance 0 before its upgrade: latest %v label %q, want behind on v7",
					before.latest, before.label)
			}
			poller, err := c.scaleSets.BeginUpdateInstances(context.Background(),
				functionsGroup, "vmss-func-win",
				armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs{
					InstanceIDs: to.SliceOfPtrs("0")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			simAdvance(clock, upgradeFor)
			if _, err := poller.PollUntilDone(context.Background(), pollFast); err != nil {
				t.Fatal(err)
			}
			simAdvance(clock, 2*time.Minute)
			after := observe(getInstance(t, c, functionsGroup, "vmss-func-win", "0"))
			if !after.latest || after.label != "v8" || after.health != "HealthState/healthy" {
				t.Errorf("instance 0 after its upgrade: latest %v label %q health %q, want "+
					"latest, v8, healthy", after.latest, after.label, after.health)
			}
		})
	}
}

func TestExtensionUpdateOfUnknownExtension(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	rc := rolloutClientsVia(t, s, "in-process")
	_, err := rc.extensions.BeginUpdate(context.Background(), functionsGroup, "vmss-func-win",
		"nope", armcompute.VirtualMachineScaleSetExtensionUpdate{}, nil)
	if respErr := responseError(t, err); respErr.StatusCode != http.StatusNotFound {
		t.Errorf("got %d %s, want 404", respErr.StatusCode, respErr.ErrorCode)
	}
}

func TestRollingExtensionUpgradeWalksTheFleet(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, clock := newTestSim(t, Options{})
			c, rc := clientsVia(t, s, via), rolloutClientsVia(t, s, via)
			setScriptTag(t, rc, clock, "vmss-func-linux", "v8")
			if _, err := rc.rolling.BeginStartExtensionUpgrade(context.Background(),
				functionsGroup, "vmss-func-linux", nil); err != nil {
				t.Fatalf("start rolling upgrade: %v", err)
			}
			if got := latestRolling(t, rc, "vmss-func-linux"); got !=
				armcompute.RollingUpgradeStatusCodeRollingForward {
				t.Errorf("status right after the start %q, want RollingForward", got)
			}
			simAdvance(clock, 5*rollingBatchGap)
			if got := latestRolling(t, rc, "vmss-func-linux"); got !=
				armcompute.RollingUpgradeStatusCodeCompleted {
				t.Errorf("status after five batch gaps %q, want Completed", got)
			}
			vms, _ := listInstances(t, c, functionsGroup, "vmss-func-linux", true)
			for _, vm := range vms {
				if o := observe(vm); !o.latest || o.label != "v8" {
					t.Errorf("instance %s: latest %v label %q, want latest on v8",
						deref(vm.InstanceID), o.latest, o.label)
				}
			}
		})
	}
}

func TestRollingUpgradeNeedsRollingMode(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	rc := rolloutClientsVia(t, s, "in-process")
	_, err := rc.rolling.BeginStartExtensionUpgrade(context.Background(), functionsGroup,
		"vmss-func-win", nil)
	if respErr := responseError(t, err); respErr.StatusCode != http.StatusConflict {
		t.Errorf("got %d %s, want 409 for a Manual-mode scale set", respErr.StatusCode,
			respErr.ErrorCode)
	}
}

func latestRolling(t *testing.T, rc rolloutClients,
	scaleSet string) armcompute.RollingUpgradeStatusCode {
	t.Helper()
	resp, err := rc.rolling.GetLatest(context.Background(), functionsGroup, scaleSet, nil)
	if err != nil {
		t.Fatalf("latest rolling upgrade: %v", err)
	}
	if resp.Properties == nil || resp.Properties.RunningStatus == nil {
		t.Fatal("the latest rolling upgrade has no running status")
	}
	return deref(resp.Properties.RunningStatus.Code)
}

// scriptTag returns the forceUpdateTag of the Custom Script Extension of a model.
func scriptTag(vmss armcompute.VirtualMachineScaleSet) string {
	p := vmss.Properties
	if p == nil || p.VirtualMachineProfile == nil ||
		p.VirtualMachineProfile.ExtensionProfile == nil {
		return ""
	}
	for _, ext := range p.VirtualMachineProfile.ExtensionProfile.Extensions {
		if ext != nil && ext.Properties != nil && ext.Properties.ForceUpdateTag != nil {
			return *ext.Properties.ForceUpdateTag
		}
	}
	return ""
}
