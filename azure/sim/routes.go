package sim

import (
	"net/http"
	"strings"
)

// Over HTTP a request arrives without the SDK's operation name, which the fake servers
// need to dispatch it, so the handler finds the name from method and path in this table.
// It covers the scale-set, instance, extension and rolling-upgrade clients; operations
// the simulator does not implement still resolve, and the fake answers them 501.

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

// pollSuffix ends the URL the SDK's fake poller polls: the operation's own path followed
// by this suffix (azcore's internal/pollers/fake).
const pollSuffix = "/get/fake/status"

// route maps a method and a path template to an operation name.
type route struct {
	method   string
	segments []string
	op       string
}

func newRoute(method, template, op string) route {
	return route{method: method, segments: strings.Split(strings.Trim(template, "/"), "/"),
		op: op}
}

var routes = buildRoutes()

func buildRoutes() []route {
	var table []route
	add := func(method, template, op string) {
		table = append(table, newRoute(method, template, op))
	}
	addScaleSetRoutes(add)
	addInstanceRoutes(add)
	addExtensionRoutes(add)
	return table
}

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

// matches tells whether the route serves the method and path. Literal segments compare
// without regard to case, as ARM paths do; a {placeholder} takes any non-empty segment.
func (r route) matches(method string, segments []string) bool {
	if r.method != method || len(r.segments) != len(segments) {
		return false
	}
	for i, want := range r.segments {
		got := segments[i]
		if strings.HasPrefix(want, "{") {
			if got == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(want, got) {
			return false
		}
	}
	return true
}

// operationFor returns the operation a request over HTTP calls. A poll of a long-running
// operation resolves to the operation that started it.
func (s *Sim) operationFor(method, path string) (string, *armError) {
	if base, isPoll := strings.CutSuffix(path, pollSuffix); isPoll && method == http.MethodGet {
		if op, ok := s.books.pollerAt(base); ok {
			return op, nil
		}
		return "", unknownRoute(method, path)
	}
	segments := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range routes {
		if r.matches(method, segments) {
			return r.op, nil
		}
	}
	return "", unknownRoute(method, path)
}
