package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"spotdeck/azure"
)

// Spot evictions. An eviction gives the instance the Preempt notice (30 s, the minimum
// Scheduled Events gives), then stops it: with policy Deallocate the instance stays,
// deallocated; with Delete it disappears and the capacity drops, and when Spot restore is
// on a new instance comes back a while later. Random evictions over time would be
// scheduled here too.
const (
	evictionNotice = 30 * time.Second
	evictionStop   = 30 * time.Second
	// spotRestoreDelay is how long Spot restore waits before bringing capacity back.
	spotRestoreDelay = 3 * time.Minute
)

// eviction is a pending or finished eviction of one instance.
type eviction struct {
	noticeEnds time.Time // the instance starts to stop
	done       time.Time // deallocated, or deleted
}

// evictionStateAt returns the state of an instance being evicted, and false when no
// eviction has started to take effect.
func (in *instance) evictionStateAt(ss *scaleSet, now time.Time) (instanceState, bool) {
	e := in.eviction
	if e == nil || now.Before(e.noticeEnds) {
		return instanceState{}, false
	}
	switch {
	case now.Before(e.done) && ss.eviction == armcompute.VirtualMachineEvictionPolicyTypesDelete:
		return instanceState{provisioning: provisioningDeleting, since: e.noticeEnds,
			power: azure.PowerStopping}, true
	case now.Before(e.done):
		return instanceState{provisioning: provisioningUpdating, since: e.noticeEnds,
			power: azure.PowerDeallocating}, true
	}
	// A deallocated VM runs no agent, so it reports neither extensions nor health.
	return instanceState{provisioning: provisioningSucceeded, since: e.done,
		power: azure.PowerDeallocated}, true
}

// simulateEviction starts the eviction of one instance, as the SimulateEviction operation
// does. The caller holds s.mu.
func (s *Sim) simulateEviction(ss *scaleSet, in *instance, now time.Time) error {
	if ss.priority != armcompute.VirtualMachinePriorityTypesSpot {
		return conflict("OperationNotAllowed", fmt.Sprintf("Simulate eviction is only "+
			"supported for Spot virtual machines; scale set '%s' has priority '%s'.",
			ss.name, ss.priority))
	}
	if in.eviction != nil {
		return conflict("OperationNotAllowed", fmt.Sprintf("Virtual machine '%s' is "+
			"already being evicted or was evicted.", in.name(ss)))
	}
	noticeEnds := now.Add(evictionNotice)
	in.eviction = &eviction{noticeEnds: noticeEnds, done: noticeEnds.Add(evictionStop)}
	return nil
}

// finishEvictions deletes the instances of a Delete-policy scale set whose eviction has
// finished, and schedules their Spot restore.
func (s *Sim) finishEvictions(ss *scaleSet, now time.Time) {
	if ss.eviction != armcompute.VirtualMachineEvictionPolicyTypesDelete {
		return
	}
	var gone []*instance
	for _, in := range ss.instances {
		if in.eviction != nil && !now.Before(in.eviction.done) {
			gone = append(gone, in)
		}
	}
	for _, in := range gone {
		ss.removeInstance(in.id)
		if ss.spotRestore {
			ss.restores = append(ss.restores, in.eviction.done.Add(spotRestoreDelay))
		}
	}
	sort.Slice(ss.restores, func(i, j int) bool { return ss.restores[i].Before(ss.restores[j]) })
}

// restoreEvicted creates the instances Spot restore brings back by now. Each is born at
// its restore time, not at the request that noticed it, so the fleet at a given simulated
// time does not depend on when it was read.
func (s *Sim) restoreEvicted(ss *scaleSet, now time.Time) {
	for len(ss.restores) > 0 && !now.Before(ss.restores[0]) {
		at := ss.restores[0]
		ss.restores = ss.restores[1:]
		s.addInstance(ss, at, fate{})
	}
}
