package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	graphfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph/fake"
)

// graphPage is one canned Resource Graph answer: its data as JSON, and its skip token.
type graphPage struct {
	data      string
	skipToken string
}

// graphFake answers Resource Graph queries through the SDK's fake server, page by page
// (the last page again once they run out), and records each request.
type graphFake struct {
	mu       sync.Mutex
	pages    []graphPage
	status   int
	errCode  string
	requests []armresourcegraph.QueryRequest
}

func (f *graphFake) resources(_ context.Context, query armresourcegraph.QueryRequest,
	_ *armresourcegraph.ClientResourcesOptions) (
	resp azfake.Responder[armresourcegraph.ClientResourcesResponse],
	errResp azfake.ErrorResponder) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, query)
	if f.errCode != "" {
		errResp.SetResponseError(f.status, f.errCode)
		return resp, errResp
	}
	page := f.pages[min(len(f.requests), len(f.pages))-1]
	answer := armresourcegraph.QueryResponse{
		Count:           to.Ptr[int64](1),
		TotalRecords:    to.Ptr[int64](1),
		ResultTruncated: to.Ptr(armresourcegraph.ResultTruncatedFalse),
		Data:            json.RawMessage(page.data),
	}
	if page.skipToken != "" {
		answer.SkipToken = to.Ptr(page.skipToken)
	}
	resp.SetResponse(http.StatusOK, armresourcegraph.ClientResourcesResponse{
		QueryResponse: answer}, nil)
	return resp, errResp
}

func (f *graphFake) seen() []armresourcegraph.QueryRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]armresourcegraph.QueryRequest(nil), f.requests...)
}

// newGraphClient returns a client whose Resource Graph queries the fake answers in-process.
func newGraphClient(t *testing.T, fake *graphFake) *Client {
	t.Helper()
	servers := &graphfake.ServerFactory{Server: graphfake.Server{Resources: fake.resources}}
	client, err := NewClient(ClientOptions{
		SubscriptionID: armTestSubscription,
		ARMEndpoint:    activityFakeEndpoint,
		Transport:      graphfake.NewServerFactoryTransport(servers),
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return client
}

// Rows as Resource Graph returns them for the reader's projection.
const (
	rateRowD2 = `{"type":"microsoft.compute/skuspotevictionrate/location",
		"skuName":"standard_d2s_v4","location":"eastus","osType":"","evictionRate":"0-5",
		"spotPrices":null}`
	linuxRowD2 = `{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
		"skuName":"standard_d2s_v4","location":"eastus","osType":"linux","evictionRate":"",
		"spotPrices":[
			{"priceUSD":0.0125,"effectiveDate":"2026-11-20T00:00:00Z"},
			{"priceUSD":0.0131,"effectiveDate":"2026-12-01T00:00:00Z"},
			{"priceUSD":0.0119,"effectiveDate":"2026-10-02T00:00:00Z"}]}`
	windowsRowD2 = `{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
		"skuName":"standard_d2s_v4","location":"eastus","osType":"Windows",
		"spotPrices":[{"priceUSD":0.0402,"dateTime":"2026-11-30T08:00:00"}]}`
)

var d2East = SKULocation{SKU: "Standard_D2s_v4", Location: "eastus"}

// priceDate is a price date of 2026 in UTC.
func priceDate(month time.Month, day, hour int) *time.Time {
	at := time.Date(2026, month, day, hour, 0, 0, 0, time.UTC)
	return &at
}

func TestSpotPricesFromResourceGraph(t *testing.T) {
	linuxD2 := SpotInfo{SKU: "Standard_D2s_v4", Location: "eastus", OSType: "linux",
		EvictionRate: "0-5", PriceUSD: to.Ptr(0.0131), PriceAt: priceDate(time.December, 1, 0)}
	windowsD2 := SpotInfo{SKU: "Standard_D2s_v4", Location: "eastus", OSType: "windows",
		EvictionRate: "0-5", PriceUSD: to.Ptr(0.0402), PriceAt: priceDate(time.November, 30, 8)}
	tests := []struct {
		name string
		ask  []SKULocation
		data string
		want []SpotInfo
	}{
		{
			name: "rate joined to each priced OS, latest price by date",
			ask:  []SKULocation{d2East},
			data: "[" + rateRowD2 + "," + windowsRowD2 + "," + linuxRowD2 + "]",
			want: []SpotInfo{linuxD2, windowsD2},
		},
		{
			name: "table format",
			ask:  []SKULocation{d2East},
			data: `{"columns":[{"name":"type","type":"string"},{"name":"skuName"},
				{"name":"location"},{"name":"osType"},{"name":"evictionRate"},
				{"name":"spotPrices"}],
				"rows":[
				["microsoft.compute/skuspotevictionrate/location","standard_d2s_v4",
				 "eastus","","0-5",null],
				["microsoft.compute/skuspotpricehistory/ostype/location","standard_d2s_v4",
				 "eastus","linux","",[{"priceUSD":0.0131,"effectiveDate":"2026-12-01"}]]]}`,
			want: []SpotInfo{linuxD2},
		},
		{
			name: "raw rows with nested sku and properties",
			ask:  []SKULocation{d2East},
			data: `[{"type":"Microsoft.Compute/skuSpotEvictionRate/location",
				"sku":{"name":"standard_d2s_v4"},"location":"eastus",
				"properties":{"evictionRate":"0-5"}},
				{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
				"sku":{"name":"standard_d2s_v4"},"location":"eastus",
				"properties":{"osType":"linux","spotPrices":[
					{"priceUSD":0.0131,"effectiveDate":"2026-12-01T00:00:00Z"}]}}]`,
			want: []SpotInfo{linuxD2},
		},
		{
			name: "asked spelling kept, repeats dropped, other pairs left out",
			ask: []SKULocation{{SKU: "STANDARD_D2S_V4", Location: "EastUS"}, d2East,
				{SKU: "Standard_D4s_v4", Location: "westus"}},
			data: "[" + rateRowD2 + `,{"type":"microsoft.compute/skuspotevictionrate/location",
				"skuName":"standard_d4s_v4","location":"eastus","evictionRate":"10-15"}]`,
			want: []SpotInfo{
				{SKU: "STANDARD_D2S_V4", Location: "EastUS", EvictionRate: "0-5"},
				{SKU: "Standard_D4s_v4", Location: "westus"},
			},
		},
		{
			name: "undated history takes the first entry; a price may come as text",
			ask:  []SKULocation{d2East},
			data: `[{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
				"skuName":"standard_d2s_v4","location":"eastus","osType":"linux",
				"spotPrices":[{"priceUSD":"0.02"},{"priceUSD":0.03}]}]`,
			want: []SpotInfo{{SKU: "Standard_D2s_v4", Location: "eastus", OSType: "linux",
				PriceUSD: to.Ptr(0.02)}},
		},
		{
			name: "history sent as text",
			ask:  []SKULocation{d2East},
			data: `[{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
				"skuName":"standard_d2s_v4","location":"eastus","osType":"linux",
				"spotPrices":"[{\"priceUSD\":0.0131,` +
				`\"effectiveDate\":\"2026-12-01T00:00:00Z\"}]"}]`,
			want: []SpotInfo{{SKU: "Standard_D2s_v4", Location: "eastus", OSType: "linux",
				PriceUSD: to.Ptr(0.0131), PriceAt: priceDate(time.December, 1, 0)}},
		},
		{
			name: "malformed rows and entries are skipped",
			ask:  []SKULocation{d2East},
			data: `["a string", 42, null, {}, [1, 2],
				{"type":"microsoft.compute/skuspotevictionrate/location","skuName":5,
				 "location":"eastus","evictionRate":"0-5"},
				{"type":"microsoft.compute/skuspotevictionrate/location",
				 "skuName":"standard_d2s_v4","location":"eastus","evictionRate":7},
				{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
				 "skuName":"standard_d2s_v4","location":"eastus","osType":"linux",
				 "spotPrices":"not json"},
				{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
				 "skuName":"standard_d2s_v4","location":"eastus","osType":"windows",
				 "spotPrices":["x", null, {"priceUSD":"abc"}, {"priceUSD":-1},
				 {"priceUSD":null}, {"effectiveDate":"2026-12-01"}]},
				{"type":"microsoft.compute/skuspotpricehistory/ostype/location",
				 "skuName":"standard_d2s_v4","location":"eastus",
				 "spotPrices":[{"priceUSD":0.5}]},
				{"type":null,"skuName":"standard_d2s_v4","location":"eastus"}]`,
			want: []SpotInfo{{SKU: "Standard_D2s_v4", Location: "eastus"}},
		},
		{
			name: "table rows of the wrong length are skipped",
			ask:  []SKULocation{d2East},
			data: `{"columns":[{"name":"type"},{"name":"skuName"},{"name":"location"},
				{"name":"evictionRate"}],
				"rows":[["microsoft.compute/skuspotevictionrate/location","standard_d2s_v4"],
				"not a row",
				["microsoft.compute/skuspotevictionrate/location","standard_d2s_v4",
				 "eastus","5-10"]]}`,
			want: []SpotInfo{{SKU: "Standard_D2s_v4", Location: "eastus",
				EvictionRate: "5-10"}},
		},
		{
			name: "data of neither shape",
			ask:  []SKULocation{d2East},
			data: `42`,
			want: []SpotInfo{{SKU: "Standard_D2s_v4", Location: "eastus"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &graphFake{pages: []graphPage{{data: tt.data}}}
			before := time.Now()
			got, err := newGraphClient(t, fake).SpotPrices(context.Background(), tt.ask)
			if err != nil {
				t.Fatalf("SpotPrices: %v", err)
			}
			after := time.Now()
			for i := range got {
				if got[i].ReadAt.Before(before) || got[i].ReadAt.After(after) {
					t.Errorf("row %d ReadAt = %v, want between %v and %v", i,
						got[i].ReadAt, before, after)
				}
				got[i].ReadAt = time.Time{}
			}
			assertMappedEqual(t, got, tt.want)
		})
	}
}

func TestSpotPricesRequest(t *testing.T) {
	fake := &graphFake{pages: []graphPage{{data: "[]"}}}
	ask := []SKULocation{d2East, {SKU: "Standard_D4-2s_v3", Location: "WestEurope"},
		{SKU: "Standard_D2s_v4", Location: "westeurope"}}
	if _, err := newGraphClient(t, fake).SpotPrices(context.Background(), ask); err != nil {
		t.Fatalf("SpotPrices: %v", err)
	}
	seen := fake.seen()
	if len(seen) != 1 {
		t.Fatalf("%d queries, want 1", len(seen))
	}
	query := stringOf(seen[0].Query)
	for _, part := range []string{
		"SpotResources",
		"'microsoft.compute/skuspotevictionrate/location'",
		"'microsoft.compute/skuspotpricehistory/ostype/location'",
		"in~ ('standard_d2s_v4', 'standard_d4-2s_v3')",
		"location in~ ('eastus', 'westeurope')",
		"skuName = tostring(sku.name)",
		"evictionRate = tostring(properties.evictionRate)",
		"spotPrices = properties.spotPrices",
	} {
		if !strings.Contains(query, part) {
			t.Errorf("query lacks %q:\n%s", part, query)
		}
	}
	if got := stringsOf(seen[0].Subscriptions); len(got) != 1 || got[0] != armTestSubscription {
		t.Errorf("subscriptions = %q, want [%s]", got, armTestSubscription)
	}
	options := seen[0].Options
	if options == nil || stringOf(options.ResultFormat) != "objectArray" ||
		options.Top == nil || *options.Top != graphPageRows || options.SkipToken != nil {
		t.Errorf("options = %+v, want objectArray, top %d, no skip token", options,
			graphPageRows)
	}
}

func TestSpotPricesFollowsSkipTokens(t *testing.T) {
	fake := &graphFake{pages: []graphPage{
		{data: "[" + rateRowD2 + "]", skipToken: "next-1"},
		{data: "[" + linuxRowD2 + "]"},
	}}
	got, err := newGraphClient(t, fake).SpotPrices(context.Background(), []SKULocation{d2East})
	if err != nil {
		t.Fatalf("SpotPrices: %v", err)
	}
	if len(got) != 1 || got[0].EvictionRate != "0-5" || got[0].PriceUSD == nil ||
		*got[0].PriceUSD != 0.0131 {
		t.Errorf("SpotPrices = %+v, want the rate of page 1 and the price of page 2", got)
	}
	seen := fake.seen()
	if len(seen) != 2 || seen[1].Options == nil || stringOf(seen[1].Options.SkipToken) != "next-1" {
		t.Fatalf("requests = %d, want a second one with skip token next-1", len(seen))
	}
	if stringOf(seen[1].Query) != stringOf(seen[0].Query) {
		t.Errorf("second page asked with another query: %q", stringOf(seen[1].Query))
	}
}

func TestSpotPricesFailures(t *testing.T) {
	tests := []struct {
		name     string
		fake     *graphFake
		wantCode string
		want     []string
	}{
		{
			name:     "no role on the subscription",
			fake:     &graphFake{status: http.StatusForbidden, errCode: "AuthorizationFailed"},
			wantCode: "AuthorizationFailed",
			want: []string{"read Spot prices and eviction rates from Azure Resource Graph",
				"AuthorizationFailed (403)", "grant the Reader role on subscription " +
					armTestSubscription + " to query Azure Resource Graph"},
		},
		{
			name:     "a refused query",
			fake:     &graphFake{status: http.StatusBadRequest, errCode: "BadRequest"},
			wantCode: "BadRequest",
			want:     []string{"BadRequest (400)"},
		},
		{
			name: "an answer that never ends",
			fake: &graphFake{pages: []graphPage{{data: "[]", skipToken: "again"}}},
			want: []string{"more pages after 20", "narrow the VM sizes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newGraphClient(t, tt.fake).SpotPrices(context.Background(),
				[]SKULocation{d2East})
			if err == nil {
				t.Fatalf("SpotPrices = %+v, want an error", got)
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
			if code := ErrorCode(err); code != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", code, tt.wantCode)
			}
		})
	}
}

func TestSpotPricesChecksInputWithoutCalling(t *testing.T) {
	tests := []struct {
		name string
		ask  []SKULocation
		want []string // parts of the error; nil means no error and no result
	}{
		{name: "nothing asked"},
		{name: "empty size", ask: []SKULocation{{Location: "eastus"}},
			want: []string{`VM size ""`, "sku.name"}},
		{name: "size that would change the query",
			ask:  []SKULocation{{SKU: "Standard_D2s_v4') or (1==1", Location: "eastus"}},
			want: []string{`VM size "Standard_D2s_v4') or (1==1"`}},
		{name: "region with a space",
			ask:  []SKULocation{d2East, {SKU: "Standard_D2s_v4", Location: "east us"}},
			want: []string{`region "east us"`, "Standard_D2s_v4", "location"}},
		{name: "empty region", ask: []SKULocation{{SKU: "Standard_D2s_v4"}},
			want: []string{`region ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &graphFake{pages: []graphPage{{data: "[]"}}}
			got, err := newGraphClient(t, fake).SpotPrices(context.Background(), tt.ask)
			if n := len(fake.seen()); n != 0 {
				t.Errorf("%d queries sent, want none", n)
			}
			if got != nil {
				t.Errorf("SpotPrices = %+v, want nil", got)
			}
			if tt.want == nil {
				if err != nil {
					t.Errorf("SpotPrices error = %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatal("SpotPrices gave no error")
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}
