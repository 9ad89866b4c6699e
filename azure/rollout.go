package azure

import (
	"errors"
	"fmt"
	"time"
)

// Rollout states. A rollout walks planned → model-updated → (upgrading → checking →
// pausing)… → verifying → done, or stops in halted, paused, aborted or rolled-back. The
// names are stored in records and shown to operators, so they must stay stable.
const (
	RolloutPlanned      = "planned"
	RolloutModelUpdated = "model-updated"
	RolloutUpgrading    = "upgrading"
	RolloutChecking     = "checking"
	RolloutPausing      = "pausing"
	RolloutRolling      = "rolling"
	RolloutConverging   = "converging"
	RolloutVerifying    = "verifying"
	RolloutDone         = "done"
	RolloutHalted       = "halted"
	RolloutPaused       = "paused"
	RolloutAborted      = "aborted"
	RolloutRollingBack  = "rolling-back"
	RolloutRollbackWait = "rollback-checking"
	RolloutRolledBack   = "rolled-back"
)

// States of one instance inside a batch.
const (
	InstancePending   = "pending"
	InstanceUpgrading = "upgrading"
	InstanceHealthy   = "healthy"
	InstanceFailed    = "failed"
	InstanceUnhealthy = "unhealthy"
	// InstanceEvicted marks an instance that was evicted or removed during its batch: it
	// counts neither as failed nor as unhealthy.
	InstanceEvicted = "evicted"
)

// Errors of the rollout engine; callers test for them with errors.Is.
var (
	// ErrRolloutRefused marks a plan that must not start; the error names the fix.
	ErrRolloutRefused = errors.New("azure: rollout refused")
	// ErrRolloutState marks an operation that the rollout's state does not allow.
	ErrRolloutState = errors.New("azure: rollout cannot do that now")
	// ErrRolloutLocked marks a scale set whose rollout lock another operator holds.
	ErrRolloutLocked = errors.New("azure: another rollout holds the lock")
	// ErrRolloutAsked marks an operation handed to the process that drives the rollout.
	ErrRolloutAsked = errors.New("azure: rollout operation asked of its driver")
	// ErrNoRollout marks a scale set without a rollout record.
	ErrNoRollout = errors.New("azure: no rollout recorded")
)

// ScriptSettings are the public settings of a Custom Script Extension that a rollout
// changes. Other public settings of the extension are kept in Other and sent back as they
// were.
type ScriptSettings struct {
	FileURIs         []string       `json:"fileUris"`
	CommandToExecute string         `json:"commandToExecute"`
	Other            map[string]any `json:"other,omitempty"`
}

// ScriptExtension is the Custom Script Extension of a scale set's model.
type ScriptExtension struct {
	// Name is the extension's name in the model, the one its update is sent to.
	Name     string         `json:"name"`
	Settings ScriptSettings `json:"settings"`
	// Tag is the forceUpdateTag: spotdeck's deployment label.
	Tag string `json:"tag"`
	// HasProtectedSettings tells that the model holds protected settings. Azure never
	// returns their values; they are neither shown nor sent.
	HasProtectedSettings bool `json:"hasProtectedSettings,omitempty"`
}

// ScriptModel is what a rollout reads of a scale set's model.
type ScriptModel struct {
	ScaleSet ScaleSet
	// Script is nil when the model has no Custom Script Extension.
	Script *ScriptExtension
}

// RolloutBatch is one group of instances upgraded together.
type RolloutBatch struct {
	// Index counts from 1.
	Index     int               `json:"index"`
	Instances []RolloutInstance `json:"instances"`
	Started   time.Time         `json:"started"`
	// SentAt is when the upgrade request returned; nil until then, so a resumed rollout
	// knows whether the request may have to be sent again.
	SentAt *time.Time `json:"sentAt,omitempty"`
	// Deadline is when instances that are not healthy yet count as failed.
	Deadline time.Time  `json:"deadline"`
	Finished *time.Time `json:"finished,omitempty"`
}

// RolloutInstance is one instance's progress in a batch.
type RolloutInstance struct {
	ID      string    `json:"id"`
	State   string    `json:"state"`
	Since   time.Time `json:"since"`
	Message string    `json:"message,omitempty"`
}

// RolloutCount counts instances by their state in a rollout.
type RolloutCount struct {
	Total     int `json:"total"`
	Updated   int `json:"updated"`
	Healthy   int `json:"healthy"`
	Unhealthy int `json:"unhealthy"`
	Evicted   int `json:"evicted"`
	Pending   int `json:"pending"`
}

// Rollout is the record of one rollout: everything needed to show it, resume it from
// another process or machine, or roll it back. It is saved after every step.
type Rollout struct {
	ID            string `json:"id"`
	ScaleSet      string `json:"scaleSet"`
	ResourceGroup string `json:"resourceGroup"`
	Label         string `json:"label"`
	Container     string `json:"container"`
	// UpgradeMode is the scale set's upgrade mode when planned: manual, rolling or
	// automatic.
	UpgradeMode string `json:"upgradeMode"`
	// HasHealth tells whether the scale set has a health extension; without one the gate
	// falls back to the script's status.
	HasHealth bool `json:"hasHealth"`

	// Next is the extension as the rollout sets it; Previous as it was before.
	Next     ScriptExtension `json:"next"`
	Previous ScriptExtension `json:"previous"`
	// RollbackTag is the forceUpdateTag a rollback sets; "" until a rollback starts.
	RollbackTag string `json:"rollbackTag,omitempty"`

	Limits RolloutLimits `json:"limits"`

	State string `json:"state"`
	// Reason says why the rollout halted, or what it waits for.
	Reason string `json:"reason,omitempty"`
	// PausedFrom is the state a pause or halt interrupted, which resume returns to.
	PausedFrom string     `json:"pausedFrom,omitempty"`
	PauseUntil *time.Time `json:"pauseUntil,omitempty"`
	// WaitUntil is when verifying, or a rollback's check, stops waiting for instances.
	WaitUntil *time.Time `json:"waitUntil,omitempty"`
	// ModelRestored tells that a rollback has sent the previous settings back.
	ModelRestored bool           `json:"modelRestored,omitempty"`
	Batches       []RolloutBatch `json:"batches"`
	// Touched lists the instances sent the new model, for a rollback.
	Touched []string `json:"touched,omitempty"`
	// Accepted lists failed instances an operator resumed past: the gate no longer
	// counts them.
	Accepted []string `json:"accepted,omitempty"`
	// Rolling is the latest progress of a rolling upgrade, in rolling mode.
	Rolling *RollingProgress `json:"rolling,omitempty"`
	Counts  RolloutCount     `json:"counts"`

	StartedBy string    `json:"startedBy"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	// LeaseID is the rollout's lock on its scale set; a resuming process takes the lock
	// again with it, so a crash does not lock the operator out for the lease's lifetime.
	LeaseID string `json:"leaseId"`
	// Log holds one line per step, newest last.
	Log []RolloutLogLine `json:"log"`
}

// RolloutLimits are the operator's choices for a rollout.
type RolloutLimits struct {
	// BatchSize is the number of instances per batch; BatchPercent, when above zero, wins
	// and is a share of the instances when the batch starts.
	BatchSize     int           `json:"batchSize"`
	BatchPercent  int           `json:"batchPercent"`
	MaxUnhealthy  int           `json:"maxUnhealthyPercent"`
	Pause         time.Duration `json:"pause"`
	HealthTimeout time.Duration `json:"healthTimeout"`
}

// BatchText says how large the batches are, e.g. "20%" or "3 instances".
func (l RolloutLimits) BatchText() string {
	if l.BatchPercent > 0 {
		return fmt.Sprintf("%d%%", l.BatchPercent)
	}
	return fmt.Sprintf("%d instances", l.BatchSize)
}

// RollingProgress is the latest rolling upgrade as Azure reports it.
type RollingProgress struct {
	Status     string `json:"status"` // rollingforward, completed, cancelled, faulted
	Successful int    `json:"successful"`
	Failed     int    `json:"failed"`
	InProgress int    `json:"inProgress"`
	Pending    int    `json:"pending"`
	Error      string `json:"error,omitempty"`
}

// RolloutLogLine is one step of a rollout as it is shown to operators.
type RolloutLogLine struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// RolloutSummary is what the status output shows of a running rollout.
type RolloutSummary struct {
	State  string       `json:"state"`
	Label  string       `json:"label"`
	Batch  int          `json:"batch"`
	Counts RolloutCount `json:"counts"`
	Reason string       `json:"reason,omitempty"`
}

// Summary returns the rollout as status output shows it; Batch counts from 1, 0 before
// the first batch.
func (r Rollout) Summary() RolloutSummary {
	return RolloutSummary{State: r.State, Label: r.Label, Batch: len(r.Batches),
		Counts: r.Counts, Reason: r.Reason}
}

// ModeNote says what the scale set's upgrade mode changes about the operator's limits;
// "" in manual mode, where spotdeck makes the batches itself.
func (r Rollout) ModeNote() string {
	switch r.UpgradeMode {
	case "rolling":
		return "rolling mode: Azure makes the batches by the scale set's rolling upgrade " +
			"policy; the batch size and pause are not used"
	case "automatic":
		return "automatic mode: every instance takes the new model by itself; spotdeck " +
			"watches them converge, the batch size and pause are not used"
	}
	return ""
}

// CountedLabel is the label Counts are counted against: the rollout's, or while it rolls
// back, the previous one's.
func (r Rollout) CountedLabel() string {
	if r.ModelRestored && r.RollbackTag != "" {
		return r.RollbackTag
	}
	return r.Label
}

// Finished tells whether the rollout has reached a state it never leaves.
func (r Rollout) Finished() bool {
	switch r.State {
	case RolloutDone, RolloutAborted, RolloutRolledBack:
		return true
	}
	return false
}

// Stopped tells whether the rollout waits for an operator: finished, halted or paused.
func (r Rollout) Stopped() bool {
	return r.Finished() || r.State == RolloutHalted || r.State == RolloutPaused
}

// currentBatch returns the last batch, nil before the first.
func (r *Rollout) currentBatch() *RolloutBatch {
	if len(r.Batches) == 0 {
		return nil
	}
	return &r.Batches[len(r.Batches)-1]
}

// maxLogLines bounds the record's log, so a long rollout's record stays small.
const maxLogLines = 200

// note appends a line to the rollout's log.
func (r *Rollout) note(at time.Time, text string) {
	r.Log = append(r.Log, RolloutLogLine{At: at, Text: text})
	if len(r.Log) > maxLogLines {
		r.Log = r.Log[len(r.Log)-maxLogLines:]
	}
}
