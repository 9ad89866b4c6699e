package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor/fake"

	"spotdeck/azure"
)

// The Microsoft.Insights provider: the subscription's Activity Log, read through
// armmonitor's ActivityLogsClient. Entries come newest first, a page at a time, and hold
// only the fields $select names, as the service answers.

// OpListActivityLogs lists Activity Log entries (armmonitor.ActivityLogsClient).
const OpListActivityLogs = "ActivityLogsClient.NewListPager"

// simulatedTenantID is the tenant the simulated subscription belongs to.
const simulatedTenantID = "00000000-0000-0000-0000-5907dec5000a"

func init() {
	registerProvider(provider{
		name: "Microsoft.Insights",
		routes: []route{newRoute(http.MethodGet, subscriptionTemplate+
			"/providers/Microsoft.Insights/eventtypes/management/values", OpListActivityLogs)},
		transport: monitorTransport,
	})
}

type (
	activityListResponse = armmonitor.ActivityLogsClientListResponse
	activityListOptions  = armmonitor.ActivityLogsClientListOptions
)

// monitorTransport returns the fake that answers one Activity Log request.
func monitorTransport(s *Sim, req *http.Request) azure.Transporter {
	u := req.URL
	return fake.NewActivityLogsServerTransport(&fake.ActivityLogsServer{
		NewListPager: func(filter string,
			opts *activityListOptions) azfake.PagerResponder[activityListResponse] {
			return s.listActivity(u, filter, opts)
		},
	})
}

// listActivity answers one page of the Activity Log.
func (s *Sim) listActivity(u *url.URL, filter string,
	opts *activityListOptions) (resp azfake.PagerResponder[activityListResponse]) {
	f, err := parseActivityFilter(filter)
	if err != nil {
		resp.AddError(err)
		return resp
	}
	before, err := activitySkipToken(u)
	if err != nil {
		resp.AddError(err)
		return resp
	}
	var selected []string
	if opts != nil && opts.Select != nil {
		selected = strings.Split(*opts.Select, ",")
	}
	s.lockAndAdvance()
	entries, more := s.activityPage(f, before, s.pageSize)
	s.mu.Unlock()

	var page activityListResponse
	for _, e := range entries {
		page.Value = append(page.Value, eventData(e, selected))
	}
	if more {
		page.NextLink = nextLink(u, strconv.Itoa(entries[len(entries)-1].seq))
	}
	resp.AddPage(http.StatusOK, page, nil)
	return resp
}

// activitySkipToken reads the entry a page starts before; 0 for the first page.
func activitySkipToken(u *url.URL) (int, *armError) {
	token := u.Query().Get(skipTokenParam)
	if token == "" {
		return 0, nil
	}
	before, err := strconv.Atoi(token)
	if err != nil || before < 1 {
		return 0, badRequest("InvalidSkipToken", fmt.Sprintf("The %s '%s' is not one this "+
			"subscription issued; start the listing again without it.", skipTokenParam, token))
	}
	return before, nil
}

// eventFields sets each field of an entry by its JSON name, so $select can pick them.
var eventFields = map[string]func(*armmonitor.EventData, activityEntry){
	"authorization": func(d *armmonitor.EventData, e activityEntry) {
		d.Authorization = &armmonitor.SenderAuthorization{Action: to.Ptr(e.operation),
			Scope: to.Ptr(e.resourceID)}
	},
	"caller": func(d *armmonitor.EventData, e activityEntry) { d.Caller = to.Ptr(e.caller) },
	"category": func(d *armmonitor.EventData, _ activityEntry) {
		d.Category = text("Administrative")
	},
	"correlationid": func(d *armmonitor.EventData, e activityEntry) {
		d.CorrelationID = to.Ptr(e.correlationID)
	},
	"description": func(d *armmonitor.EventData, e activityEntry) {
		d.Description = to.Ptr(e.description)
	},
	"eventdataid": func(d *armmonitor.EventData, e activityEntry) {
		d.EventDataID = to.Ptr(e.eventDataID)
	},
	"eventname": func(d *armmonitor.EventData, _ activityEntry) {
		d.EventName = &armmonitor.LocalizableString{Value: to.Ptr("EndRequest"),
			LocalizedValue: to.Ptr("End request")}
	},
	"eventtimestamp": func(d *armmonitor.EventData, e activityEntry) {
		d.EventTimestamp = to.Ptr(e.at)
	},
	"id": func(d *armmonitor.EventData, e activityEntry) {
		d.ID = to.Ptr(e.resourceID + "/events/" + e.eventDataID + "/ticks/" + ticks(e.at))
	},
	"level": func(d *armmonitor.EventData, _ activityEntry) {
		d.Level = to.Ptr(armmonitor.EventLevelInformational)
	},
	"operationid": func(d *armmonitor.EventData, e activityEntry) {
		d.OperationID = to.Ptr(e.operationID)
	},
	"operationname": func(d *armmonitor.EventData, e activityEntry) {
		d.OperationName = &armmonitor.LocalizableString{Value: to.Ptr(e.operation),
			LocalizedValue: to.Ptr(e.localized)}
	},
	"resourcegroupname": func(d *armmonitor.EventData, e activityEntry) {
		d.ResourceGroupName = to.Ptr(e.resourceGroup)
	},
	"resourceid": func(d *armmonitor.EventData, e activityEntry) {
		d.ResourceID = to.Ptr(e.resourceID)
	},
	"resourceprovidername": func(d *armmonitor.EventData, e activityEntry) {
		d.ResourceProviderName = text(e.providerName)
	},
	"resourcetype": func(d *armmonitor.EventData, e activityEntry) {
		d.ResourceType = text(e.resourceType)
	},
	"status": func(d *armmonitor.EventData, e activityEntry) { d.Status = text(e.status) },
	"submissiontimestamp": func(d *armmonitor.EventData, e activityEntry) {
		d.SubmissionTimestamp = to.Ptr(e.at)
	},
	"subscriptionid": func(d *armmonitor.EventData, e activityEntry) {
		d.SubscriptionID = to.Ptr(e.subscriptionID)
	},
	"tenantid": func(d *armmonitor.EventData, _ activityEntry) {
		d.TenantID = to.Ptr(simulatedTenantID)
	},
}

// eventData renders an entry with the fields selected, or every field when none is.
// Unknown names in the selection are ignored, as the service ignores them.
func eventData(e activityEntry, selected []string) *armmonitor.EventData {
	d := &armmonitor.EventData{}
	if len(selected) == 0 {
		for _, set := range eventFields {
			set(d, e)
		}
		return d
	}
	for _, name := range selected {
		if set, ok := eventFields[strings.ToLower(strings.TrimSpace(name))]; ok {
			set(d, e)
		}
	}
	return d
}

// text is a localizable string whose localized form is the value itself.
func text(value string) *armmonitor.LocalizableString {
	return &armmonitor.LocalizableString{Value: to.Ptr(value), LocalizedValue: to.Ptr(value)}
}

// ticks writes a time as .NET ticks, as Activity Log entry IDs carry it.
func ticks(at time.Time) string {
	const unixEpochTicks = 621355968000000000
	return strconv.FormatInt(unixEpochTicks+at.UnixNano()/100, 10)
}
