package sim

import (
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"

	"spotdeck/azure"
)

// The Microsoft.Compute provider: virtual machine scale sets, their instances, their
// extensions and rolling upgrades. The routes cover every operation of those clients, so
// that over HTTP an operation the simulator does not implement still resolves, and the
// fake answers it 501.

func init() {
	registerProvider(provider{
		name:      "Microsoft.Compute",
		routes:    computeRoutes(),
		transport: computeTransport,
	})
}

// computeTransport returns the fake that answers one Compute request.
func computeTransport(s *Sim, req *http.Request) azure.Transporter {
	return fake.NewServerFactoryTransport(s.computeServers(req))
}

// computeRoutes lists the Compute routes, spelled as the SDK's clients spell them.
func computeRoutes() []route {
	var table []route
	add := func(method, template, op string) {
		table = append(table, newRoute(method, template, op))
	}
	addScaleSetRoutes(add)
	addInstanceRoutes(add)
	addExtensionRoutes(add)
	return table
}

// Operation names of what the simulator serves, for InjectFault, InjectLatency and Calls.
const (
	OpListAllScaleSets = "VirtualMachineScaleSetsClient.NewListAllPager"
	OpListScaleSets    = "VirtualMachineScaleSetsClient.NewListPager"
	OpGetScaleSet      = "VirtualMachineScaleSetsClient.Get"
	OpUpdateInstances  = "VirtualMachineScaleSetsClient.BeginUpdateInstances"
	OpListInstances    = "VirtualMachineScaleSetVMsClient.NewListPager"
	OpGetInstance      = "VirtualMachineScaleSetVMsClient.Get"
	OpGetInstanceView  = "VirtualMachineScaleSetVMsClient.GetInstanceView"
	OpSimulateEviction = "VirtualMachineScaleSetVMsClient.SimulateEviction"
)

// Client name prefixes of operation names.
const (
	scaleSetsClient    = "VirtualMachineScaleSetsClient."
	instancesClient    = "VirtualMachineScaleSetVMsClient."
	extensionsClient   = "VirtualMachineScaleSetExtensionsClient."
	rollingClient      = "VirtualMachineScaleSetRollingUpgradesClient."
	instanceExtsClient = "VirtualMachineScaleSetVMExtensionsClient."
)

// Path templates, spelled as the SDK's clients spell them.
const (
	subscriptionTemplate = "/subscriptions/{subscriptionId}"
	scaleSetTemplate     = subscriptionTemplate + "/resourceGroups/{resourceGroupName}" +
		"/providers/Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}"
	instanceTemplate = scaleSetTemplate + "/virtualMachines/{instanceId}"
)

func addScaleSetRoutes(add func(method, template, op string)) {
	const get, post = http.MethodGet, http.MethodPost
	add(get, subscriptionTemplate+"/providers/Microsoft.Compute/virtualMachineScaleSets",
		OpListAllScaleSets)
	add(get, subscriptionTemplate+"/providers/Microsoft.Compute/locations/{location}"+
		"/virtualMachineScaleSets", scaleSetsClient+"NewListByLocationPager")
	add(get, subscriptionTemplate+"/resourceGroups/{resourceGroupName}/providers"+
		"/Microsoft.Compute/virtualMachineScaleSets", OpListScaleSets)
	add(get, scaleSetTemplate, OpGetScaleSet)
	add(http.MethodPut, scaleSetTemplate, scaleSetsClient+"BeginCreateOrUpdate")
	add(http.MethodPatch, scaleSetTemplate, scaleSetsClient+"BeginUpdate")
	add(http.MethodDelete, scaleSetTemplate, scaleSetsClient+"BeginDelete")
	add(get, scaleSetTemplate+"/instanceView", scaleSetsClient+"GetInstanceView")
	add(get, scaleSetTemplate+"/osUpgradeHistory", scaleSetsClient+"NewGetOSUpgradeHistoryPager")
	add(get, scaleSetTemplate+"/skus", scaleSetsClient+"NewListSKUsPager")
	add(post, scaleSetTemplate+"/manualupgrade", OpUpdateInstances)
	add(post, scaleSetTemplate+"/delete", scaleSetsClient+"BeginDeleteInstances")
	for _, action := range [][2]string{
		{"approveRollingUpgrade", "BeginApproveRollingUpgrade"},
		{"convertToSinglePlacementGroup", "ConvertToSinglePlacementGroup"},
		{"deallocate", "BeginDeallocate"},
		{"performMaintenance", "BeginPerformMaintenance"},
		{"poweroff", "BeginPowerOff"},
		{"reapply", "BeginReapply"},
		{"redeploy", "BeginRedeploy"},
		{"reimage", "BeginReimage"},
		{"reimageall", "BeginReimageAll"},
		{"restart", "BeginRestart"},
		{"scaleOut", "BeginScaleOut"},
		{"setOrchestrationServiceState", "BeginSetOrchestrationServiceState"},
		{"start", "BeginStart"},
	} {
		add(post, scaleSetTemplate+"/"+action[0], scaleSetsClient+action[1])
	}
}

func addInstanceRoutes(add func(method, template, op string)) {
	add(http.MethodGet, scaleSetTemplate+"/virtualMachines", OpListInstances)
	add(http.MethodGet, instanceTemplate, OpGetInstance)
	add(http.MethodPut, instanceTemplate, instancesClient+"BeginUpdate")
	add(http.MethodDelete, instanceTemplate, instancesClient+"BeginDelete")
	add(http.MethodGet, instanceTemplate+"/instanceView", OpGetInstanceView)
	add(http.MethodPost, instanceTemplate+"/simulateEviction", OpSimulateEviction)
	for _, action := range [][2]string{
		{"approveRollingUpgrade", "BeginApproveRollingUpgrade"},
		{"attachDetachDataDisks", "BeginAttachDetachDataDisks"},
		{"deallocate", "BeginDeallocate"},
		{"performMaintenance", "BeginPerformMaintenance"},
		{"powerOff", "BeginPowerOff"},
		{"redeploy", "BeginRedeploy"},
		{"reimage", "BeginReimage"},
		{"reimageall", "BeginReimageAll"},
		{"restart", "BeginRestart"},
		{"retrieveBootDiagnosticsData", "RetrieveBootDiagnosticsData"},
		{"runCommand", "BeginRunCommand"},
		{"start", "BeginStart"},
	} {
		add(http.MethodPost, instanceTemplate+"/"+action[0], instancesClient+action[1])
	}
}

func addExtensionRoutes(add func(method, template, op string)) {
	extension := scaleSetTemplate + "/extensions/{vmssExtensionName}"
	add(http.MethodGet, scaleSetTemplate+"/extensions", extensionsClient+"NewListPager")
	add(http.MethodGet, extension, extensionsClient+"Get")
	add(http.MethodPut, extension, extensionsClient+"BeginCreateOrUpdate")
	add(http.MethodPatch, extension, extensionsClient+"BeginUpdate")
	add(http.MethodDelete, extension, extensionsClient+"BeginDelete")

	add(http.MethodPost, scaleSetTemplate+"/extensionRollingUpgrade",
		rollingClient+"BeginStartExtensionUpgrade")
	add(http.MethodPost, scaleSetTemplate+"/osRollingUpgrade", rollingClient+"BeginStartOSUpgrade")
	add(http.MethodPost, scaleSetTemplate+"/rollingUpgrades/cancel", rollingClient+"BeginCancel")
	add(http.MethodGet, scaleSetTemplate+"/rollingUpgrades/latest", rollingClient+"GetLatest")

	instanceExtension := instanceTemplate + "/extensions/{vmExtensionName}"
	add(http.MethodGet, instanceTemplate+"/extensions", instanceExtsClient+"List")
	add(http.MethodGet, instanceExtension, instanceExtsClient+"Get")
	add(http.MethodPut, instanceExtension, instanceExtsClient+"BeginCreateOrUpdate")
	add(http.MethodPatch, instanceExtension, instanceExtsClient+"BeginUpdate")
	add(http.MethodDelete, instanceExtension, instanceExtsClient+"BeginDelete")
}
