package sim

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"spotdeck/azure"
)

// The queue workload of the demo: work arrives in the queue QueueName at a steady rate,
// and every healthy Spot instance of the Functions scale sets (resource group
// rg-functions) drains a share of it. So an eviction makes the queue grow until the
// refill's host is healthy again, and a failed rollout does the same. A few messages
// fail for good and land in the poison queue, more of them while instances are unhealthy.
//
// The depth is carried forward on a fixed grid of simulated time: each step samples the
// fleet at its start, before any agenda entry of the same moment runs, so the depth at a
// given simulated time does not depend on when, or how often, it was read.

// Queue names of the workload.
const (
	// QueueName is the queue the simulated Functions hosts work from.
	QueueName = "orders"
	// PoisonQueueName is its poison queue, which exists once a first message fails.
	PoisonQueueName = QueueName + azure.PoisonSuffix
)

// Workload defaults.
const (
	defaultArrivalsPerMinute = 170
	defaultDrainPerInstance  = 25
	initialDepth             = 240
	workloadStep             = 10 * time.Second
	// arrivalJitter is how far, either way, a step's arrivals stray from the rate.
	arrivalJitter = 0.2
	// Messages that fail for good, per minute: a few always, more per unhealthy host.
	poisonPerMinute          = 0.05
	poisonPerUnhealthyMinute = 0.05
)

// workload is the queue and its poison queue.
type workload struct {
	arrivalsPerMinute float64
	drainPerInstance  float64
	// next is the start of the next step to carry; depth holds everything before it.
	next   time.Time
	step   int
	depth  float64
	poison int64
}

// newWorkload returns the workload as it stands at the start of the simulation.
func newWorkload(opts Options, start time.Time) workload {
	w := workload{arrivalsPerMinute: opts.QueueArrivalsPerMinute,
		drainPerInstance: opts.QueueDrainPerInstance, next: start, depth: initialDepth}
	if w.arrivalsPerMinute <= 0 {
		w.arrivalsPerMinute = defaultArrivalsPerMinute
	}
	if w.drainPerInstance <= 0 {
		w.drainPerInstance = defaultDrainPerInstance
	}
	return w
}

// carryTo carries the queue through every step that starts by the given time.
func (w *workload) carryTo(s *Sim, until time.Time) {
	for !w.next.After(until) {
		healthy, unhealthy := s.hostsAt(w.next)
		rng := s.rngFor("workload", strconv.Itoa(w.step))
		minutes := workloadStep.Minutes()
		arrivals := w.arrivalsPerMinute * minutes *
			(1 - arrivalJitter + 2*arrivalJitter*rng.Float64())
		drained := float64(healthy) * w.drainPerInstance * minutes
		w.depth = math.Max(0, w.depth+arrivals-drained)
		failRate := poisonPerMinute + poisonPerUnhealthyMinute*float64(unhealthy)
		// A message that fails for good was taken off the queue, even when the hosts keep
		// the queue empty.
		if rng.Float64() < failRate*minutes {
			w.depth = math.Max(0, w.depth-1)
			w.poison++
		}
		w.next = w.next.Add(workloadStep)
		w.step++
	}
}

// hostsAt counts the Functions hosts that serve the queue at a moment: healthy ones, and
// running ones that are not healthy (their failures feed the poison queue).
func (s *Sim) hostsAt(at time.Time) (healthy, unhealthy int) {
	for _, ss := range s.scaleSets {
		if !strings.EqualFold(ss.resourceGroup, functionsGroup) ||
			ss.priority != armcompute.VirtualMachinePriorityTypesSpot {
			continue
		}
		for _, in := range ss.instances {
			st := in.stateAt(ss, at)
			switch {
			case st.power != azure.PowerRunning:
			case servesWork(ss, in, st):
				healthy++
			case st.health == azure.HealthUnhealthy:
				unhealthy++
			}
		}
	}
	return healthy, unhealthy
}

// servesWork tells whether a running host takes work: it reports healthy or, without a
// health extension, its install script succeeded.
func servesWork(ss *scaleSet, in *instance, st instanceState) bool {
	if st.health != "" {
		return st.health == azure.HealthHealthy
	}
	return st.agentReady && (!in.script.exists() || st.script.state == scriptSucceeded)
}

// Queues returns the queue depths of the simulated storage account, read in-process: the
// demo's stand-in for the azqueue reader, which needs a storage service. It knows the
// queue QueueName and its poison queue; other queues read as missing.
func (s *Sim) Queues() azure.QueueDepthReader {
	return simQueues{sim: s}
}

// simQueues reads the workload's queues.
type simQueues struct {
	sim *Sim
}

// Depths reads each queue, and its poison twin, at the current simulated time.
func (q simQueues) Depths(ctx context.Context, queues []string) []azure.QueueDepth {
	rows := azure.WatchedQueues(queues)
	now := q.sim.lockAndAdvance()
	depth, poison := int64(math.Ceil(q.sim.workload.depth)), q.sim.workload.poison
	q.sim.mu.Unlock()
	for i := range rows {
		row := &rows[i]
		row.ReadAt = now
		if err := ctx.Err(); err != nil {
			row.Err = fmt.Errorf("queue %q: %w", row.Name, err)
			continue
		}
		switch {
		case row.Name == QueueName:
			row.ApproximateCount = &depth
		case row.Name == PoisonQueueName && poison > 0:
			row.ApproximateCount = &poison
		case row.Poison:
			// As against Azure: a poison queue appears with its first message.
			row.ApproximateCount, row.NotCreated = new(int64), true
		default:
			row.Err = fmt.Errorf("queue %q does not exist in the simulated storage "+
				"account; its queue is %q", row.Name, QueueName)
		}
	}
	return rows
}
