package azure

import (
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Status code prefixes of the instance view.
const (
	powerStatePrefix        = "PowerState/"
	provisioningStatePrefix = "ProvisioningState/"
	healthStatePrefix       = "HealthState/"
)

// extensionResource is an extension as a VM's resources list carries it.
type extensionResource = armcompute.VirtualMachineExtension

// extensionKind tells which of the extensions spotdeck cares about an extension is.
type extensionKind int

const (
	otherExtension extensionKind = iota
	customScriptExtension
	healthExtension
)

// customScriptPublishers maps the lower-cased Custom Script Extension types to the
// publisher of each: the Windows handler and the Linux (version 2) handler.
var customScriptPublishers = map[string]string{
	"customscriptextension": "microsoft.compute",
	"customscript":          "microsoft.azure.extensions",
}

// ScaleSetFromSDK maps a scale-set model to a ScaleSet. A nil model gives the zero value;
// fields the model leaves out stay empty rather than taking a default.
func ScaleSetFromSDK(vmss *armcompute.VirtualMachineScaleSet) ScaleSet {
	if vmss == nil {
		return ScaleSet{}
	}
	id := stringOf(vmss.ID)
	set := ScaleSet{
		ID:            id,
		Name:          stringOf(vmss.Name),
		ResourceGroup: resourceGroupOf(id),
		Location:      stringOf(vmss.Location),
		Zones:         stringsOf(vmss.Zones),
	}
	if set.Name == "" {
		// The minimal list answer carries only the ID, which still names the scale set.
		set.Name = segmentAfter(id, "virtualMachineScaleSets")
	}
	if vmss.SKU != nil {
		set.SKU = stringOf(vmss.SKU.Name)
		set.Capacity = copyOf(vmss.SKU.Capacity)
	}
	applyScaleSetProperties(&set, vmss.Properties)
	return set
}

func applyScaleSetProperties(set *ScaleSet, props *armcompute.VirtualMachineScaleSetProperties) {
	if props == nil {
		return
	}
	set.OrchestrationMode = lowerOf(props.OrchestrationMode)
	set.ProvisioningState = lowerOf(props.ProvisioningState)
	if props.SpotRestorePolicy != nil {
		set.SpotRestore = copyOf(props.SpotRestorePolicy.Enabled)
	}
	applyUpgradePolicy(set, props.UpgradePolicy)
	applyVMProfile(set, props.VirtualMachineProfile)
}

func applyUpgradePolicy(set *ScaleSet, policy *armcompute.UpgradePolicy) {
	if policy == nil {
		return
	}
	set.UpgradeMode = lowerOf(policy.Mode)
	rolling := policy.RollingUpgradePolicy
	if rolling == nil {
		return
	}
	set.RollingUpgrade = &RollingUpgradePolicy{
		MaxBatchInstancePercent:             copyOf(rolling.MaxBatchInstancePercent),
		MaxUnhealthyInstancePercent:         copyOf(rolling.MaxUnhealthyInstancePercent),
		MaxUnhealthyUpgradedInstancePercent: copyOf(rolling.MaxUnhealthyUpgradedInstancePercent),
		PauseTimeBetweenBatches:             stringOf(rolling.PauseTimeBetweenBatches),
	}
}

func applyVMProfile(set *ScaleSet, profile *armcompute.VirtualMachineScaleSetVMProfile) {
	if profile == nil {
		return
	}
	set.Priority = lowerOf(profile.Priority)
	set.EvictionPolicy = lowerOf(profile.EvictionPolicy)
	if profile.BillingProfile != nil {
		set.MaxPrice = copyOf(profile.BillingProfile.MaxPrice)
	}
	set.OSType = scaleSetOSType(profile)
	if profile.ExtensionProfile != nil {
		applyModelExtensions(set, profile.ExtensionProfile.Extensions)
	}
}

// scaleSetOSType reads the OS from the OS disk, else from which OS configuration the
// profile carries. When the profile carries both and the disk is silent, it stays unknown.
func scaleSetOSType(profile *armcompute.VirtualMachineScaleSetVMProfile) string {
	storage := profile.StorageProfile
	if storage != nil && storage.OSDisk != nil && storage.OSDisk.OSType != nil {
		return lowerOf(storage.OSDisk.OSType)
	}
	osProfile := profile.OSProfile
	if osProfile == nil {
		return ""
	}
	windows := osProfile.WindowsConfiguration != nil
	linux := osProfile.LinuxConfiguration != nil
	switch {
	case windows && !linux:
		return "windows"
	case linux && !windows:
		return "linux"
	}
	return ""
}

func applyModelExtensions(set *ScaleSet, extensions []*armcompute.VirtualMachineScaleSetExtension) {
	for _, ext := range extensions {
		if ext == nil || ext.Properties == nil {
			continue
		}
		props := ext.Properties
		switch classifyExtension(stringOf(props.Publisher), stringOf(props.Type)) {
		case customScriptExtension:
			if !set.HasCustomScript {
				set.HasCustomScript = true
				set.Label = stringOf(props.ForceUpdateTag)
			}
		case healthExtension:
			set.HasHealthExtension = true
		}
	}
}

// classifyExtension tells a Custom Script or Application Health extension by its type.
// The publisher, when given, must match too, so that another vendor's "CustomScript" is
// not taken for Azure's.
func classifyExtension(publisher, extensionType string) extensionKind {
	kind := strings.ToLower(extensionType)
	if wanted, ok := customScriptPublishers[kind]; ok {
		if publisher == "" || strings.EqualFold(publisher, wanted) {
			return customScriptExtension
		}
		return otherExtension
	}
	if kind == "applicationhealthlinux" || kind == "applicationhealthwindows" {
		return healthExtension
	}
	return otherExtension
}

// classifyHandler classifies an instance-view extension type, which the platform writes
// as "<publisher>.<type>" (e.g. "Microsoft.Azure.Extensions.CustomScript") or bare.
func classifyHandler(handlerType string) extensionKind {
	cut := strings.LastIndexByte(handlerType, '.')
	if cut < 0 {
		return classifyExtension("", handlerType)
	}
	return classifyExtension(handlerType[:cut], handlerType[cut+1:])
}

// InstanceFromSDK maps a scale-set VM, read with its instance view, to an Instance. A nil
// model gives the zero value. Power and Health stay empty when no instance view came back,
// so an instance is never shown running on the strength of its model alone.
func InstanceFromSDK(vm *armcompute.VirtualMachineScaleSetVM) Instance {
	if vm == nil {
		return Instance{}
	}
	inst := Instance{
		ID:   stringOf(vm.InstanceID),
		Name: stringOf(vm.Name),
		Zone: firstOf(vm.Zones),
	}
	if inst.ID == "" {
		// A single-VM read omits instanceId; the resource ID ends with it.
		inst.ID = segmentAfter(stringOf(vm.ID), "virtualMachines")
	}
	script := customScriptResource(vm.Resources)
	if script != nil && script.Properties != nil {
		inst.Label = stringOf(script.Properties.ForceUpdateTag)
	}
	applyVMProperties(&inst, vm.Properties, script)
	return inst
}

func applyVMProperties(inst *Instance, props *armcompute.VirtualMachineScaleSetVMProperties,
	script *extensionResource) {
	var view *armcompute.VirtualMachineScaleSetVMInstanceView
	if props != nil {
		inst.LatestModel = copyOf(props.LatestModelApplied)
		inst.Created = copyOf(props.TimeCreated)
		inst.Provisioning = lowerOf(props.ProvisioningState)
		if props.OSProfile != nil {
			inst.ComputerName = stringOf(props.OSProfile.ComputerName)
		}
		view = props.InstanceView
	}
	inst.Extension = customScriptStatus(view, script)
	if view != nil {
		applyInstanceView(inst, view)
	}
}

func applyInstanceView(inst *Instance, view *armcompute.VirtualMachineScaleSetVMInstanceView) {
	inst.Power = statusSuffix(view.Statuses, powerStatePrefix)
	// The instance view is fresher than the model's provisioning state: it shows
	// "updating" while an upgrade runs and "failed" once an operation on the VM failed.
	if state := statusSuffix(view.Statuses, provisioningStatePrefix); state != "" {
		inst.Provisioning = state
	}
	if inst.ComputerName == "" {
		inst.ComputerName = stringOf(view.ComputerName)
	}
	inst.Health = healthOf(view.VMHealth)
}

// statusSuffix returns the suffix of the first status whose code starts with prefix.
func statusSuffix(statuses []*armcompute.InstanceViewStatus, prefix string) string {
	for _, status := range statuses {
		if status == nil {
			continue
		}
		if suffix := codeSuffix(stringOf(status.Code), prefix); suffix != "" {
			return suffix
		}
	}
	return ""
}

// healthOf maps vmHealth to a Health constant. The view came back, so a missing vmHealth
// is "not reported"; a code outside the documented set is "unknown".
func healthOf(health *armcompute.VirtualMachineHealthStatus) string {
	if health == nil || health.Status == nil || stringOf(health.Status.Code) == "" {
		return HealthNotReported
	}
	switch state := codeSuffix(stringOf(health.Status.Code), healthStatePrefix); state {
	case HealthHealthy, HealthUnhealthy, HealthInitializing, HealthUnknown:
		return state
	}
	return HealthUnknown
}

// customScriptResource finds the Custom Script Extension among a VM's extension resources.
func customScriptResource(resources []*extensionResource) *extensionResource {
	for _, ext := range resources {
		if ext == nil || ext.Properties == nil {
			continue
		}
		kind := classifyExtension(stringOf(ext.Properties.Publisher), stringOf(ext.Properties.Type))
		if kind == customScriptExtension {
			return ext
		}
	}
	return nil
}

// customScriptStatus reads the Custom Script Extension's state on one instance: from the
// instance view first, then from the extension resource's own view and provisioning state.
func customScriptStatus(view *armcompute.VirtualMachineScaleSetVMInstanceView,
	script *extensionResource) ExtensionStatus {
	var status ExtensionStatus
	if view != nil {
		status = extensionViewStatus(customScriptView(view.Extensions, script))
	}
	if script == nil || script.Properties == nil {
		return status
	}
	if status == (ExtensionStatus{}) {
		status = extensionViewStatus(script.Properties.InstanceView)
	}
	if status.State == "" {
		status.State = lowerOf(script.Properties.ProvisioningState)
	}
	return status
}

// customScriptView finds the Custom Script Extension in the instance view's extensions,
// by the name it has in the model or by its handler type.
func customScriptView(views []*armcompute.VirtualMachineExtensionInstanceView,
	script *extensionResource) *armcompute.VirtualMachineExtensionInstanceView {
	name := ""
	if script != nil {
		name = stringOf(script.Name)
	}
	for _, ext := range views {
		if ext == nil {
			continue
		}
		byName := name != "" && strings.EqualFold(stringOf(ext.Name), name)
		if byName || classifyHandler(stringOf(ext.Type)) == customScriptExtension {
			return ext
		}
	}
	return nil
}

// extensionViewStatus reads state and message from an extension's first status.
func extensionViewStatus(view *armcompute.VirtualMachineExtensionInstanceView) ExtensionStatus {
	if view == nil {
		return ExtensionStatus{}
	}
	for _, status := range view.Statuses {
		if status == nil {
			continue
		}
		return ExtensionStatus{
			State:   codeSuffix(stringOf(status.Code), provisioningStatePrefix),
			Message: shortMessage(stringOf(status.Message)),
		}
	}
	return ExtensionStatus{}
}
