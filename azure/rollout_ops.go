package azure

import (
	"context"
	"fmt"
	"strings"
)

// Pause stops the rollout after its current step; Resume carries on from there.
func (e *RolloutEngine) Pause(ctx context.Context, r Rollout, who string) (Rollout, error) {
	if r.Stopped() {
		return r, fmt.Errorf("%w: the rollout of %s is %s; only a running rollout pauses",
			ErrRolloutState, r.Label, r.State)
	}
	r.PausedFrom, r.State = r.State, RolloutPaused
	r.Reason = "paused by " + who
	r.note(e.now(), r.Reason)
	return e.save(ctx, r)
}

// Resume carries on a paused or halted rollout. Resuming a halted rollout accepts the
// instances that made it halt: the gate no longer counts them, and the batch gets a new
// health timeout. The forceUpdateTag is not changed, so no script reruns.
func (e *RolloutEngine) Resume(ctx context.Context, r Rollout, who string) (Rollout, error) {
	switch r.State {
	case RolloutPaused:
	case RolloutHalted:
		instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet)
		if err != nil {
			return r, fmt.Errorf("resume the rollout of %s: %w", r.Label, err)
		}
		r.Accepted = appendNew(r.Accepted, badInstances(r, instances)...)
	default:
		if r.Finished() {
			return r, fmt.Errorf("%w: the rollout of %s is %s; start a new one",
				ErrRolloutState, r.Label, r.State)
		}
		// A rollout whose process died: this one carries on from the same step.
		r.note(e.now(), "taken over by "+who+" in state "+r.State)
		return e.save(ctx, r)
	}
	now := e.now()
	r.State, r.PausedFrom, r.Reason = r.PausedFrom, "", ""
	if b := r.currentBatch(); b != nil && b.Finished == nil {
		b.Deadline = now.Add(r.Limits.HealthTimeout)
	}
	r.WaitUntil = nil
	if r.State == RolloutRollbackWait {
		until := now.Add(r.Limits.HealthTimeout)
		r.WaitUntil = &until
	}
	line := "resumed by " + who
	if len(r.Accepted) > 0 {
		line += "; going on past instances " + strings.Join(r.Accepted, ", ")
	}
	r.note(now, line)
	return e.save(ctx, r)
}

// Abort ends the rollout and leaves every instance as it is.
func (e *RolloutEngine) Abort(ctx context.Context, r Rollout, who string) (Rollout, error) {
	if r.Finished() {
		return r, fmt.Errorf("%w: the rollout of %s is already %s", ErrRolloutState,
			r.Label, r.State)
	}
	r.State, r.Reason, r.PausedFrom = RolloutAborted, "aborted by "+who, ""
	r.note(e.now(), r.Reason+"; instances left as they are")
	return e.save(ctx, r)
}

// Rollback re-applies the previous script settings and upgrades the instances the
// rollout touched. It keeps the previous forceUpdateTag, so the scale set shows the
// previous label again: the script still reruns because its settings (links and the
// command naming the label) differ. Only when they do not is a new tag used.
func (e *RolloutEngine) Rollback(ctx context.Context, r Rollout, who string) (Rollout,
	error) {
	switch {
	case r.State == RolloutRolledBack || r.State == RolloutRollingBack ||
		r.State == RolloutRollbackWait:
		return r, fmt.Errorf("%w: the rollout of %s is already %s", ErrRolloutState,
			r.Label, r.State)
	case r.Previous.Name == "":
		return r, fmt.Errorf("%w: the scale set had no Custom Script Extension before "+
			"this rollout, so there are no settings to restore; roll out an earlier "+
			"bundle instead", ErrRolloutState)
	}
	r.RollbackTag = r.Previous.Tag
	if sameScript(r.Previous, ScriptExtension{Settings: r.Next.Settings,
		Tag: r.Previous.Tag}) || r.RollbackTag == "" {
		r.RollbackTag = r.Previous.Tag + "-rollback-" + e.now().Format("20060102T150405")
		r.RollbackTag = strings.TrimPrefix(r.RollbackTag, "-")
	}
	r.State, r.PausedFrom, r.ModelRestored = RolloutRollingBack, "", false
	r.Reason = "rolled back by " + who
	r.note(e.now(), fmt.Sprintf("rollback to %s started by %s", r.RollbackTag, who))
	return e.save(ctx, r)
}

// rollbackScript is the extension as a rollback sets it.
func (r Rollout) rollbackScript() ScriptExtension {
	ext := r.Previous
	ext.Name = r.Next.Name
	ext.Tag = r.RollbackTag
	return ext
}

// startRollback restores the model, then sends the instances it touched back to it.
func (e *RolloutEngine) startRollback(ctx context.Context, r Rollout) (Rollout, error) {
	if !r.ModelRestored {
		next, err := e.applyModel(ctx, r, r.rollbackScript(), RolloutRollingBack)
		if err != nil {
			return r, err
		}
		next.ModelRestored = true
		return next, nil
	}
	switch r.UpgradeMode {
	case "rolling":
		if err := e.Target.StartExtensionUpgrade(ctx, r.ResourceGroup, r.ScaleSet); err != nil {
			return r, err
		}
	case "manual":
		if err := e.sendRollback(ctx, r); err != nil {
			return r, err
		}
	}
	until := e.now().Add(r.Limits.HealthTimeout)
	r.State, r.WaitUntil = RolloutRollbackWait, &until
	r.note(e.now(), "rollback sent; instances that ran "+r.Next.Tag+": "+
		strings.Join(r.Touched, ", "))
	return r, nil
}

// sendRollback upgrades the instances the rollout touched, and only them, back to the
// restored model: the others were left as they were and stay so.
func (e *RolloutEngine) sendRollback(ctx context.Context, r Rollout) error {
	instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return err
	}
	var send []string
	for _, in := range instances {
		if containsString(r.Touched, in.ID) && !onModel(in, r.RollbackTag) {
			send = append(send, in.ID)
		}
	}
	if len(send) == 0 {
		return nil
	}
	sortIDs(send)
	return e.Target.UpgradeInstances(ctx, r.ResourceGroup, r.ScaleSet, send)
}

// checkRollback waits until every instance is back on the previous settings with its
// script finished, or the health timeout ends.
func (e *RolloutEngine) checkRollback(ctx context.Context, r Rollout) (Rollout, error) {
	instances, err := e.Target.ListInstances(ctx, r.ResourceGroup, r.ScaleSet)
	if err != nil {
		return r, err
	}
	now := e.now()
	back := r
	back.Next.Tag = r.RollbackTag
	r.Counts = countFleet(back, instances)
	var behind []string
	for _, in := range instances {
		if evicted(in) || r.UpgradeMode == "manual" && !containsString(r.Touched, in.ID) {
			continue
		}
		if !onModel(in, r.RollbackTag) || judge(in, r.HasHealth) == verdictWaiting {
			behind = append(behind, in.ID)
		}
	}
	if len(behind) == 0 {
		r.State, r.WaitUntil = RolloutRolledBack, nil
		r.note(now, "rolled back: the instances it touched are on "+r.RollbackTag)
		return r, nil
	}
	if r.WaitUntil != nil && now.After(*r.WaitUntil) {
		sortIDs(behind)
		return halt(r, now, fmt.Sprintf("rollback: instances %s not back on %s within %s",
			strings.Join(behind, ", "), r.RollbackTag, r.Limits.HealthTimeout)), nil
	}
	return r, nil
}

// save stores the record after an operator's operation.
func (e *RolloutEngine) save(ctx context.Context, r Rollout) (Rollout, error) {
	r.Updated = e.now()
	if e.Saver == nil {
		return r, nil
	}
	return r, e.Saver.Save(ctx, r)
}
