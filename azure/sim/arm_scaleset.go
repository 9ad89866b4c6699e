package sim

import (
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// The rolling upgrade policy of Rolling scale sets: Azure's defaults, without a pause.
const (
	rollingBatchPercent     = 20
	rollingUnhealthyPercent = 20
	rollingPause            = "PT0S"
)

// armScaleSet renders a scale set as the Compute API returns it.
func armScaleSet(ss *scaleSet) *armcompute.VirtualMachineScaleSet {
	return &armcompute.VirtualMachineScaleSet{
		ID:       to.Ptr(ss.resourceID()),
		Name:     to.Ptr(ss.name),
		Type:     to.Ptr("Microsoft.Compute/virtualMachineScaleSets"),
		Location: to.Ptr(Location),
		Zones:    to.SliceOfPtrs(ss.zones...),
		// The etag changes with the model, as ARM's does.
		Etag: to.Ptr(`"` + strconv.Itoa(ss.modelGen) + `"`),
		SKU: &armcompute.SKU{
			Name:     to.Ptr(ss.sku),
			Tier:     to.Ptr("Standard"),
			Capacity: to.Ptr(int64(ss.capacity)),
		},
		Properties: armScaleSetProperties(ss),
	}
}

func armScaleSetProperties(ss *scaleSet) *armcompute.VirtualMachineScaleSetProperties {
	props := &armcompute.VirtualMachineScaleSetProperties{
		ProvisioningState:     to.Ptr(provisioningSucceeded),
		OrchestrationMode:     to.Ptr(armcompute.OrchestrationModeUniform),
		Overprovision:         to.Ptr(false),
		SinglePlacementGroup:  to.Ptr(false),
		TimeCreated:           to.Ptr(ss.created),
		UniqueID:              to.Ptr(ss.uniqueID),
		UpgradePolicy:         armUpgradePolicy(ss),
		VirtualMachineProfile: armVMProfile(ss),
	}
	if ss.priority == armcompute.VirtualMachinePriorityTypesSpot {
		props.SpotRestorePolicy = &armcompute.SpotRestorePolicy{
			Enabled:        to.Ptr(ss.spotRestore),
			RestoreTimeout: to.Ptr("PT1H"),
		}
	}
	return props
}

func armUpgradePolicy(ss *scaleSet) *armcompute.UpgradePolicy {
	policy := &armcompute.UpgradePolicy{Mode: to.Ptr(ss.upgradeMode)}
	if ss.upgradeMode == armcompute.UpgradeModeRolling {
		policy.RollingUpgradePolicy = &armcompute.RollingUpgradePolicy{
			MaxBatchInstancePercent:             to.Ptr[int32](rollingBatchPercent),
			MaxUnhealthyInstancePercent:         to.Ptr[int32](rollingUnhealthyPercent),
			MaxUnhealthyUpgradedInstancePercent: to.Ptr[int32](rollingUnhealthyPercent),
			PauseTimeBetweenBatches:             to.Ptr(rollingPause),
		}
	}
	return policy
}

func armVMProfile(ss *scaleSet) *armcompute.VirtualMachineScaleSetVMProfile {
	profile := &armcompute.VirtualMachineScaleSetVMProfile{
		Priority:       to.Ptr(ss.priority),
		OSProfile:      armOSProfile(ss),
		StorageProfile: armStorageProfile(ss),
		TimeCreated:    to.Ptr(ss.created),
	}
	if ss.eviction != "" {
		profile.EvictionPolicy = to.Ptr(ss.eviction)
	}
	if ss.maxPrice != nil {
		profile.BillingProfile = &armcompute.BillingProfile{MaxPrice: to.Ptr(*ss.maxPrice)}
	}
	if len(ss.extensions) > 0 {
		profile.ExtensionProfile = &armcompute.VirtualMachineScaleSetExtensionProfile{
			Extensions: armModelExtensions(ss),
		}
	}
	return profile
}

func armOSProfile(ss *scaleSet) *armcompute.VirtualMachineScaleSetOSProfile {
	profile := &armcompute.VirtualMachineScaleSetOSProfile{
		ComputerNamePrefix: to.Ptr(ss.namePrefix),
		AdminUsername:      to.Ptr("spotadmin"),
	}
	if ss.os == windows {
		profile.WindowsConfiguration = &armcompute.WindowsConfiguration{
			ProvisionVMAgent:       to.Ptr(true),
			EnableAutomaticUpdates: to.Ptr(false),
		}
	} else {
		profile.LinuxConfiguration = &armcompute.LinuxConfiguration{
			ProvisionVMAgent:              to.Ptr(true),
			DisablePasswordAuthentication: to.Ptr(true),
		}
	}
	return profile
}

func armStorageProfile(ss *scaleSet) *armcompute.VirtualMachineScaleSetStorageProfile {
	image := &armcompute.ImageReference{Publisher: to.Ptr("Canonical"),
		Offer: to.Ptr("ubuntu-24_04-lts"), SKU: to.Ptr("server"), Version: to.Ptr("latest")}
	osType := armcompute.OperatingSystemTypesLinux
	if ss.os == windows {
		image = &armcompute.ImageReference{Publisher: to.Ptr("MicrosoftWindowsServer"),
			Offer: to.Ptr("WindowsServer"), SKU: to.Ptr("2022-datacenter-azure-edition-core"),
			Version: to.Ptr("latest")}
		osType = armcompute.OperatingSystemTypesWindows
	}
	return &armcompute.VirtualMachineScaleSetStorageProfile{
		ImageReference: image,
		OSDisk: &armcompute.VirtualMachineScaleSetOSDisk{
			CreateOption: to.Ptr(armcompute.DiskCreateOptionTypesFromImage),
			Caching:      to.Ptr(armcompute.CachingTypesReadWrite),
			OSType:       to.Ptr(osType),
			ManagedDisk: &armcompute.VirtualMachineScaleSetManagedDiskParameters{
				StorageAccountType: to.Ptr(armcompute.StorageAccountTypesStandardSSDLRS),
			},
		},
	}
}

// armModelExtensions renders the extensions of the scale-set model. The Custom Script
// Extension carries the model's label as its forceUpdateTag.
func armModelExtensions(ss *scaleSet) []*armcompute.VirtualMachineScaleSetExtension {
	out := make([]*armcompute.VirtualMachineScaleSetExtension, 0, len(ss.extensions))
	for _, ext := range ss.extensions {
		props := &armcompute.VirtualMachineScaleSetExtensionProperties{
			Publisher:               to.Ptr(ext.publisher),
			Type:                    to.Ptr(ext.kind),
			TypeHandlerVersion:      to.Ptr(ext.version),
			AutoUpgradeMinorVersion: to.Ptr(true),
			Settings:                ext.settings,
			ProvisioningState:       to.Ptr(provisioningSucceeded),
		}
		if ext.isCustomScript() {
			props.ForceUpdateTag = to.Ptr(ss.label)
		}
		out = append(out, &armcompute.VirtualMachineScaleSetExtension{
			ID:         to.Ptr(ss.resourceID() + "/extensions/" + ext.name),
			Name:       to.Ptr(ext.name),
			Type:       to.Ptr("Microsoft.Compute/virtualMachineScaleSets/extensions"),
			Properties: props,
		})
	}
	return out
}
