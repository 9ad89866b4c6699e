package events

import (
	"strings"
	"time"

	"spotdeck/azure"
)

// joinWindow is how far apart in time an Activity Log entry and a change seen between two
// readings may be and still be the same eviction: the log lags, and readings are minutes
// apart on a slow refresh.
const joinWindow = 15 * time.Minute

// Join matches Activity Log evictions to the evictions already known. A known suspected
// eviction of the same instance near the same time is upgraded to confirmed or simulated;
// an entry nothing matches becomes a new eviction event. It returns the events to record:
// the upgraded and the new ones.
func Join(known []Event, activity []azure.ActivityEviction) []Event {
	var out []Event
	used := make(map[int]bool)
	for _, a := range activity {
		evidence := EvidenceConfirmed
		if a.Simulated {
			evidence = EvidenceSimulated
		}
		if i := match(known, a, used); i >= 0 {
			used[i] = true
			if known[i].Evidence != evidence {
				up := known[i]
				up.Evidence = evidence
				out = append(out, up)
			}
			continue
		}
		out = append(out, Event{Time: a.Time, Kind: KindEviction, ScaleSet: a.ScaleSet,
			ResourceGroup: a.ResourceGroup, Instance: a.InstanceID, Evidence: evidence,
			Detail: "recorded in the Activity Log"})
	}
	return out
}

// match finds the known eviction of the same instance closest in time to a, or -1.
func match(known []Event, a azure.ActivityEviction, used map[int]bool) int {
	return closest(known, a.ScaleSet, a.InstanceID, a.Time, used, func(Event) bool {
		return true
	})
}

// closest finds the unused known eviction of one instance, accepted by ok, nearest in
// time to at and within the join window, or -1.
func closest(known []Event, scaleSet, instance string, at time.Time, used map[int]bool,
	ok func(Event) bool) int {
	best, bestGap := -1, joinWindow+1
	for i, e := range known {
		if used[i] || e.Kind != KindEviction || !strings.EqualFold(e.ScaleSet, scaleSet) ||
			e.Instance != instance || !ok(e) {
			continue
		}
		gap := e.Time.Sub(at).Abs()
		if gap <= joinWindow && gap < bestGap {
			best, bestGap = i, gap
		}
	}
	return best
}

// Absorb folds the suspected evictions among changes into evictions the Activity Log
// already recorded. The log is read once a minute and can report an eviction before a
// reading of the fleet shows it; one eviction must still be one event. Such a change comes
// back as the recorded event, completed with the zone and detail the reading saw.
func Absorb(known, changes []Event) []Event {
	logged := func(e Event) bool { return e.Evidence != EvidenceSuspected }
	used := make(map[int]bool)
	out := make([]Event, 0, len(changes))
	for _, c := range changes {
		i := -1
		if c.Kind == KindEviction && c.Evidence == EvidenceSuspected {
			i = closest(known, c.ScaleSet, c.Instance, c.Time, used, logged)
		}
		if i < 0 {
			out = append(out, c)
			continue
		}
		used[i] = true
		up := known[i]
		up.Detail = c.Detail + "; recorded in the Activity Log"
		if up.Zone == "" {
			up.Zone = c.Zone
		}
		out = append(out, up)
	}
	return out
}

// ZoneCounts counts the evictions of one scale set by zone since a time.
func ZoneCounts(evs []Event, scaleSet string, since time.Time) map[string]int {
	counts := make(map[string]int)
	for _, e := range evs {
		if e.Kind == KindEviction && strings.EqualFold(e.ScaleSet, scaleSet) &&
			!e.Time.Before(since) {
			zone := e.Zone
			if zone == "" {
				zone = "?"
			}
			counts[zone]++
		}
	}
	return counts
}

// HourlyCounts counts the evictions of one scale set in each of the last n whole hours
// before now, oldest first.
func HourlyCounts(evs []Event, scaleSet string, now time.Time, n int) []int {
	counts := make([]int, n)
	for _, e := range evs {
		if e.Kind != KindEviction || !strings.EqualFold(e.ScaleSet, scaleSet) {
			continue
		}
		age := now.Sub(e.Time)
		if age < 0 {
			continue
		}
		if h := int(age / time.Hour); h < n {
			counts[n-1-h]++
		}
	}
	return counts
}
