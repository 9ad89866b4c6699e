// Package events derives what happened in the fleet by comparing two readings of it, and
// keeps a day of those events on disk so a console started later can show them.
package events

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"spotdeck/azure"
)

// Kinds of event, as written in the JSON lines and shown on the timeline.
const (
	KindEviction     = "eviction"
	KindAdded        = "instance-added"
	KindRemoved      = "instance-removed"
	KindHealth       = "health"
	KindProvisioning = "provisioning-failed"
	KindExtension    = "extension-failed"
	KindQueueAlert   = "queue-alert"
)

// Eviction evidence, from weakest to strongest.
const (
	// EvidenceSuspected: an instance stopped or vanished between two readings without any
	// action from this console.
	EvidenceSuspected = "suspected"
	// EvidenceConfirmed: the Activity Log recorded a real Spot eviction.
	EvidenceConfirmed = "confirmed"
	// EvidenceSimulated: the Activity Log recorded a simulated eviction.
	EvidenceSimulated = "simulated"
)

// Event is one thing that happened. Its JSON names are part of `status -o json`.
type Event struct {
	Time          time.Time `json:"time"`
	Kind          string    `json:"kind"`
	ScaleSet      string    `json:"scaleSet,omitempty"`
	ResourceGroup string    `json:"resourceGroup,omitempty"`
	Instance      string    `json:"instance,omitempty"`
	Zone          string    `json:"zone,omitempty"`
	// Evidence is set on evictions: suspected, confirmed or simulated.
	Evidence string `json:"evidence,omitempty"`
	Detail   string `json:"detail"`
}

// Key identifies an event for de-duplication across restarts and sources.
func (e Event) Key() string {
	return strings.Join([]string{e.Kind, strings.ToLower(e.ScaleSet), e.Instance,
		e.Time.UTC().Truncate(time.Second).Format(time.RFC3339)}, "|")
}

// ActedOn tells whether this console itself changed an instance recently (a delete, a
// deallocation, a simulated eviction), so its disappearance is not taken for an eviction.
type ActedOn func(scaleSet, instanceID string) bool

// Diff compares two readings and returns what happened between them, oldest first. Scale
// sets whose instances could not be read in either reading are skipped: a failed read is
// not a fleet change.
func Diff(prev, next azure.Fleet, acted ActedOn) []Event {
	if acted == nil {
		acted = func(string, string) bool { return false }
	}
	before := make(map[string]azure.ScaleSet, len(prev.ScaleSets))
	for _, s := range prev.ScaleSets {
		before[strings.ToLower(s.ID+"|"+s.Name)] = s
	}
	var out []Event
	for _, s := range next.ScaleSets {
		old, ok := before[strings.ToLower(s.ID+"|"+s.Name)]
		if !ok || old.InstancesErr != nil || s.InstancesErr != nil {
			continue
		}
		out = append(out, diffScaleSet(old, s, next.ReadAt, acted)...)
	}
	return out
}

func diffScaleSet(old, cur azure.ScaleSet, at time.Time, acted ActedOn) []Event {
	d := differ{set: cur, at: at, acted: acted}
	was := make(map[string]azure.Instance, len(old.Instances))
	for _, in := range old.Instances {
		was[in.ID] = in
	}
	for _, in := range cur.Instances {
		prev, existed := was[in.ID]
		delete(was, in.ID)
		if !existed {
			d.add(KindAdded, in, "", "instance added")
			continue
		}
		d.compare(prev, in)
	}
	gone := make([]azure.Instance, 0, len(was))
	for _, in := range was {
		gone = append(gone, in)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].ID < gone[j].ID })
	for _, in := range gone {
		d.removed(in)
	}
	return d.events
}

type differ struct {
	set    azure.ScaleSet
	at     time.Time
	acted  ActedOn
	events []Event
}

func (d *differ) add(kind string, in azure.Instance, evidence, detail string) {
	d.events = append(d.events, Event{Time: d.at, Kind: kind, ScaleSet: d.set.Name,
		ResourceGroup: d.set.ResourceGroup, Instance: in.ID, Zone: in.Zone,
		Evidence: evidence, Detail: detail})
}

func (d *differ) compare(prev, in azure.Instance) {
	if prev.Power == azure.PowerRunning && d.set.Priority == "spot" &&
		!d.acted(d.set.Name, in.ID) {
		switch {
		case isStopped(in.Power):
			d.add(KindEviction, in, EvidenceSuspected, "running → "+in.Power)
		case in.Provisioning == provisioningDeleting && prev.Provisioning != provisioningDeleting:
			// Under policy Delete an evicted instance is deleted at once; it is seen
			// being deleted a reading or two before it is gone.
			d.add(KindEviction, in, EvidenceSuspected, "running instance being deleted")
		}
	}
	if reported(prev.Health) && reported(in.Health) && prev.Health != in.Health {
		d.add(KindHealth, in, "", prev.Health+" → "+in.Health)
	}
	if prev.Provisioning != "failed" && in.Provisioning == "failed" {
		d.add(KindProvisioning, in, "", "provisioning failed")
	}
	if prev.Extension.State != "failed" && in.Extension.State == "failed" {
		d.add(KindExtension, in, "", firstNonEmpty(in.Extension.Message, "script failed"))
	}
}

func (d *differ) removed(in azure.Instance) {
	if d.set.Priority == "spot" && d.set.EvictionPolicy == "delete" &&
		in.Power == azure.PowerRunning && !d.acted(d.set.Name, in.ID) {
		d.add(KindEviction, in, EvidenceSuspected, "running instance deleted")
		return
	}
	d.add(KindRemoved, in, "", "instance removed")
}

// provisioningDeleting is the provisioning state of an instance being deleted.
const provisioningDeleting = "deleting"

// reported tells whether a health value is a reading: a stopped instance stops reporting,
// and that is not a change of its health.
func reported(health string) bool {
	return health != "" && health != azure.HealthNotReported
}

func isStopped(power string) bool {
	return power == azure.PowerDeallocated || power == azure.PowerDeallocating ||
		power == azure.PowerStopped
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// Describe is the one-line text of an event for the timeline.
func (e Event) Describe() string {
	target := e.ScaleSet
	if e.Instance != "" {
		target += "/" + e.Instance
	}
	if e.Zone != "" {
		target += " (zone " + e.Zone + ")"
	}
	kind := e.Kind
	if e.Evidence != "" {
		kind = e.Evidence + " " + e.Kind
	}
	if target == "" {
		return fmt.Sprintf("%s  %s", kind, e.Detail)
	}
	return fmt.Sprintf("%s  %s: %s", kind, target, e.Detail)
}
