package azure

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
)

// activityRetention is how far back the Activity Log keeps entries; the service refuses a
// start time older than that, so an older "since" is moved up to it.
const activityRetention = 90 * 24 * time.Hour

// activitySelect names the only fields the reader uses. Asking for them alone keeps pages
// small: a full entry carries claims and HTTP request details the reader never looks at.
const activitySelect = "eventDataId,correlationId,operationId,operationName,status," +
	"eventTimestamp,submissionTimestamp,resourceGroupName,resourceId"

// computeProvider narrows a subscription-wide read to the Compute resource provider, which
// logs every Spot eviction of a scale set.
const computeProvider = "Microsoft.Compute"

// Short names for the Activity Log's models.
type (
	eventModel   = armmonitor.EventData
	activityPage = armmonitor.ActivityLogsClientListResponse
)

// ActivityLog reads Spot evictions of scale-set instances from the subscription's Activity
// Log. The log lags the platform by minutes and its read limits are tight, so callers poll
// it no more than once a minute, each time from a little before the previous read. It is
// safe for concurrent use.
type ActivityLog struct {
	subscriptionID string
	resourceGroup  string
	logs           *armmonitor.ActivityLogsClient
	// now tells the current time; it only bounds how far back a read may start.
	now func() time.Time
}

var _ ActivityReader = (*ActivityLog)(nil)

// Activity returns a reader of the Activity Log of the client's subscription, limited to
// the client's resource group when it has one. It reaches the same endpoint with the same
// credential as the client, and makes no network call.
func (c *Client) Activity() (*ActivityLog, error) {
	logs, err := armmonitor.NewActivityLogsClient(c.subscriptionID, c.credential, c.armOptions)
	if err != nil {
		return nil, fmt.Errorf("prepare the Activity Log client for %s: %w", c.endpoint, err)
	}
	return &ActivityLog{
		subscriptionID: c.subscriptionID,
		resourceGroup:  c.resourceGroup,
		logs:           logs,
		now:            time.Now,
	}, nil
}

// Evictions returns the Spot evictions, real and simulated, that the Activity Log recorded
// since the given time, one per operation, oldest first. Other entries are left out.
func (a *ActivityLog) Evictions(ctx context.Context, since time.Time) ([]ActivityEviction, error) {
	since = a.clampSince(since)
	options := &armmonitor.ActivityLogsClientListOptions{Select: to.Ptr(activitySelect)}
	pager := a.logs.NewListPager(a.filter(since), options)
	entries, err := drain(ctx, pager, func(p activityPage) []*eventModel { return p.Value })
	if err != nil {
		operation, roleScope := a.scope()
		return nil, describeFailure(operation, roleScope, err)
	}
	return evictionsFrom(entries, since, a.resourceGroup), nil
}

// clampSince moves a start time older than the log's retention up to it.
func (a *ActivityLog) clampSince(since time.Time) time.Time {
	oldest := a.now().Add(-activityRetention)
	if since.Before(oldest) {
		return oldest
	}
	return since
}

// filter builds the $filter of a read. The service accepts only a few fixed shapes: a
// start time alone, or a start time and one of resourceGroupName, resourceProvider,
// resourceUri or correlationId; the start time is the only required part.
func (a *ActivityLog) filter(since time.Time) string {
	start := "eventTimestamp ge '" + since.UTC().Format(time.RFC3339Nano) + "'"
	if a.resourceGroup != "" {
		return start + " and resourceGroupName eq '" + odataQuote(a.resourceGroup) + "'"
	}
	return start + " and resourceProvider eq '" + computeProvider + "'"
}

// odataQuote doubles the single quotes of a value placed between single quotes.
func odataQuote(value string) string {
	return strings.ReplaceAll(value, "'", "''")
}

// scope names the read for error messages, and where Reader is needed.
func (a *ActivityLog) scope() (operation, roleScope string) {
	subscription := "subscription " + a.subscriptionID
	if a.resourceGroup == "" {
		return "read Spot evictions from the Activity Log of " + subscription,
			subscription + " to read the Activity Log"
	}
	group := "resource group " + a.resourceGroup
	return "read Spot evictions from the Activity Log of " + group + " in " + subscription,
		group + " to read the Activity Log"
}

// evictionEntry is one Activity Log entry of an eviction, before entries of the same
// operation are merged.
type evictionEntry struct {
	eviction ActivityEviction
	// operation identifies the operation the entry belongs to, with its target.
	operation string
	// rank orders the entries of one operation: the highest is the one kept.
	rank int
	// failed marks a failed or canceled operation, which evicted nothing.
	failed bool
}

// Ranks of an entry's status; an operation logs "Started" and then its outcome.
const (
	rankStarted = iota + 1
	rankAccepted
	rankSucceeded
)

// evictionsFrom keeps the eviction entries of a read, in scope and since the given time,
// merges the entries of each operation and sorts them oldest first.
func evictionsFrom(entries []*eventModel, since time.Time, group string) []ActivityEviction {
	byOperation := make(map[string]evictionEntry)
	failed := make(map[string]bool)
	for _, model := range entries {
		entry, ok := evictionEntryOf(model)
		if !ok || entry.eviction.Time.Before(since) || !inGroup(entry.eviction, group) {
			continue
		}
		if entry.failed {
			failed[entry.operation] = true
			continue
		}
		if kept, seen := byOperation[entry.operation]; !seen || entry.rank > kept.rank {
			byOperation[entry.operation] = entry
		}
	}
	evictions := make([]ActivityEviction, 0, len(byOperation))
	for operation, entry := range byOperation {
		if !failed[operation] {
			evictions = append(evictions, entry.eviction)
		}
	}
	slices.SortFunc(evictions, compareEvictions)
	return evictions
}

// inGroup tells whether an eviction is in the resource group read, when one is configured.
// The service filters by group already; this keeps a looser answer from widening the scope.
func inGroup(e ActivityEviction, group string) bool {
	return group == "" || strings.EqualFold(e.ResourceGroup, group)
}

// compareEvictions orders evictions by time, then by scale set and instance so that equal
// times still give a stable order.
func compareEvictions(a, b ActivityEviction) int {
	return cmp.Or(a.Time.Compare(b.Time),
		cmp.Compare(strings.ToLower(a.ScaleSet), strings.ToLower(b.ScaleSet)),
		cmp.Compare(a.InstanceID, b.InstanceID))
}

// evictionEntryOf reads one Activity Log entry. It reports false for an entry that is not
// a scale-set eviction or lacks what placing it needs: a time and a scale set.
func evictionEntryOf(model *eventModel) (evictionEntry, bool) {
	if model == nil || model.OperationName == nil {
		return evictionEntry{}, false
	}
	operationName := stringOf(model.OperationName.Value)
	simulated := strings.EqualFold(operationName, OpSimulateEviction)
	if !simulated && !strings.EqualFold(operationName, OpEvictSpot) {
		return evictionEntry{}, false
	}
	at, ok := entryTime(model)
	if !ok {
		return evictionEntry{}, false
	}
	resourceID := stringOf(model.ResourceID)
	group, scaleSet, instance := scaleSetTarget(resourceID)
	if scaleSet == "" {
		return evictionEntry{}, false
	}
	if group == "" {
		group = stringOf(model.ResourceGroupName)
	}
	rank, failed := statusRank(model.Status)
	return evictionEntry{
		eviction: ActivityEviction{Time: at, ResourceGroup: group, ScaleSet: scaleSet,
			InstanceID: instance, Simulated: simulated},
		operation: operationKey(model, resourceID, simulated, at),
		rank:      rank,
		failed:    failed,
	}, true
}

// entryTime returns when the event happened, or, when that is missing, when it was logged.
func entryTime(model *eventModel) (time.Time, bool) {
	for _, at := range []*time.Time{model.EventTimestamp, model.SubmissionTimestamp} {
		if at != nil && !at.IsZero() {
			return at.UTC(), true
		}
	}
	return time.Time{}, false
}

// scaleSetTarget reads the resource group, scale set and instance ID from a resource ID
// such as ".../resourceGroups/RG/providers/Microsoft.Compute/virtualMachineScaleSets/NAME/
// virtualMachines/ID". Segment names are compared without regard to case; the instance is
// "" when the ID names the scale set only, and everything is "" when it names no scale set.
func scaleSetTarget(resourceID string) (group, scaleSet, instance string) {
	segments := strings.Split(strings.Trim(resourceID, "/"), "/")
	at := slices.IndexFunc(segments, func(s string) bool {
		return strings.EqualFold(s, "virtualMachineScaleSets")
	})
	if at < 0 || at+1 >= len(segments) || segments[at+1] == "" {
		return "", "", ""
	}
	scaleSet = segments[at+1]
	if at+3 < len(segments) && strings.EqualFold(segments[at+2], "virtualMachines") {
		instance = segments[at+3]
	}
	return resourceGroupOf(resourceID), scaleSet, instance
}

// operationKey identifies the operation an entry belongs to. The Started and Succeeded
// entries of one operation share its operation ID (and correlation ID); the target is part
// of the key because one correlation can span the evictions of several instances. An entry
// with no ID at all stands alone, keyed by its time.
func operationKey(model *eventModel, resourceID string, simulated bool, at time.Time) string {
	id := cmp.Or(stringOf(model.OperationID), stringOf(model.CorrelationID),
		stringOf(model.EventDataID))
	if id == "" {
		id = "at " + at.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s|%s|%t", strings.ToLower(id), strings.ToLower(resourceID), simulated)
}

// statusRank ranks an entry's status and tells whether it ends the operation unsuccessfully.
func statusRank(status *armmonitor.LocalizableString) (rank int, failed bool) {
	if status == nil {
		return rankStarted, false
	}
	switch lowerOf(status.Value) {
	case "succeeded":
		return rankSucceeded, false
	case "accepted":
		return rankAccepted, false
	case "failed", "canceled", "cancelled":
		return 0, true
	}
	return rankStarted, false
}
