package sim

import (
	"time"

	"spotdeck/azure"
)

// The state of an instance at any moment is a function of its recorded times, so reading
// the fleet never needs a background goroutine: each request first advances the model to
// the current simulated time (finishing evictions, restoring capacity) and then reads
// every instance's state at that time.

// Provisioning states as a VM's properties report them.
const (
	provisioningCreating  = "Creating"
	provisioningSucceeded = "Succeeded"
	provisioningUpdating  = "Updating"
	provisioningDeleting  = "Deleting"
)

// instanceState is what the platform reports about one instance at one moment.
type instanceState struct {
	provisioning string    // one of the provisioning constants
	since        time.Time // when the provisioning state was entered
	power        string    // an azure.Power constant
	// health is an azure.Health constant, or "" when the instance reports no vmHealth.
	health string
	// agentReady tells whether the VM agent runs and so reports extension statuses.
	agentReady bool
	script     scriptState
}

// advance brings the model to simulated time now: evictions whose time has come finish
// and Spot restore brings capacity back. The caller holds s.mu.
func (s *Sim) advance(now time.Time) {
	for _, ss := range s.scaleSets {
		s.finishEvictions(ss, now)
		s.restoreEvicted(ss, now)
	}
}

// lockAndAdvance takes the model lock and advances the model to the current simulated
// time, which it returns. The caller must unlock s.mu.
func (s *Sim) lockAndAdvance() time.Time {
	s.mu.Lock()
	now := s.clock.now()
	s.advance(now)
	return now
}

// runningSince returns when the instance finished booting.
func (in *instance) runningSince() time.Time {
	return in.created.Add(in.bootFor)
}

// stateAt derives the instance's state at a moment.
func (in *instance) stateAt(ss *scaleSet, now time.Time) instanceState {
	if st, evicting := in.evictionStateAt(ss, now); evicting {
		return st
	}
	running := in.runningSince()
	if now.Before(running) {
		return instanceState{
			provisioning: provisioningCreating,
			since:        in.created,
			power:        azure.PowerStarting,
			health:       in.bootHealth(ss),
		}
	}
	st := instanceState{
		provisioning: provisioningSucceeded,
		since:        running,
		power:        azure.PowerRunning,
		agentReady:   true,
		script:       in.script.stateAt(ss.os, now),
		health:       in.runningHealth(ss, now),
	}
	if now.Before(in.updatingUntil) {
		st.provisioning = provisioningUpdating
	}
	return st
}

// bootHealth is what a booting instance reports: rich health mode starts initializing.
func (in *instance) bootHealth(ss *scaleSet) string {
	if !ss.hasHealthExtension() {
		return ""
	}
	return azure.HealthInitializing
}

// runningHealth is what a running instance's Application Health extension reports. It
// stays initializing through the grace period and while the first script run installs
// the application; after that a failed script or a sick application reports unhealthy.
func (in *instance) runningHealth(ss *scaleSet, now time.Time) string {
	if !ss.hasHealthExtension() {
		return ""
	}
	installing := in.script.first && !in.script.done(now)
	if now.Before(in.runningSince().Add(in.graceFor)) || installing {
		return azure.HealthInitializing
	}
	if in.sick || in.lastScriptFailed(now) {
		return azure.HealthUnhealthy
	}
	return azure.HealthHealthy
}

// lastScriptFailed tells whether the latest finished script run failed.
func (in *instance) lastScriptFailed(now time.Time) bool {
	if in.script.done(now) {
		return in.script.fails
	}
	return in.prevScriptFailed
}
