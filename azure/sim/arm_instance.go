package sim

import (
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"spotdeck/azure"
)

// vmAgentVersion is the guest agent version running instances report.
const vmAgentVersion = "2.13.1.1"

// instanceExtensionType is the resource type of an instance's extension.
const instanceExtensionType = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/extensions"

// armInstance renders one instance as the Compute API returns it at simulated time now.
// The instance view is included only when withView is set, as ARM includes it only for
// $expand=instanceView.
func armInstance(ss *scaleSet, in *instance, now time.Time,
	withView bool) *armcompute.VirtualMachineScaleSetVM {
	st := in.stateAt(ss, now)
	id := ss.resourceID() + "/virtualMachines/" + strconv.Itoa(in.id)
	vm := &armcompute.VirtualMachineScaleSetVM{
		ID:         to.Ptr(id),
		Name:       to.Ptr(in.name(ss)),
		InstanceID: to.Ptr(strconv.Itoa(in.id)),
		Type:       to.Ptr("Microsoft.Compute/virtualMachineScaleSets/virtualMachines"),
		Location:   to.Ptr(Location),
		SKU:        &armcompute.SKU{Name: to.Ptr(ss.sku), Tier: to.Ptr("Standard")},
		Properties: &armcompute.VirtualMachineScaleSetVMProperties{
			LatestModelApplied:     to.Ptr(in.applied.gen == ss.modelGen),
			ModelDefinitionApplied: to.Ptr("VirtualMachineScaleSet"),
			ProvisioningState:      to.Ptr(st.provisioning),
			TimeCreated:            to.Ptr(in.created),
			VMID:                   to.Ptr(in.vmID),
			OSProfile: &armcompute.OSProfile{
				ComputerName:  to.Ptr(in.computerName(ss)),
				AdminUsername: to.Ptr("spotadmin"),
			},
		},
		Resources: armInstanceExtensions(ss, in, id, st),
	}
	if in.zone != "" {
		vm.Zones = []*string{to.Ptr(in.zone)}
	}
	if withView {
		vm.Properties.InstanceView = armInstanceView(ss, in, st)
	}
	return vm
}

// armInstanceExtensions renders the extensions of the model the instance has applied:
// the Custom Script Extension carries the instance's own label as its forceUpdateTag.
func armInstanceExtensions(ss *scaleSet, in *instance, vmID string,
	st instanceState) []*armcompute.VirtualMachineExtension {
	out := make([]*armcompute.VirtualMachineExtension, 0, len(in.applied.extensions))
	for _, ext := range in.applied.extensions {
		props := &armcompute.VirtualMachineExtensionProperties{
			Publisher:               to.Ptr(ext.publisher),
			Type:                    to.Ptr(ext.kind),
			TypeHandlerVersion:      to.Ptr(ext.version),
			AutoUpgradeMinorVersion: to.Ptr(true),
			Settings:                ext.settings,
			ProvisioningState:       to.Ptr(provisioningSucceeded),
		}
		if ext.isCustomScript() {
			props.ForceUpdateTag = to.Ptr(in.applied.label)
			props.ProvisioningState = to.Ptr(scriptProvisioningState(st))
		}
		out = append(out, &armcompute.VirtualMachineExtension{
			ID:         to.Ptr(vmID + "/extensions/" + ext.name),
			Name:       to.Ptr(ext.name),
			Type:       to.Ptr(instanceExtensionType),
			Location:   to.Ptr(Location),
			Properties: props,
		})
	}
	return out
}

// scriptProvisioningState is the extension resource's provisioning state, which follows
// its run: "Creating" until the run ends, then "Succeeded" or "Failed".
func scriptProvisioningState(st instanceState) string {
	switch st.script.state {
	case scriptSucceeded:
		return provisioningSucceeded
	case scriptFailed:
		return "Failed"
	}
	return provisioningCreating
}

// armInstanceView renders the instance view: statuses, agent, extensions and health.
func armInstanceView(ss *scaleSet, in *instance,
	st instanceState) *armcompute.VirtualMachineScaleSetVMInstanceView {
	view := &armcompute.VirtualMachineScaleSetVMInstanceView{
		ComputerName: to.Ptr(in.computerName(ss)),
		Statuses: []*armcompute.InstanceViewStatus{
			status("ProvisioningState/"+strings.ToLower(st.provisioning),
				provisioningDisplay(st.provisioning), "", st.since),
			status("PowerState/"+st.power, powerDisplay(st.power), "", time.Time{}),
		},
	}
	if st.health != "" {
		view.VMHealth = &armcompute.VirtualMachineHealthStatus{Status: healthStatus(st.health)}
	}
	if !st.agentReady {
		return view
	}
	view.VMAgent = &armcompute.VirtualMachineAgentInstanceView{
		VMAgentVersion: to.Ptr(vmAgentVersion),
		Statuses: []*armcompute.InstanceViewStatus{
			status("ProvisioningState/succeeded", "Ready", "GuestAgent is running and "+
				"processing the extensions.", time.Time{}),
		},
	}
	view.Extensions = armExtensionViews(in.applied, st)
	return view
}

// armExtensionViews reports each extension of a running instance. A Custom Script
// Extension that has not started yet reports nothing, as on a fresh VM.
func armExtensionViews(applied *vmModel,
	st instanceState) []*armcompute.VirtualMachineExtensionInstanceView {
	var out []*armcompute.VirtualMachineExtensionInstanceView
	for _, ext := range applied.extensions {
		code, message, since := "ProvisioningState/succeeded", "", time.Time{}
		if ext.isCustomScript() {
			if st.script.state == "" {
				continue
			}
			code, message, since = scriptCode(st.script.state), st.script.message, st.script.since
		}
		out = append(out, &armcompute.VirtualMachineExtensionInstanceView{
			Name:               to.Ptr(ext.name),
			Type:               to.Ptr(ext.publisher + "." + ext.kind),
			TypeHandlerVersion: to.Ptr(ext.fullVersion),
			Statuses: []*armcompute.InstanceViewStatus{
				status(code, extensionDisplay(code), message, since),
			},
		})
	}
	return out
}

// scriptCode is the status code of a script state. A failure carries the exit code as a
// third segment, as the handlers write it.
func scriptCode(state string) string {
	if state == scriptFailed {
		return "ProvisioningState/failed/1"
	}
	return "ProvisioningState/" + state
}

func healthStatus(health string) *armcompute.InstanceViewStatus {
	level := armcompute.StatusLevelTypesInfo
	display := "The VM is " + health
	switch health {
	case azure.HealthUnhealthy:
		level = armcompute.StatusLevelTypesError
		display = "The VM is reporting itself as unhealthy or is unreachable"
	case azure.HealthInitializing:
		display = "The VM health is initializing"
	case azure.HealthUnknown:
		level = armcompute.StatusLevelTypesWarning
		display = "The VM health is unknown"
	}
	st := status("HealthState/"+health, display, "", time.Time{})
	st.Level = to.Ptr(level)
	return st
}

// status builds an informational status; a zero time is left out.
func status(code, display, message string, at time.Time) *armcompute.InstanceViewStatus {
	st := &armcompute.InstanceViewStatus{
		Code:          to.Ptr(code),
		Level:         to.Ptr(armcompute.StatusLevelTypesInfo),
		DisplayStatus: to.Ptr(display),
	}
	if strings.Contains(code, "/failed") {
		st.Level = to.Ptr(armcompute.StatusLevelTypesError)
	}
	if message != "" {
		st.Message = to.Ptr(message)
	}
	if !at.IsZero() {
		st.Time = to.Ptr(at)
	}
	return st
}

func provisioningDisplay(state string) string {
	if state == provisioningSucceeded {
		return "Provisioning succeeded"
	}
	return state
}

func powerDisplay(power string) string {
	if power == azure.PowerDeallocated {
		return "VM deallocated"
	}
	return "VM " + power
}

func extensionDisplay(code string) string {
	switch {
	case strings.HasPrefix(code, "ProvisioningState/failed"):
		return "Provisioning failed"
	case code == "ProvisioningState/"+scriptTransitioning:
		return "Transitioning"
	}
	return "Provisioning succeeded"
}
