package sim

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The subscription's Activity Log: what the simulation records of Spot evictions, and the
// $filter the Activity Log API takes. The API answers in provider_monitor.go.

// Activity Log operation names of Spot evictions, as Azure logs them.
const (
	// ActivityEvictSpot is a Spot eviction the platform decided.
	ActivityEvictSpot = "Microsoft.Compute/virtualMachineScaleSets/evictSpotVM/action"
	// ActivitySimulateEviction is an eviction asked for through SimulateEviction.
	ActivitySimulateEviction = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/" +
		"simulateEviction/action"
)

// Callers the log names: the platform for its own evictions, the simulator's operator
// for a simulated one.
const (
	platformCaller = "Microsoft.Compute"
	operatorCaller = "simulator"
)

// activityEntry is one Activity Log entry.
type activityEntry struct {
	// seq orders entries as they were logged; a page cursor names the last one served.
	seq            int
	at             time.Time
	operation      string
	localized      string
	caller         string
	resourceID     string
	resourceGroup  string
	eventDataID    string
	correlationID  string
	operationID    string
	status         string
	description    string
	resourceType   string
	providerName   string
	subscriptionID string
}

// logEviction records an eviction of one instance, decided at the given time. simulated
// tells an eviction asked for through SimulateEviction from one the platform decided. The
// caller holds s.mu.
func (s *Sim) logEviction(ss *scaleSet, in *instance, at time.Time, simulated bool) {
	operation, localized, caller := ActivityEvictSpot,
		"Evict Spot Virtual Machine in Virtual Machine Scale Set", platformCaller
	if simulated {
		operation, localized, caller = ActivitySimulateEviction,
			"Simulate Eviction of spot Virtual Machine in Virtual Machine Scale Set",
			operatorCaller
	}
	seq := len(s.activity) + 1
	rng := s.rngFor("activity", fmt.Sprint(seq))
	s.activity = append(s.activity, activityEntry{
		seq: seq, at: at, operation: operation, localized: localized, caller: caller,
		resourceID:     ss.resourceID() + "/virtualMachines/" + fmt.Sprint(in.id),
		resourceGroup:  ss.resourceGroup,
		eventDataID:    uuidFrom(rng),
		correlationID:  uuidFrom(rng),
		operationID:    uuidFrom(rng),
		status:         "Succeeded",
		description:    fmt.Sprintf("Spot eviction of instance %d of %s", in.id, ss.name),
		resourceType:   "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
		providerName:   "Microsoft.Compute",
		subscriptionID: FixedSubscriptionID,
	})
}

// activityFilter is what a $filter asks for. Zero fields ask for nothing.
type activityFilter struct {
	from, to      time.Time
	resourceGroup string
	resourceID    string
	provider      string
	correlationID string
}

// filterClause matches one "name op 'value'" clause; a quote inside a value is doubled.
var filterClause = regexp.MustCompile(`(?i)\b(eventTimestamp|resourceGroupName|resourceUri|` +
	`resourceId|resourceProvider|correlationId)\s+(ge|le|eq)\s+'((?:[^']|'')*)'`)

// timestampLayouts are the forms an eventTimestamp is accepted in; a time without a zone
// is UTC.
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04", "2006-01-02"}

// parseActivityFilter reads a $filter leniently: clauses in any order and case, joined by
// "and"; unknown clauses are ignored. The start time is required, as the service requires
// it.
func parseActivityFilter(filter string) (activityFilter, *armError) {
	var f activityFilter
	for _, m := range filterClause.FindAllStringSubmatch(filter, -1) {
		name, op, value := strings.ToLower(m[1]), strings.ToLower(m[2]),
			strings.ReplaceAll(m[3], "''", "'")
		if err := f.set(name, op, value); err != nil {
			return f, err
		}
	}
	if f.from.IsZero() {
		return f, badRequest("BadRequest", fmt.Sprintf("The $filter %q has no start time; "+
			"give one as eventTimestamp ge '2026-01-01T00:00:00Z'.", filter))
	}
	return f, nil
}

// set applies one clause.
func (f *activityFilter) set(name, op, value string) *armError {
	if name == "eventtimestamp" {
		at, ok := parseTimestamp(value)
		if !ok {
			return badRequest("BadRequest", fmt.Sprintf("The $filter's eventTimestamp %q is "+
				"not a time; give an ISO 8601 time such as 2026-01-01T00:00:00Z.", value))
		}
		if op == "le" {
			f.to = at
		} else {
			f.from = at
		}
		return nil
	}
	switch name {
	case "resourcegroupname":
		f.resourceGroup = value
	case "resourceuri", "resourceid":
		f.resourceID = value
	case "resourceprovider":
		f.provider = value
	case "correlationid":
		f.correlationID = value
	}
	return nil
}

func parseTimestamp(value string) (time.Time, bool) {
	value = strings.TrimSpace(value)
	for _, layout := range timestampLayouts {
		if at, err := time.Parse(layout, value); err == nil {
			return at.UTC(), true
		}
	}
	return time.Time{}, false
}

// admits tells whether an entry passes the filter.
func (f activityFilter) admits(e activityEntry) bool {
	switch {
	case e.at.Before(f.from), !f.to.IsZero() && e.at.After(f.to):
		return false
	case f.resourceGroup != "" && !strings.EqualFold(f.resourceGroup, e.resourceGroup):
		return false
	case f.resourceID != "" && !strings.EqualFold(f.resourceID, e.resourceID):
		return false
	case f.provider != "" && !strings.EqualFold(f.provider, e.providerName):
		return false
	}
	return f.correlationID == "" || strings.EqualFold(f.correlationID, e.correlationID)
}

// activityPage returns, newest first, up to limit entries that pass the filter and were
// logged before the entry numbered before (all when before is 0), and whether more follow.
// Entries are logged in time order (see logEviction), so the log's order is time order.
func (s *Sim) activityPage(f activityFilter, before, limit int) ([]activityEntry, bool) {
	var out []activityEntry
	for i := len(s.activity) - 1; i >= 0; i-- {
		e := s.activity[i]
		if (before > 0 && e.seq >= before) || !f.admits(e) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, e)
	}
	return out, false
}
