package sim

import (
	"fmt"
	"strconv"
	"time"
)

// Model changes. A scale set's model carries a generation and the Custom Script
// Extension's forceUpdateTag (the label); an instance records the ones it last applied.
// A manual upgrade (UpdateInstances) brings chosen instances to the latest model and,
// when the label changed, reruns the script. Changing the model itself (scale-set Update,
// extension Update) belongs here too: it bumps modelGen and sets the label, after which
// every instance reports latestModelApplied false until upgraded.

// upgradeFor is how long an instance reports provisioning state "Updating" after a
// manual upgrade starts.
const upgradeFor = 30 * time.Second

// upgradeInstances applies the latest model to the named instances. It checks every ID
// before changing anything, so a bad ID leaves the fleet untouched. The caller holds s.mu.
func (s *Sim) upgradeInstances(ss *scaleSet, ids []*string, now time.Time) error {
	chosen, err := pickInstances(ss, ids)
	if err != nil {
		return err
	}
	for _, in := range chosen {
		s.upgradeInstance(ss, in, now)
	}
	return nil
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

// upgradeInstance brings one instance to the latest model. A deallocated or booting
// instance takes the model without a rerun: its script runs when it next starts.
func (s *Sim) upgradeInstance(ss *scaleSet, in *instance, now time.Time) {
	if in.modelGen == ss.modelGen {
		return
	}
	labelChanged := in.label != ss.label
	in.label, in.modelGen = ss.label, ss.modelGen
	if in.eviction != nil || now.Before(in.runningSince()) {
		return
	}
	in.updatingUntil = now.Add(upgradeFor)
	if !labelChanged || ss.customScript() == nil {
		return
	}
	in.prevScriptFailed = in.lastScriptFailed(now)
	installing := in.script.first && !in.script.done(now)
	rng := s.rngFor(ss.name, strconv.Itoa(in.id), "run", strconv.Itoa(in.modelGen))
	in.script = rerun(rng, now)
	in.script.first = installing
}
