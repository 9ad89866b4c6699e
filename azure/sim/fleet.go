package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Resource groups of the simulated subscription.
const (
	functionsGroup = "rg-functions"
	batchGroup     = "rg-batch"
)

var resourceGroups = []string{functionsGroup, batchGroup}

// Deployment labels: the forceUpdateTag of the Custom Script Extension in the current
// model, and the one before it, which instances not yet upgraded still run.
const (
	currentLabel  = "v7"
	previousLabel = "v6"
)

// scaleSetAge is how long before the start of the simulation the scale sets were created.
const scaleSetAge = 30 * 24 * time.Hour

// extraInstances is the size of each scale set added by Options.ExtraScaleSets.
const extraInstances = 4

// fate is how an instance of the initial fleet turns out.
type fate struct {
	age         time.Duration // how long before the start it was created
	sick        bool          // reports unhealthy although its script succeeded
	scriptFails bool          // its first Custom Script Extension run fails
	behind      bool          // it still runs the previous model
}

// plan is a scale set of the initial fleet: its model and its scripted instances.
type plan struct {
	model *scaleSet
	fates []fate
}

// defaultPlans is the hand-written fleet: a Windows and a Linux Functions host on Spot,
// each with a few instances in every state an operator must notice, and a Regular one.
func defaultPlans() []plan {
	return []plan{
		{model: windowsFunctions(), fates: []fate{
			{age: 3 * time.Hour}, {age: 3 * time.Hour},
			{age: 3 * time.Hour, behind: true}, {age: 2 * time.Hour, behind: true},
			{age: 2 * time.Hour, scriptFails: true},
			{age: 30 * time.Second},
		}},
		{model: linuxFunctions(), fates: []fate{
			{age: 5 * time.Hour}, {age: 5 * time.Hour},
			{age: 5 * time.Hour, sick: true},
			{age: 10 * time.Second},
		}},
		{model: regularBatch(), fates: []fate{{age: 24 * time.Hour}, {age: 24 * time.Hour}}},
	}
}

func windowsFunctions() *scaleSet {
	return &scaleSet{
		name: "vmss-func-win", resourceGroup: functionsGroup, os: windows,
		sku:      "Standard_D2s_v5",
		priority: armcompute.VirtualMachinePriorityTypesSpot,
		eviction: armcompute.VirtualMachineEvictionPolicyTypesDelete,
		maxPrice: to.Ptr(-1.0), spotRestore: true,
		upgradeMode: armcompute.UpgradeModeManual,
		zones:       []string{"1", "2", "3"}, namePrefix: "funcwin",
		extensions: []extension{customScriptFor(windows), healthExtensionFor(windows)},
		label:      currentLabel,
	}
}

func linuxFunctions() *scaleSet {
	return &scaleSet{
		name: "vmss-func-linux", resourceGroup: functionsGroup, os: linux,
		sku:      "Standard_D4as_v5",
		priority: armcompute.VirtualMachinePriorityTypesSpot,
		eviction: armcompute.VirtualMachineEvictionPolicyTypesDeallocate,
		maxPrice: to.Ptr(0.0523),
		// Rolling rather than Automatic so the console has a rolling policy to show.
		upgradeMode: armcompute.UpgradeModeRolling,
		zones:       []string{"1", "2", "3"}, namePrefix: "funclnx",
		extensions: []extension{customScriptFor(linux), healthExtensionFor(linux)},
		label:      currentLabel,
	}
}

// regularBatch is the contrast case: Regular priority, no zones, no extensions at all,
// so no label and no health source.
func regularBatch() *scaleSet {
	return &scaleSet{
		name: "vmss-batch-regular", resourceGroup: batchGroup, os: linux,
		sku:         "Standard_B2s",
		priority:    armcompute.VirtualMachinePriorityTypesRegular,
		upgradeMode: armcompute.UpgradeModeAutomatic,
		namePrefix:  "batch",
	}
}

// extraScaleSet is one of the scale sets added by Options.ExtraScaleSets.
func extraScaleSet(n int) *scaleSet {
	return &scaleSet{
		name: fmt.Sprintf("vmss-extra-%03d", n), resourceGroup: batchGroup, os: linux,
		sku:         "Standard_D2as_v5",
		priority:    armcompute.VirtualMachinePriorityTypesSpot,
		eviction:    armcompute.VirtualMachineEvictionPolicyTypesDeallocate,
		maxPrice:    to.Ptr(-1.0),
		upgradeMode: armcompute.UpgradeModeAutomatic,
		zones:       []string{"1", "2", "3"}, namePrefix: "extra",
		extensions: []extension{customScriptFor(linux), healthExtensionFor(linux)},
		label:      currentLabel,
	}
}

// customScriptFor returns the Custom Script Extension that installs the Functions host.
// The settings are the public ones only: real Azure never returns protectedSettings.
func customScriptFor(os osKind) extension {
	if os == windows {
		return extension{
			name: "deploy-functions", publisher: "Microsoft.Compute",
			kind: "CustomScriptExtension", version: "1.10", fullVersion: "1.10.18",
			settings: map[string]any{
				"fileUris":         []string{bundleURL + "/func-win/install.ps1"},
				"commandToExecute": "powershell -ExecutionPolicy Unrestricted -File install.ps1",
			},
			customScript: true,
		}
	}
	return extension{
		name: "deploy-functions", publisher: "Microsoft.Azure.Extensions",
		kind: "CustomScript", version: "2.1", fullVersion: "2.1.10",
		settings: map[string]any{
			"fileUris":         []string{bundleURL + "/func-linux/install.sh"},
			"commandToExecute": "bash install.sh",
		},
		customScript: true,
	}
}

// bundleURL is where the simulated model says the install bundles live.
const bundleURL = "https://stspotdeckbundles.blob.core.windows.net/bundles"

// healthExtensionFor returns an Application Health extension in rich mode (2.0), which
// reports "initializing" until its grace period ends.
func healthExtensionFor(os osKind) extension {
	kind := "ApplicationHealthLinux"
	if os == windows {
		kind = "ApplicationHealthWindows"
	}
	return extension{
		name: "HealthExtension", publisher: "Microsoft.ManagedServices",
		kind: kind, version: "2.0", fullVersion: "2.0.11",
		settings: map[string]any{
			"protocol": "http", "port": 80, "requestPath": "/api/health",
			"intervalInSeconds": 5, "numberOfProbes": 1, "gracePeriod": 600,
		},
	}
}

// buildFleet creates the scale sets and instances as they stand at the start.
func (s *Sim) buildFleet(opts Options) []*scaleSet {
	plans := defaultPlans()
	for n := 1; n <= opts.ExtraScaleSets; n++ {
		plans = append(plans, plan{model: extraScaleSet(n)})
	}
	start := s.clock.start
	sets := make([]*scaleSet, 0, len(plans))
	for _, p := range plans {
		ss := p.model
		ss.created = start.Add(-scaleSetAge)
		ss.uniqueID = uuidFrom(s.rngFor(ss.name, "uniqueID"))
		// Generation 2, so that instances behind the model sit at 1.
		ss.modelGen = 2
		for _, f := range s.fatesOf(p, ss, instanceCount(p, opts)) {
			s.addInstance(ss, start.Add(-f.age), f)
		}
		ss.capacity = len(ss.instances)
		sets = append(sets, ss)
	}
	sort.Slice(sets, func(i, j int) bool {
		return strings.ToLower(sets[i].resourceID()) < strings.ToLower(sets[j].resourceID())
	})
	return sets
}

// instanceCount is the planned size of a scale set, or the override from the options.
func instanceCount(p plan, opts Options) int {
	count := len(p.fates)
	if p.fates == nil {
		count = extraInstances
	}
	if n, ok := opts.InstancesPerScaleSet[p.model.name]; ok {
		count = max(n, 0)
	}
	return count
}

// fatesOf returns the fates of a scale set's initial instances, oldest first, so that
// instance IDs grow with creation time as the platform assigns them.
func (s *Sim) fatesOf(p plan, ss *scaleSet, count int) []fate {
	fates := make([]fate, count)
	for i := range fates {
		fates[i] = s.fateOf(p, ss, i)
	}
	sort.SliceStable(fates, func(i, j int) bool { return fates[i].age > fates[j].age })
	return fates
}

// fateOf returns the scripted fate of the i-th instance, or a random one past the script.
func (s *Sim) fateOf(p plan, ss *scaleSet, i int) fate {
	if i < len(p.fates) {
		return p.fates[i]
	}
	rng := s.rngFor(ss.name, fmt.Sprint(i), "fate")
	return fate{
		age:         time.Hour + time.Duration(rng.Int64N(int64(47*time.Hour))),
		sick:        rng.Float64() < 0.03,
		scriptFails: ss.customScript() != nil && rng.Float64() < 0.02,
		behind:      ss.upgradeMode == armcompute.UpgradeModeManual && rng.Float64() < 0.1,
	}
}

// addInstance creates the next instance of a scale set, born at created.
func (s *Sim) addInstance(ss *scaleSet, created time.Time, f fate) *instance {
	id := ss.nextID
	ss.nextID++
	rng := s.rngFor(ss.name, fmt.Sprint(id), "instance")
	in := &instance{
		id:      id,
		vmID:    uuidFrom(rng),
		zone:    zoneFor(ss, id),
		created: created,
		cycle: powerCycle{kind: cycleCreate, from: created,
			bootFor: 60*time.Second + time.Duration(rng.Int64N(int64(90*time.Second)))},
		graceFor: 30*time.Second + time.Duration(rng.Int64N(int64(90*time.Second))),
		sick:     f.sick,
		applied:  ss.latestModel(),
	}
	if f.behind {
		in.applied = previousModel(ss)
	}
	if in.applied.customScript() != nil {
		in.script = newScriptRun(rng, in.runningSince(), in.applied.label, f.scriptFails)
	}
	ss.instances = append(ss.instances, in)
	return in
}

// previousModel is the generation before the latest, which instances of the initial
// fleet that were not upgraded still run: the same extensions with the previous label.
func previousModel(ss *scaleSet) *vmModel {
	latest := ss.latestModel()
	return &vmModel{gen: latest.gen - 1, label: previousLabel, extensions: latest.extensions}
}

// zoneFor spreads instances over the scale set's zones round-robin.
func zoneFor(ss *scaleSet, id int) string {
	if len(ss.zones) == 0 {
		return ""
	}
	return ss.zones[id%len(ss.zones)]
}

// rngFor returns a random source that depends only on the seed and the parts, so an
// instance's randomness does not depend on the order in which requests arrive.
func (s *Sim) rngFor(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(uint64(s.seed), h.Sum64()))
}

// uuidFrom draws a version-4-shaped UUID from rng.
func uuidFrom(rng *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff,
		rng.Uint32()&0xfff, 0x8000|rng.Uint32()&0x3fff, rng.Uint64()&0xffffffffffff)
}

// Validate reports options that New would quietly ignore or clamp: an unknown scale-set
// name, a negative count, a speed that is not a finite number.
func (o Options) Validate() error {
	var problems []error
	if math.IsNaN(o.Speed) || math.IsInf(o.Speed, 0) {
		problems = append(problems, fmt.Errorf("sim: speed %v is not a finite number; "+
			"use a positive factor such as 60", o.Speed))
	}
	problems = append(problems, o.rateProblems()...)
	if o.ExtraScaleSets < 0 {
		problems = append(problems, fmt.Errorf("sim: ExtraScaleSets is %d; use 0 or more",
			o.ExtraScaleSets))
	}
	known := o.scaleSetNames()
	names := make([]string, 0, len(o.InstancesPerScaleSet))
	for name := range o.InstancesPerScaleSet {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n := o.InstancesPerScaleSet[name]
		if !known[name] {
			problems = append(problems, fmt.Errorf("sim: InstancesPerScaleSet names %q, "+
				"which is not a simulated scale set; use one of %s", name, sortedNames(known)))
		}
		if n < 0 {
			problems = append(problems, fmt.Errorf("sim: InstancesPerScaleSet[%q] is %d; "+
				"use 0 or more", name, n))
		}
	}
	return errors.Join(problems...)
}

// rateProblems reports rates that are not finite numbers, or negative where that means
// nothing.
func (o Options) rateProblems() []error {
	var problems []error
	if o.EvictionsPerHour < 0 || math.IsNaN(o.EvictionsPerHour) ||
		math.IsInf(o.EvictionsPerHour, 0) {
		problems = append(problems, fmt.Errorf("sim: EvictionsPerHour is %v; use 0 (no "+
			"random evictions) or a positive rate such as 6", o.EvictionsPerHour))
	}
	for _, rate := range []struct {
		name  string
		value float64
	}{{"QueueArrivalsPerMinute", o.QueueArrivalsPerMinute},
		{"QueueDrainPerInstance", o.QueueDrainPerInstance}} {
		if math.IsNaN(rate.value) || math.IsInf(rate.value, 0) {
			problems = append(problems, fmt.Errorf("sim: %s is %v; use a positive rate, or 0 "+
				"for the default", rate.name, rate.value))
		}
	}
	return problems
}

// scaleSetNames returns the names of the scale sets these options create.
func (o Options) scaleSetNames() map[string]bool {
	names := map[string]bool{}
	for _, p := range defaultPlans() {
		names[p.model.name] = true
	}
	for n := 1; n <= o.ExtraScaleSets; n++ {
		names[extraScaleSet(n).name] = true
	}
	return names
}

func sortedNames(names map[string]bool) string {
	list := make([]string, 0, len(names))
	for name := range names {
		list = append(list, name)
	}
	sort.Strings(list)
	return strings.Join(list, ", ")
}
