package scalesets

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"spotdeck/events"
	"spotdeck/tui/theme"
)

// evictionHours is how many hours the details pane counts evictions for, hour by hour.
const evictionHours = 6

// SetEvents takes the events, newest first, for the evictions in the details pane.
func (m *Model) SetEvents(evs []events.Event) { m.events = evs }

// evictionLine counts a scale set's evictions: in the last hour, in the last day by zone,
// and hour by hour over the last hours, oldest first.
func (m *Model) evictionLine(scaleSet string) string {
	if m.readAt.IsZero() {
		return ""
	}
	lastHour := total(events.ZoneCounts(m.events, scaleSet, m.readAt.Add(-time.Hour)))
	byZone := events.ZoneCounts(m.events, scaleSet, m.readAt.Add(-events.Retention))
	if total(byZone) == 0 {
		return theme.Dim.Render("evictions: none in the last 24 h")
	}
	hourly := events.HourlyCounts(m.events, scaleSet, m.readAt, evictionHours)
	cells := make([]string, len(hourly))
	for i, n := range hourly {
		cells[i] = fmt.Sprint(n)
	}
	// Most urgent first: a narrow terminal cuts the end of the line.
	text := fmt.Sprintf("evictions: %d in the last hour · by hour (last %d h): %s · 24 h: %d, "+
		"by zone %s", lastHour, evictionHours, strings.Join(cells, " "), total(byZone),
		zoneList(byZone))
	if lastHour > 0 {
		return theme.State(theme.Bad, text)
	}
	return text
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// zoneList reads like "1: 2 · 3: 1", zones in order, "unknown" for an unknown zone.
func zoneList(counts map[string]int) string {
	zones := make([]string, 0, len(counts))
	for z := range counts {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	parts := make([]string, len(zones))
	for i, z := range zones {
		label := z
		if z == "?" {
			label = "unknown"
		}
		parts[i] = fmt.Sprintf("%s: %d", label, counts[z])
	}
	return strings.Join(parts, " · ")
}
