package sim

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"spotdeck/azure"
)

// Spot evictions. An eviction gives the instance the Preempt notice (30 s, the minimum
// Scheduled Events gives), then stops it: with policy Deallocate the instance stays,
// deallocated; with Delete it disappears and the capacity drops, and when Spot restore is
// on a new instance is added a while later, as an autoscale rule would. Evictions come
// from SimulateEviction or, at Options.EvictionsPerHour, from the platform; each one is
// logged in the Activity Log when it is decided.
const (
	evictionNotice = 30 * time.Second
	evictionStop   = 30 * time.Second
	// refillDelay is how long after an instance is deleted by eviction a new one is added.
	refillDelay = 3 * time.Minute
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
	if in.deleting != nil {
		return conflict("OperationNotAllowed", fmt.Sprintf("Virtual machine '%s' is "+
			"being deleted.", in.name(ss)))
	}
	s.evict(ss, in, now, true)
	return nil
}

// evict starts an eviction decided at the given time and logs it. The caller holds s.mu.
func (s *Sim) evict(ss *scaleSet, in *instance, at time.Time, simulated bool) {
	noticeEnds := at.Add(evictionNotice)
	in.eviction = &eviction{noticeEnds: noticeEnds, done: noticeEnds.Add(evictionStop)}
	s.logEviction(ss, in, at, simulated)
	if ss.eviction == armcompute.VirtualMachineEvictionPolicyTypesDelete {
		id := in.id
		s.schedule(in.eviction.done, func(at time.Time) { s.deleteEvicted(ss, id, at) })
	}
}

// deleteEvicted removes an instance whose eviction finished under policy Delete: the
// capacity drops with it, and a refill follows when Spot restore is on.
func (s *Sim) deleteEvicted(ss *scaleSet, id int, at time.Time) {
	if ss.findInstance(id) == nil {
		return
	}
	ss.removeInstance(id)
	ss.capacity = max(ss.capacity-1, 0)
	if ss.spotRestore {
		s.schedule(at.Add(refillDelay), func(at time.Time) { s.refill(ss, at) })
	}
}

// refill adds one instance, born at the refill time on the latest model, so the fleet at
// a given simulated time does not depend on when it was read.
func (s *Sim) refill(ss *scaleSet, at time.Time) {
	s.addInstance(ss, at, fate{})
	ss.capacity++
}

// scheduleRandomEvictions plans the platform's evictions of every Spot scale set: a
// Poisson process at the given rate per hour, drawn from the seed. The caller holds s.mu
// or owns s alone.
func (s *Sim) scheduleRandomEvictions(perHour float64, from time.Time) {
	if perHour <= 0 || math.IsNaN(perHour) || math.IsInf(perHour, 0) {
		return
	}
	for _, ss := range s.scaleSets {
		if ss.priority == armcompute.VirtualMachinePriorityTypesSpot {
			s.scheduleRandomEviction(ss, perHour, from, 1)
		}
	}
}

// scheduleRandomEviction plans the n-th random eviction of a scale set after the given
// time; when it comes, it evicts one running instance, if any, and plans the next.
func (s *Sim) scheduleRandomEviction(ss *scaleSet, perHour float64, after time.Time, n int) {
	rng := s.rngFor(ss.name, "random eviction", strconv.Itoa(n))
	gap := time.Duration(rng.ExpFloat64() / perHour * float64(time.Hour))
	s.schedule(after.Add(gap), func(at time.Time) {
		candidates := evictable(ss, at)
		if len(candidates) > 0 {
			s.evict(ss, candidates[rng.IntN(len(candidates))], at, false)
		}
		s.scheduleRandomEviction(ss, perHour, at, n+1)
	})
}

// evictable returns the instances the platform may evict at a moment: those running and
// not already leaving.
func evictable(ss *scaleSet, at time.Time) []*instance {
	var out []*instance
	for _, in := range ss.instances {
		if in.eviction == nil && in.deleting == nil &&
			in.stateAt(ss, at).power == azure.PowerRunning {
			out = append(out, in)
		}
	}
	return out
}
