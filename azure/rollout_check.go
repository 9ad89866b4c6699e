package azure

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What one instance's report means for a rollout.
type instanceVerdict int

const (
	verdictWaiting instanceVerdict = iota // installing, booting or initializing
	verdictHealthy
	verdictBad     // the script failed or the health probe says unhealthy
	verdictEvicted // deallocated or being deallocated: neither failed nor unhealthy
)

// instancesByID indexes instances by their ID.
func instancesByID(instances []Instance) map[string]Instance {
	byID := make(map[string]Instance, len(instances))
	for _, in := range instances {
		byID[in.ID] = in
	}
	return byID
}

// onModel tells whether the instance has applied the latest model carrying tag. When the
// platform does not report the applied label, the latest-model flag alone decides.
func onModel(in Instance, tag string) bool {
	if in.LatestModel == nil || !*in.LatestModel {
		return false
	}
	return in.Label == "" || in.Label == tag
}

// evicted tells whether a Spot instance is gone for now: deallocated by an eviction or on
// its way there. Its health says nothing about the bundle.
func evicted(in Instance) bool {
	return in.Power == PowerDeallocated || in.Power == PowerDeallocating
}

// judge reads one instance's report. hasHealth says whether health probes exist; without
// them a running instance whose script succeeded counts as healthy.
func judge(in Instance, hasHealth bool) instanceVerdict {
	switch {
	case evicted(in):
		return verdictEvicted
	case in.Extension.State == "failed":
		return verdictBad
	case hasHealth && in.Health == HealthUnhealthy && in.Extension.State == "succeeded":
		return verdictBad
	case in.Provisioning != "succeeded" || in.Extension.State != "succeeded":
		return verdictWaiting
	case hasHealth && in.Health == HealthHealthy:
		return verdictHealthy
	case !hasHealth && in.Power == PowerRunning:
		return verdictHealthy
	}
	return verdictWaiting
}

// judgeBatch updates the batch's instances from their reports and returns how many are
// still to be decided. An instance no longer listed was deleted by an eviction.
func judgeBatch(r Rollout, batch *RolloutBatch, byID map[string]Instance,
	now time.Time) int {
	waiting := 0
	for i := range batch.Instances {
		bi := &batch.Instances[i]
		state, message := batchState(r, byID, bi.ID)
		if state != bi.State {
			bi.State, bi.Since, bi.Message = state, now, message
		}
		if state == InstanceUpgrading {
			waiting++
		}
	}
	return waiting
}

// batchState is the state of one batch instance and, for a failure, why.
func batchState(r Rollout, byID map[string]Instance, id string) (string, string) {
	in, ok := byID[id]
	if !ok {
		return InstanceEvicted, "no longer in the scale set"
	}
	if evicted(in) {
		return InstanceEvicted, "power state " + in.Power
	}
	if !onModel(in, r.Next.Tag) {
		return InstanceUpgrading, ""
	}
	switch judge(in, r.HasHealth) {
	case verdictHealthy:
		return InstanceHealthy, ""
	case verdictBad:
		if in.Extension.State == "failed" {
			return InstanceFailed, clipLine(in.Extension.Message, maxMessageRunes)
		}
		return InstanceUnhealthy, "health probe says unhealthy"
	}
	return InstanceUpgrading, ""
}

// instancesBehind lists, in ID order, the instances not yet on the new model and not in a
// batch that was already sent: an instance evicted in its batch comes back on its own.
func instancesBehind(r Rollout, instances []Instance) []string {
	var ids []string
	for _, in := range instances {
		if !onModel(in, r.Next.Tag) && !containsString(r.Touched, in.ID) {
			ids = append(ids, in.ID)
		}
	}
	sortIDs(ids)
	return ids
}

// sortIDs orders numeric instance IDs by number and the rest as text.
func sortIDs(ids []string) {
	sort.Slice(ids, func(i, j int) bool {
		a, errA := strconv.Atoi(ids[i])
		b, errB := strconv.Atoi(ids[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return ids[i] < ids[j]
	})
}

// countFleet counts the instances of the scale set for the rollout's progress.
func countFleet(r Rollout, instances []Instance) RolloutCount {
	c := RolloutCount{Total: len(instances)}
	for _, in := range instances {
		verdict := judge(in, r.HasHealth)
		if verdict == verdictEvicted {
			c.Evicted++
			continue
		}
		if verdict == verdictBad {
			c.Unhealthy++
		}
		if !onModel(in, r.Next.Tag) {
			continue
		}
		c.Updated++
		switch verdict {
		case verdictHealthy:
			c.Healthy++
		case verdictWaiting:
			c.Pending++
		}
	}
	return c
}

// gateReason returns why the rollout must halt, or "" when the unhealthy share is within
// the limit. Evicted instances count in neither the share nor the total; instances an
// operator resumed past are not counted again.
func gateReason(r Rollout, instances []Instance) string {
	var bad []string
	total := 0
	for _, in := range instances {
		verdict := judge(in, r.HasHealth)
		if verdict == verdictEvicted {
			continue
		}
		total++
		if verdict == verdictBad && !containsString(r.Accepted, in.ID) {
			bad = append(bad, in.ID)
		}
	}
	if total == 0 || len(bad)*100 <= r.Limits.MaxUnhealthy*total {
		return ""
	}
	sortIDs(bad)
	return fmt.Sprintf("%d of %d instances unhealthy or failed (%d%%), above the limit of "+
		"%d%%: instances %s; resume to go on past them, rollback to restore %s, or abort "+
		"to leave them as they are", len(bad), total, len(bad)*100/total,
		r.Limits.MaxUnhealthy, strings.Join(bad, ", "), labelOrNone(r.Previous.Tag))
}

// badInstances lists the instances the gate counts as unhealthy or failed.
func badInstances(r Rollout, instances []Instance) []string {
	var bad []string
	for _, in := range instances {
		if judge(in, r.HasHealth) == verdictBad {
			bad = append(bad, in.ID)
		}
	}
	return bad
}

func labelOrNone(label string) string {
	if label == "" {
		return "the previous settings"
	}
	return label
}
