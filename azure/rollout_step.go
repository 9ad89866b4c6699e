package azure

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RolloutTarget is what the rollout engine needs of Azure. *Client implements it; tests
// hand in an in-memory scale set.
type RolloutTarget interface {
	// ReadScriptModel reads the scale set's model and its Custom Script Extension.
	ReadScriptModel(ctx context.Context, resourceGroup, scaleSet string) (ScriptModel, error)
	// ListInstances reads the instances with their instance views.
	ListInstances(ctx context.Context, resourceGroup, scaleSet string) ([]Instance, error)
	// ApplyScript sends only the extension's settings and forceUpdateTag, never the model.
	ApplyScript(ctx context.Context, resourceGroup, scaleSet string, ext ScriptExtension) error
	// UpgradeInstances brings the named instances to the latest model (manual upgrade).
	UpgradeInstances(ctx context.Context, resourceGroup, scaleSet string, ids []string) error
	// StartExtensionUpgrade starts a rolling upgrade of the extensions.
	StartExtensionUpgrade(ctx context.Context, resourceGroup, scaleSet string) error
	// LatestRollingUpgrade reads the progress of the latest rolling upgrade.
	LatestRollingUpgrade(ctx context.Context, resourceGroup, scaleSet string) (
		RollingProgress, error)
}

// RolloutSaver keeps rollout records. The engine saves after every step.
type RolloutSaver interface {
	Save(ctx context.Context, r Rollout) error
}

// RolloutEngine advances rollouts one step per call. It holds no rollout in memory: every
// step starts from the record and what the instances report, so any process may take over.
type RolloutEngine struct {
	Target RolloutTarget
	// Saver, when set, receives the record after every step.
	Saver RolloutSaver
	// Now gives the time; nil means time.Now.
	Now func() time.Time
}

func (e *RolloutEngine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Step makes one transition of the rollout and saves the record. A step that only waits
// (instances still installing, a pause between batches) returns the record unchanged but
// for its counts. A stopped rollout is returned as it is.
func (e *RolloutEngine) Step(ctx context.Context, r Rollout) (Rollout, error) {
	if r.Stopped() {
		return r, nil
	}
	next, err := e.advance(ctx, r)
	if err != nil {
		return r, fmt.Errorf("rollout of %s to scale set %s, state %s: %w", r.Label,
			r.ScaleSet, r.State, err)
	}
	next.Updated = e.now()
	if e.Saver != nil {
		if err := e.Saver.Save(ctx, next); err != nil {
			return next, err
		}
	}
	return next, nil
}

func (e *RolloutEngine) advance(ctx context.Context, r Rollout) (Rollout, error) {
	switch r.State {
	case RolloutPlanned:
		return e.applyModel(ctx, r, r.Next, RolloutModelUpdated)
	case RolloutModelUpdated:
		return e.afterModel(ctx, r)
	case RolloutUpgrading:
		return e.sendBatch(ctx, r)
	case RolloutChecking:
		return e.checkBatch(ctx, r)
	case RolloutPausing:
		return e.endPause(ctx, r)
	case RolloutRolling:
		return e.followRolling(ctx, r)
	case RolloutConverging, RolloutVerifying:
		return e.verify(ctx, r)
	case RolloutRollingBack:
		return e.startRollback(ctx, r)
	case RolloutRollbackWait:
		return e.checkRollback(ctx, r)
	}
	return r, fmt.Errorf("%w: unknown state %q", ErrRolloutState, r.State)
}

// applyModel sends the extension change unless the model already carries it: after a
// crash between the change and the record's save, nothing is sent twice.
func (e *RolloutEngine) applyModel(ctx context.Context, r Rollout, ext ScriptExtension,
	then string) (Rollout, error) {
	model, err := e.Target.ReadScriptModel(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return r, err
	}
	if model.Script != nil && sameScript(*model.Script, ext) {
		r.note(e.now(), "the model already carries "+ext.Tag+"; nothing sent")
	} else {
		if err := e.Target.ApplyScript(ctx, r.ResourceGroup, r.ScaleSet, ext); err != nil {
			return r, err
		}
		r.note(e.now(), "model updated: the script extension now carries "+ext.Tag)
	}
	r.State = then
	return r, nil
}

// sameScript compares what an extension update sends: settings and tag.
func sameScript(a, b ScriptExtension) bool {
	return a.Tag == b.Tag && a.Settings.CommandToExecute == b.Settings.CommandToExecute &&
		strings.Join(a.Settings.FileURIs, "\n") == strings.Join(b.Settings.FileURIs, "\n")
}

// afterModel chooses how instances reach the new model, by the scale set's upgrade mode.
func (e *RolloutEngine) afterModel(ctx context.Context, r Rollout) (Rollout, error) {
	switch r.UpgradeMode {
	case "rolling":
		if err := e.Target.StartExtensionUpgrade(ctx, r.ResourceGroup, r.ScaleSet); err != nil {
			return r, err
		}
		r.State = RolloutRolling
		r.note(e.now(), "rolling extension upgrade started")
		return r, nil
	case "automatic":
		r.State = RolloutConverging
		r.note(e.now(), "automatic upgrade mode: watching instances take the new model")
		return r, nil
	}
	return e.nextBatch(ctx, r)
}

// nextBatch picks the instances still behind the new model and starts a batch, or moves
// to verifying when none are left.
func (e *RolloutEngine) nextBatch(ctx context.Context, r Rollout) (Rollout, error) {
	instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return r, err
	}
	r.Counts = countFleet(r, instances)
	behind := instancesBehind(r, instances)
	if len(behind) == 0 {
		r.State = RolloutVerifying
		r.note(e.now(), "every instance has the new model; verifying health")
		return r, nil
	}
	size := batchSize(r.Limits, len(instances))
	if size < len(behind) {
		behind = behind[:size]
	}
	now := e.now()
	batch := RolloutBatch{Index: len(r.Batches) + 1, Started: now,
		Deadline: now.Add(r.Limits.HealthTimeout)}
	for _, id := range behind {
		batch.Instances = append(batch.Instances, RolloutInstance{ID: id,
			State: InstancePending, Since: now})
	}
	r.Batches = append(r.Batches, batch)
	r.State = RolloutUpgrading
	r.note(now, fmt.Sprintf("batch %d: instances %s", batch.Index, strings.Join(behind, ", ")))
	return r, nil
}

// batchSize turns the limits into a number of instances, at least one.
func batchSize(l RolloutLimits, total int) int {
	size := l.BatchSize
	if l.BatchPercent > 0 {
		size = (total*l.BatchPercent + 99) / 100
	}
	if size < 1 {
		size = 1
	}
	return size
}

// sendBatch asks for the manual upgrade of the batch's instances that are still behind.
// The record of the batch was saved before, so a crash here resends at most the
// instances that did not take the model yet.
func (e *RolloutEngine) sendBatch(ctx context.Context, r Rollout) (Rollout, error) {
	batch := r.currentBatch()
	instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return r, err
	}
	byID := instancesByID(instances)
	var send []string
	for _, bi := range batch.Instances {
		in, ok := byID[bi.ID]
		if ok && !onModel(in, r.Next.Tag) {
			send = append(send, bi.ID)
		}
	}
	if len(send) > 0 {
		if err := e.Target.UpgradeInstances(ctx, r.ResourceGroup, r.ScaleSet,
			send); err != nil {
			return r, err
		}
	}
	now := e.now()
	batch.SentAt = &now
	batch.Deadline = now.Add(r.Limits.HealthTimeout)
	for i := range batch.Instances {
		batch.Instances[i].State, batch.Instances[i].Since = InstanceUpgrading, now
	}
	r.Touched = appendNew(r.Touched, idsOf(batch.Instances)...)
	r.State = RolloutChecking
	r.note(now, sentLine(batch.Index, len(send), len(batch.Instances)))
	return r, nil
}

// checkBatch reads the instances and decides: wait, halt, pause, or go on.
func (e *RolloutEngine) checkBatch(ctx context.Context, r Rollout) (Rollout, error) {
	instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return r, err
	}
	now := e.now()
	batch := r.currentBatch()
	waiting := judgeBatch(r, batch, instancesByID(instances), now)
	r.Counts = countFleet(r, instances)
	if reason := gateReason(r, instances); reason != "" {
		return halt(r, now, reason), nil
	}
	if waiting > 0 && now.Before(batch.Deadline) {
		return r, nil
	}
	if waiting > 0 {
		return halt(r, now, fmt.Sprintf("batch %d: %d instances not healthy within %s",
			batch.Index, waiting, r.Limits.HealthTimeout)), nil
	}
	batch.Finished = &now
	r.note(now, fmt.Sprintf("batch %d passed", batch.Index))
	// No pause after the last batch: nothing is left to wait for.
	if r.Limits.Pause > 0 && len(instancesBehind(r, instances)) > 0 {
		until := now.Add(r.Limits.Pause)
		r.PauseUntil, r.State = &until, RolloutPausing
		return r, nil
	}
	return e.nextBatch(ctx, r)
}

// endPause starts the next batch once the pause between batches is over.
func (e *RolloutEngine) endPause(ctx context.Context, r Rollout) (Rollout, error) {
	if r.PauseUntil != nil && e.now().Before(*r.PauseUntil) {
		return r, nil
	}
	r.PauseUntil = nil
	return e.nextBatch(ctx, r)
}

// followRolling reads the rolling upgrade's progress.
func (e *RolloutEngine) followRolling(ctx context.Context, r Rollout) (Rollout, error) {
	progress, err := e.Target.LatestRollingUpgrade(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return r, err
	}
	r.Rolling = &progress
	if instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet); err == nil {
		r.Counts = countFleet(r, instances)
	}
	now := e.now()
	switch progress.Status {
	case "completed":
		r.State = RolloutVerifying
		r.note(now, "rolling upgrade completed; verifying health")
	case "faulted", "cancelled":
		reason := "the rolling upgrade ended " + progress.Status
		if progress.Error != "" {
			reason += ": " + progress.Error
		}
		return halt(r, now, reason), nil
	}
	return r, nil
}

// verify waits until every instance is on the new model and healthy. Instances that come
// up during the rollout take the new model by themselves; one still behind (created by a
// scale-out just before the model changed) gets a batch of its own in manual mode.
func (e *RolloutEngine) verify(ctx context.Context, r Rollout) (Rollout, error) {
	instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return r, err
	}
	now := e.now()
	r.Counts = countFleet(r, instances)
	if reason := gateReason(r, instances); reason != "" {
		return halt(r, now, reason), nil
	}
	if r.UpgradeMode == "manual" && len(instancesBehind(r, instances)) > 0 {
		return e.nextBatch(ctx, r)
	}
	if r.Counts.Healthy >= r.Counts.Total-r.Counts.Evicted {
		r.State, r.Reason, r.WaitUntil = RolloutDone, "", nil
		r.note(now, fmt.Sprintf("done: %d instances on %s and healthy", r.Counts.Healthy,
			r.Label))
		return r, nil
	}
	if r.WaitUntil == nil {
		until := now.Add(r.Limits.HealthTimeout)
		r.WaitUntil = &until
	}
	if now.Before(*r.WaitUntil) {
		return r, nil
	}
	r.WaitUntil = nil
	return halt(r, now, fmt.Sprintf("%d instances not on %s and healthy within %s",
		r.Counts.Total-r.Counts.Evicted-r.Counts.Healthy, r.Label, r.Limits.HealthTimeout)), nil
}

// halt stops the rollout for an operator and says why.
func halt(r Rollout, now time.Time, reason string) Rollout {
	r.PausedFrom = r.State
	r.State = RolloutHalted
	r.Reason = reason
	r.note(now, "halted: "+reason)
	return r
}

func idsOf(list []RolloutInstance) []string {
	ids := make([]string, 0, len(list))
	for _, in := range list {
		ids = append(ids, in.ID)
	}
	return ids
}

// appendNew appends the IDs not in list yet.
func appendNew(list []string, ids ...string) []string {
	for _, id := range ids {
		if !containsString(list, id) {
			list = append(list, id)
		}
	}
	return list
}

// sentLine says what a batch's upgrade request covered: instances already on the new
// model (refills, or a request a crashed process had sent) need none.
func sentLine(index, sent, size int) string {
	switch {
	case sent == 0:
		return fmt.Sprintf("batch %d: every instance already has the new model", index)
	case sent < size:
		return fmt.Sprintf("batch %d: upgrade sent to %d of %d instances (the others have "+
			"the new model already)", index, sent, size)
	}
	if sent == 1 {
		return fmt.Sprintf("batch %d: upgrade sent to 1 instance", index)
	}
	return fmt.Sprintf("batch %d: upgrade sent to %d instances", index, sent)
}
