package sim

import (
	"math/rand/v2"
	"strings"
	"time"
)

// Custom Script Extension runs: when one starts, how long it takes and how it ends.
// A run starts when an instance first powers on, after a reimage, and whenever an upgrade
// brings it a model whose Custom Script Extension changed (its settings or its
// forceUpdateTag). How a run ends follows the label, the forceUpdateTag, so rollouts of a
// bad bundle can be simulated: a label containing labelFailsInstall fails the script; one
// containing labelNeverHealthy installs a host that never reports healthy.
const (
	labelFailsInstall = "fail-install"
	labelNeverHealthy = "never-healthy"
)

// Extension states as the instance view reports them after "ProvisioningState/".
const (
	scriptTransitioning = "transitioning"
	scriptSucceeded     = "succeeded"
	scriptFailed        = "failed"
)

// scriptRun is one run of the Custom Script Extension on one instance. The zero value
// means no run.
type scriptRun struct {
	start    time.Time
	duration time.Duration
	fails    bool
	// neverHealthy marks an install that succeeds but whose host never answers probes.
	neverHealthy bool
}

// scriptState is what the instance view says about the Custom Script Extension.
type scriptState struct {
	state   string // "" when the extension has not reported
	message string
	since   time.Time
}

// newScriptRun returns a run of the script of the given label starting at the given time.
// failsAnyway makes it fail whatever the label says, for the scripted fleet.
func newScriptRun(rng *rand.Rand, start time.Time, label string, failsAnyway bool) scriptRun {
	lower := strings.ToLower(label)
	return scriptRun{
		start:        start,
		duration:     20*time.Second + time.Duration(rng.Int64N(int64(70*time.Second))),
		fails:        failsAnyway || strings.Contains(lower, labelFailsInstall),
		neverHealthy: strings.Contains(lower, labelNeverHealthy),
	}
}

// running tells whether the run has started and not finished by now.
func (r scriptRun) running(now time.Time) bool {
	return r.exists() && !now.Before(r.start) && now.Before(r.end())
}

// end returns when the run finishes.
func (r scriptRun) end() time.Time {
	return r.start.Add(r.duration)
}

// exists tells whether there is a run at all.
func (r scriptRun) exists() bool {
	return !r.start.IsZero()
}

// done tells whether the run has finished by now.
func (r scriptRun) done(now time.Time) bool {
	return r.exists() && !now.Before(r.end())
}

// stateAt returns the run's state at a moment, with the message the handler writes.
func (r scriptRun) stateAt(os osKind, now time.Time) scriptState {
	switch {
	case !r.exists() || now.Before(r.start):
		return scriptState{}
	case now.Before(r.end()):
		return scriptState{state: scriptTransitioning, since: r.start}
	case r.fails:
		return scriptState{state: scriptFailed, message: failureMessage(os), since: r.end()}
	}
	return scriptState{state: scriptSucceeded, message: successMessage(os), since: r.end()}
}

// successMessage and failureMessage follow the shapes the Windows and Linux handlers
// write: the Linux one carries the script's stdout and stderr on further lines.
func successMessage(os osKind) string {
	if os == windows {
		return "Command execution finished"
	}
	return "Enable succeeded: \n[stdout]\nFunctions host installed\n\n[stderr]\n"
}

func failureMessage(os osKind) string {
	if os == windows {
		return "Command execution finished, but failed because it returned a non-zero exit " +
			"code of: '1'. The command had an error output of: 'install.ps1 : the Functions " +
			"host did not answer on port 80 within 120 s'"
	}
	return "Enable failed: failed to execute command: command terminated with exit " +
		"status=1\n[stdout]\n\n[stderr]\ninstall.sh: the Functions host did not answer on " +
		"port 80 within 120 s\n"
}
