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
	best, bestGap := -1, joinWindow+1
	for i, e := range known {
		if used[i] || e.Kind != KindEviction || !strings.EqualFold(e.ScaleSet, a.ScaleSet) ||
			e.Instance != a.InstanceID {
			continue
		}
		gap := e.Time.Sub(a.Time).Abs()
		if gap <= joinWindow && gap < bestGap {
			best, bestGap = i, gap
		}
	}
	return best
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
