package sim

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// osKind is the operating system of a scale set.
type osKind int

const (
	linux osKind = iota
	windows
)

// extension is one extension in a scale set's model. Its settings map is replaced, never
// changed in place, so models that share it stay as they were made.
type extension struct {
	name        string
	publisher   string
	kind        string // the extension type, e.g. "CustomScriptExtension"
	version     string // typeHandlerVersion
	fullVersion string // the handler version instances report
	settings    map[string]any
	// customScript marks the extension whose forceUpdateTag is the deployment label; an
	// extension of a Custom Script type counts as one too (see isCustomScript).
	customScript bool
}

// isCustomScript tells whether the extension is the Custom Script Extension, whose
// forceUpdateTag is the deployment label.
func (e extension) isCustomScript() bool {
	return e.customScript || strings.EqualFold(e.kind, "CustomScript") ||
		strings.EqualFold(e.kind, "CustomScriptExtension")
}

// scaleSet is one simulated scale set: its model and its instances.
type scaleSet struct {
	name          string
	resourceGroup string
	os            osKind
	sku           string
	priority      armcompute.VirtualMachinePriorityTypes
	eviction      armcompute.VirtualMachineEvictionPolicyTypes // "" for Regular priority
	maxPrice      *float64
	spotRestore   bool
	upgradeMode   armcompute.UpgradeMode
	zones         []string
	namePrefix    string // computerNamePrefix
	extensions    []extension
	created       time.Time
	uniqueID      string

	// label is the forceUpdateTag of the Custom Script Extension in the model; modelGen
	// counts model changes so instances can tell whether they run the latest model. A
	// change of the model sets both and replaces extensions (upgrades.go).
	label    string
	modelGen int
	// latest caches the model generation instances apply, made from the fields above.
	latest *vmModel

	instances []*instance // ordered by id
	nextID    int
	// capacity is sku.capacity: the instances the scale set is asked to hold. It drops
	// when an eviction deletes an instance, before a refill raises it again.
	capacity int

	// lastPatch is the body of the latest PATCH of the scale set, as sent.
	lastPatch []byte
	// rolling is the latest rolling upgrade (rolling.go); nil before the first.
	rolling *rollingRun
}

// vmModel is one generation of a scale set's VM model, as instances apply it. It is never
// changed once made: a change of the model makes a new generation.
type vmModel struct {
	gen        int
	label      string
	extensions []extension
}

// latestModel returns the model generation a new or upgraded instance applies.
func (ss *scaleSet) latestModel() *vmModel {
	if ss.latest == nil || ss.latest.gen != ss.modelGen {
		ss.latest = &vmModel{gen: ss.modelGen, label: ss.label,
			extensions: append([]extension(nil), ss.extensions...)}
	}
	return ss.latest
}

// customScript returns the model's Custom Script Extension, or nil.
func (m *vmModel) customScript() *extension {
	for i := range m.extensions {
		if m.extensions[i].isCustomScript() {
			return &m.extensions[i]
		}
	}
	return nil
}

// hasHealthExtension tells whether the model carries an Application Health extension.
func (m *vmModel) hasHealthExtension() bool {
	for _, ext := range m.extensions {
		if strings.HasPrefix(ext.kind, "ApplicationHealth") {
			return true
		}
	}
	return false
}

// instance is one VM of a scale set. Its state at any moment is derived from the times
// below (see lifecycle.go); only events such as an eviction or an upgrade change them.
type instance struct {
	id      int
	vmID    string
	zone    string
	created time.Time
	// cycle is the latest power cycle: creation, or a restart, reimage or start since.
	cycle powerCycle
	// graceFor is how long the Application Health extension reports "initializing" once
	// the VM runs.
	graceFor time.Duration
	// sick instances report unhealthy even when their script succeeded, until a new run
	// of the script reinstalls the application.
	sick bool

	// applied is the model generation the instance last applied.
	applied *vmModel
	// script is the latest Custom Script Extension run; scriptPending marks a run owed
	// for a model applied while the instance was not running, due when it next runs.
	script        scriptRun
	scriptPending bool
	// updatingUntil is when an upgrade started at some earlier time finishes.
	updatingUntil time.Time

	eviction *eviction
	// deleting is set once the instance is being deleted by an operator or a scale-in.
	deleting *deletion
}

// powerCycle is how an instance last came to run: from the start of an operation it
// stops for stopFor (restart, reimage), then boots for bootFor, then runs.
type powerCycle struct {
	kind    cycleKind
	from    time.Time
	stopFor time.Duration
	bootFor time.Duration
}

// cycleKind is what started a power cycle.
type cycleKind int

const (
	cycleCreate cycleKind = iota
	cycleRestart
	cycleReimage
	cycleStart
)

// running returns when the cycle's boot ends.
func (c powerCycle) running() time.Time {
	return c.from.Add(c.stopFor + c.bootFor)
}

// deletion is the deletion of one instance: it reports "Deleting" until it is gone.
type deletion struct {
	from, until time.Time
}

// name returns the instance's resource name, e.g. "vmss-func-win_3".
func (in *instance) name(ss *scaleSet) string {
	return ss.name + "_" + strconv.Itoa(in.id)
}

// computerName returns the host name the platform gives a Uniform scale-set instance: the
// prefix and the instance ID in base 36, six digits wide.
func (in *instance) computerName(ss *scaleSet) string {
	digits := strings.ToUpper(strconv.FormatInt(int64(in.id), 36))
	if len(digits) < 6 {
		digits = strings.Repeat("0", 6-len(digits)) + digits
	}
	return ss.namePrefix + digits
}

// resourceID returns the scale set's ARM resource ID.
func (ss *scaleSet) resourceID() string {
	return "/subscriptions/" + FixedSubscriptionID + "/resourceGroups/" + ss.resourceGroup +
		"/providers/Microsoft.Compute/virtualMachineScaleSets/" + ss.name
}

// customScript returns the Custom Script Extension of the latest model, or nil.
func (ss *scaleSet) customScript() *extension {
	return ss.latestModel().customScript()
}

// findInstance returns the instance with the given ID, or nil.
func (ss *scaleSet) findInstance(id int) *instance {
	i := sort.Search(len(ss.instances), func(i int) bool { return ss.instances[i].id >= id })
	if i < len(ss.instances) && ss.instances[i].id == id {
		return ss.instances[i]
	}
	return nil
}

// removeInstance drops the instance with the given ID.
func (ss *scaleSet) removeInstance(id int) {
	kept := ss.instances[:0]
	for _, in := range ss.instances {
		if in.id != id {
			kept = append(kept, in)
		}
	}
	ss.instances = kept
}

// findScaleSet returns the named scale set. ARM names are case-insensitive.
func (s *Sim) findScaleSet(resourceGroup, name string) (*scaleSet, error) {
	for _, ss := range s.scaleSets {
		if strings.EqualFold(ss.resourceGroup, resourceGroup) && strings.EqualFold(ss.name, name) {
			return ss, nil
		}
	}
	if !s.hasResourceGroup(resourceGroup) {
		return nil, resourceGroupNotFound(resourceGroup)
	}
	return nil, notFound("Microsoft.Compute/virtualMachineScaleSets/"+name, resourceGroup)
}

// findInstance returns one instance of a scale set, by its instance ID as ARM spells it.
func (s *Sim) findInstance(resourceGroup, name, instanceID string) (*scaleSet, *instance, error) {
	ss, err := s.findScaleSet(resourceGroup, name)
	if err != nil {
		return nil, nil, err
	}
	id, convErr := strconv.Atoi(instanceID)
	var in *instance
	if convErr == nil {
		in = ss.findInstance(id)
	}
	if in == nil {
		resource := "Microsoft.Compute/virtualMachineScaleSets/" + ss.name +
			"/virtualMachines/" + instanceID
		return nil, nil, notFound(resource, resourceGroup)
	}
	return ss, in, nil
}

// hasResourceGroup tells whether the resource group exists in the subscription.
func (s *Sim) hasResourceGroup(resourceGroup string) bool {
	for _, known := range resourceGroups {
		if strings.EqualFold(known, resourceGroup) {
			return true
		}
	}
	return false
}

// scaleSetsIn returns the scale sets of a resource group, or all of them for "".
func (s *Sim) scaleSetsIn(resourceGroup string) []*scaleSet {
	if resourceGroup == "" {
		return s.scaleSets
	}
	var out []*scaleSet
	for _, ss := range s.scaleSets {
		if strings.EqualFold(ss.resourceGroup, resourceGroup) {
			out = append(out, ss)
		}
	}
	return out
}
