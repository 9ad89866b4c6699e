package sim

import (
	"time"

	"spotdeck/azure"
)

// The state of an instance at any moment is a function of its recorded times, so reading
// the fleet never needs a background goroutine: each request first advances the model to
// the current simulated time (agenda.go: evictions take effect, capacity is refilled) and
// then reads every instance's state at that time.

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

// runningSince returns when the instance finished, or will finish, its latest boot.
func (in *instance) runningSince() time.Time {
	return in.cycle.running()
}

// stateAt derives the instance's state at a moment.
func (in *instance) stateAt(ss *scaleSet, now time.Time) instanceState {
	if d := in.deleting; d != nil {
		// Deleting: the VM stops and its agent and health are gone with it.
		return instanceState{provisioning: provisioningDeleting, since: d.from,
			power: azure.PowerStopping}
	}
	if st, evicting := in.evictionStateAt(ss, now); evicting {
		return st
	}
	if now.Before(in.runningSince()) {
		return in.cyclingState(now)
	}
	st := instanceState{
		provisioning: provisioningSucceeded,
		since:        in.runningSince(),
		power:        azure.PowerRunning,
		agentReady:   true,
		script:       in.script.stateAt(ss.os, now),
		health:       in.runningHealth(now),
	}
	if now.Before(in.updatingUntil) {
		st.provisioning = provisioningUpdating
	}
	return st
}

// cyclingState is the state of an instance that is stopping or booting: created ones
// report Creating, the others Updating, until they run. Rich health mode reports
// initializing meanwhile; the agent does not answer.
func (in *instance) cyclingState(now time.Time) instanceState {
	c := in.cycle
	st := instanceState{provisioning: provisioningUpdating, since: c.from,
		power: azure.PowerStarting}
	if c.kind == cycleCreate {
		st.provisioning = provisioningCreating
	}
	if now.Before(c.from.Add(c.stopFor)) {
		st.power = azure.PowerStopping
	}
	if in.applied.hasHealthExtension() {
		st.health = azure.HealthInitializing
	}
	return st
}

// runningHealth is what a running instance's Application Health extension reports. It
// stays initializing through the grace period after each boot and while a script run
// installs the application; after that a failed install, a host that never becomes
// healthy or a sick application reports unhealthy.
func (in *instance) runningHealth(now time.Time) string {
	if !in.applied.hasHealthExtension() {
		return ""
	}
	if now.Before(in.runningSince().Add(in.graceFor)) || in.script.running(now) {
		return azure.HealthInitializing
	}
	if in.sick || (in.script.done(now) && (in.script.fails || in.script.neverHealthy)) {
		return azure.HealthUnhealthy
	}
	return azure.HealthHealthy
}
