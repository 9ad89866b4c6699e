package sim

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Model changes. A scale set's model carries a generation and the Custom Script
// Extension's forceUpdateTag (the label); each instance records the generation it last
// applied. Changing the model (changeModel) makes a new generation, after which every
// instance reports latestModelApplied false until it applies it:
//   - Manual mode: when an operator upgrades it (UpdateInstances): it reports Updating
//     for upgradeFor, then applies the model, and reruns its script if the Custom Script
//     Extension changed.
//   - Automatic mode: each instance starts that upgrade by itself, within a few minutes.
//   - Rolling mode: a rolling upgrade walks the instances in batches (rolling.go).
// New instances (refills, scale-out) come up on the latest model.

// upgradeFor is how long an instance reports provisioning state "Updating" before an
// upgrade applies the model.
const upgradeFor = 30 * time.Second

// Automatic mode spreads its upgrades over this window after a model change.
const (
	automaticStartMin    = 30 * time.Second
	automaticStartSpread = 4 * time.Minute
)

// upgradeInstances starts the upgrade of the named instances and returns when the last
// applies. It checks every ID before changing anything, so a bad ID leaves the fleet
// untouched. The caller holds s.mu.
func (s *Sim) upgradeInstances(ss *scaleSet, ids []*string, now time.Time) (time.Time, error) {
	chosen, err := pickInstances(ss, ids)
	if err != nil {
		return now, err
	}
	ends := now
	for _, in := range chosen {
		if done := s.startUpgrade(ss, in, now); done.After(ends) {
			ends = done
		}
	}
	return ends, nil
}

// pickInstances resolves instance IDs of one scale set.
func pickInstances(ss *scaleSet, ids []*string) ([]*instance, error) {
	var chosen []*instance
	for _, id := range ids {
		if id == nil {
			continue
		}
		n, err := strconv.Atoi(*id)
		in := ss.findInstance(n)
		if err != nil || in == nil {
			return nil, badRequest("InvalidParameter", fmt.Sprintf("Instance ID '%s' is not "+
				"an instance of virtual machine scale set '%s'.", *id, ss.name))
		}
		chosen = append(chosen, in)
	}
	if len(chosen) == 0 {
		return nil, badRequest("InvalidParameter", "The request names no instance: "+
			"vmInstanceIDs.instanceIds must list at least one instance ID.")
	}
	return chosen, nil
}

// startUpgrade starts bringing one instance to the latest model and returns when it
// applies. An instance on the latest model, or leaving, is left alone; a deallocated one
// takes the model at once and runs its script when it next starts.
func (s *Sim) startUpgrade(ss *scaleSet, in *instance, now time.Time) time.Time {
	if in.applied.gen == ss.modelGen || in.deleting != nil {
		return now
	}
	if in.eviction != nil {
		s.applyModel(ss, in, now)
		return now
	}
	applies := now.Add(upgradeFor)
	in.updatingUntil = applies
	id := in.id
	s.schedule(applies, func(at time.Time) {
		if in := ss.findInstance(id); in != nil && in.deleting == nil {
			s.applyModel(ss, in, at)
		}
	})
	return applies
}

// applyModel makes an instance apply the latest model at the given time. When the Custom
// Script Extension changed, a running instance reruns the script now, a booting one runs
// the new script once booted, and one that is not running owes a run for its next start.
func (s *Sim) applyModel(ss *scaleSet, in *instance, at time.Time) {
	latest := ss.latestModel()
	changed := scriptChanged(in.applied, latest)
	in.applied = latest
	if !changed || latest.customScript() == nil {
		return
	}
	switch {
	case in.eviction != nil:
		in.scriptPending = true
	case at.Before(in.runningSince()):
		in.script = s.scriptRunFor(ss, in, in.runningSince())
	default:
		in.script = s.scriptRunFor(ss, in, at)
	}
}

// scriptRunFor returns the run of the instance's applied script starting at the given
// time. A new run reinstalls the application, which cures a sick one.
func (s *Sim) scriptRunFor(ss *scaleSet, in *instance, start time.Time) scriptRun {
	in.sick, in.scriptPending = false, false
	return newScriptRun(s.runRNG(ss, in, start), start, in.applied.label, false)
}

// runRNG is the random source of one script run, fixed by the instance and its start.
func (s *Sim) runRNG(ss *scaleSet, in *instance, start time.Time) *rand.Rand {
	return s.rngFor(ss.name, strconv.Itoa(in.id), "run", strconv.FormatInt(start.UnixNano(), 10))
}

// scriptChanged tells whether the Custom Script Extension differs between two models: its
// presence, its forceUpdateTag or its settings. Only such a change reruns the script.
func scriptChanged(from, to *vmModel) bool {
	a, b := from.customScript(), to.customScript()
	if a == nil || b == nil {
		return a != b
	}
	return from.label != to.label || !reflect.DeepEqual(a.settings, b.settings)
}

// changeModel makes a new model generation from the scale set's fields, which the caller
// has just changed, and lets the upgrade mode carry it to the instances. The caller holds
// s.mu.
func (s *Sim) changeModel(ss *scaleSet, now time.Time) {
	ss.modelGen++
	switch ss.upgradeMode {
	case armcompute.UpgradeModeAutomatic:
		s.scheduleAutomaticUpgrades(ss, now)
	}
}

// scheduleAutomaticUpgrades has every instance start its own upgrade a little after a
// model change, at a time drawn from the seed.
func (s *Sim) scheduleAutomaticUpgrades(ss *scaleSet, now time.Time) {
	gen := ss.modelGen
	for _, in := range ss.instances {
		rng := s.rngFor(ss.name, strconv.Itoa(in.id), "automatic", strconv.Itoa(gen))
		delay := automaticStartMin + time.Duration(rng.Int64N(int64(automaticStartSpread)))
		id := in.id
		s.schedule(now.Add(delay), func(at time.Time) {
			if in := ss.findInstance(id); in != nil && ss.modelGen == gen {
				s.startUpgrade(ss, in, at)
			}
		})
	}
}
