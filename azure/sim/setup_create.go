package sim

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Creating a scale set: the setup wizard's optional last step. The new scale set joins
// the fleet with its instances booting, so the console shows it as Azure would.

// OpCreateScaleSet creates or updates a scale set's model.
const OpCreateScaleSet = "VirtualMachineScaleSetsClient.BeginCreateOrUpdate"

// createTakes is how long, in simulated time, creating a scale set takes.
const createTakes = 20 * time.Second

// maxCreatedInstances bounds a created scale set's capacity in the simulation.
const maxCreatedInstances = 100

type (
	createOptions  = armcompute.VirtualMachineScaleSetsClientBeginCreateOrUpdateOptions
	createResponse = armcompute.VirtualMachineScaleSetsClientCreateOrUpdateResponse
)

// beginCreateScaleSet creates a scale set from the model sent. Updating an existing
// scale set through a whole new model is not simulated: it answers 409.
func (s *Sim) beginCreateScaleSet(ctx context.Context, resourceGroup, name string,
	model armcompute.VirtualMachineScaleSet, _ *createOptions) (
	resp azfake.PollerResponder[createResponse], errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, err := s.createScaleSet(resourceGroup, name, model, now)
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	s.beginOperation(ctx, OpCreateScaleSet, now.Add(createTakes),
		func(time.Time) (any, *armError) { return armScaleSet(ss), nil })
	resp.AddNonTerminalResponse(http.StatusCreated, nil)
	return resp, errResp
}

// createScaleSet checks the model and adds the scale set and its instances to the
// fleet. The caller holds s.mu.
func (s *Sim) createScaleSet(resourceGroup, name string, model armcompute.VirtualMachineScaleSet,
	now time.Time) (*scaleSet, *armError) {
	if !s.hasResourceGroup(resourceGroup) {
		return nil, resourceGroupNotFound(resourceGroup)
	}
	for _, known := range s.scaleSets {
		if strings.EqualFold(known.resourceGroup, resourceGroup) &&
			strings.EqualFold(known.name, name) {
			return nil, conflict("OperationNotAllowed", "The simulated subscription "+
				"creates scale sets but does not replace the model of "+name+
				"; change it through its own operations.")
		}
	}
	ss, err := scaleSetFromModel(resourceGroup, name, model)
	if err != nil {
		return nil, err
	}
	ss.created = now
	ss.uniqueID = uuidFrom(s.rngFor(ss.name, "uniqueID"))
	ss.modelGen = 1
	for range ss.capacity {
		s.addInstance(ss, now, fate{})
	}
	s.scaleSets = append(s.scaleSets, ss)
	sort.Slice(s.scaleSets, func(i, j int) bool {
		return strings.ToLower(s.scaleSets[i].resourceID()) <
			strings.ToLower(s.scaleSets[j].resourceID())
	})
	return ss, nil
}

// scaleSetFromModel reads the parts of a scale set model the simulation keeps.
func scaleSetFromModel(resourceGroup, name string,
	model armcompute.VirtualMachineScaleSet) (*scaleSet, *armError) {
	if model.SKU == nil || model.SKU.Name == nil || *model.SKU.Name == "" {
		return nil, badRequest("InvalidParameter", "The scale set model needs sku.name.")
	}
	capacity := 0
	if model.SKU.Capacity != nil {
		capacity = int(*model.SKU.Capacity)
	}
	if capacity < 0 || capacity > maxCreatedInstances {
		return nil, badRequest("InvalidParameter", fmt.Sprintf("sku.capacity %d is out of "+
			"range; the simulation creates 0 to %d instances.", capacity, maxCreatedInstances))
	}
	ss := &scaleSet{name: name, resourceGroup: resourceGroup, sku: *model.SKU.Name,
		capacity: capacity, namePrefix: strings.ToLower(name), zones: modelStrings(model.Zones)}
	applyModelProperties(ss, model.Properties)
	return ss, nil
}

// applyModelProperties reads priority, eviction, price, upgrade mode, OS and extensions.
func applyModelProperties(ss *scaleSet, props *armcompute.VirtualMachineScaleSetProperties) {
	ss.upgradeMode = armcompute.UpgradeModeManual
	ss.priority = armcompute.VirtualMachinePriorityTypesRegular
	if props == nil {
		return
	}
	if props.UpgradePolicy != nil && props.UpgradePolicy.Mode != nil {
		ss.upgradeMode = *props.UpgradePolicy.Mode
	}
	profile := props.VirtualMachineProfile
	if profile == nil {
		return
	}
	if profile.Priority != nil {
		ss.priority = *profile.Priority
	}
	if profile.EvictionPolicy != nil &&
		ss.priority != armcompute.VirtualMachinePriorityTypesRegular {
		ss.eviction = *profile.EvictionPolicy
	}
	if profile.BillingProfile != nil && profile.BillingProfile.MaxPrice != nil {
		price := *profile.BillingProfile.MaxPrice
		ss.maxPrice = &price
	}
	if profile.OSProfile != nil && profile.OSProfile.ComputerNamePrefix != nil {
		ss.namePrefix = *profile.OSProfile.ComputerNamePrefix
	}
	ss.os = osOfProfile(profile)
	ss.extensions = extensionsOfProfile(profile.ExtensionProfile)
}

// osOfProfile tells Windows from Linux by the image publisher or the OS profile.
func osOfProfile(profile *armcompute.VirtualMachineScaleSetVMProfile) osKind {
	if profile.OSProfile != nil && profile.OSProfile.WindowsConfiguration != nil {
		return windows
	}
	sp := profile.StorageProfile
	if sp != nil && sp.ImageReference != nil && sp.ImageReference.Publisher != nil &&
		strings.Contains(strings.ToLower(*sp.ImageReference.Publisher), "windows") {
		return windows
	}
	return linux
}

// extensionsOfProfile keeps the extensions of the model, with the version instances
// report taken from the handler version asked for.
func extensionsOfProfile(profile *armcompute.VirtualMachineScaleSetExtensionProfile) []extension {
	if profile == nil {
		return nil
	}
	var out []extension
	for _, e := range profile.Extensions {
		if e == nil || e.Properties == nil {
			continue
		}
		p := e.Properties
		ext := extension{name: modelString(e.Name), publisher: modelString(p.Publisher),
			kind: modelString(p.Type), version: modelString(p.TypeHandlerVersion)}
		ext.fullVersion = ext.version + ".0"
		if settings, ok := p.Settings.(map[string]any); ok {
			ext.settings = settings
		}
		out = append(out, ext)
	}
	return out
}

func modelString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func modelStrings(values []*string) []string {
	var out []string
	for _, v := range values {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out
}
