package sim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"

	"spotdeck/azure"
)

// fleetSizes are the VM sizes of the default fleet.
var fleetSizes = []string{"Standard_B2s", "Standard_D2s_v5", "Standard_D4as_v5"}

// query runs one Resource Graph query and returns its rows as objects.
func query(t *testing.T, client *armresourcegraph.Client, kql string,
	opts *armresourcegraph.QueryRequestOptions) armresourcegraph.QueryResponse {
	t.Helper()
	resp, err := client.Resources(context.Background(), armresourcegraph.QueryRequest{
		Query: to.Ptr(kql), Subscriptions: []*string{to.Ptr(FixedSubscriptionID)},
		Options: opts}, nil)
	if err != nil {
		t.Fatalf("query %q: %v", kql, err)
	}
	return resp.QueryResponse
}

func rowsOf(t *testing.T, answer armresourcegraph.QueryResponse) []map[string]any {
	t.Helper()
	list, ok := answer.Data.([]any)
	if !ok {
		t.Fatalf("data is %T, want an array of objects", answer.Data)
	}
	rows := make([]map[string]any, 0, len(list))
	for _, item := range list {
		row, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("row is %T, want an object", item)
		}
		rows = append(rows, row)
	}
	return rows
}

// field reads a dotted path of a row.
func field(row map[string]any, path string) any {
	var value any = row
	for _, name := range strings.Split(path, ".") {
		object, _ := value.(map[string]any)
		value = object[name]
	}
	return value
}

func TestSpotResourcesRows(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, _ := newTestSim(t, Options{})
			endpoint, transport := connect(t, s, via)
			client := graphClient(t, endpoint, transport)
			rates := rowsOf(t, query(t, client, "SpotResources | where type =~ '"+
				spotEvictionRateType+"'", nil))
			if len(rates) != len(fleetSizes) {
				t.Fatalf("%d eviction-rate rows, want %d", len(rates), len(fleetSizes))
			}
			for i, row := range rates {
				checkRateRow(t, row, fleetSizes[i])
			}
			prices := rowsOf(t, query(t, client, "SpotResources | where type =~ '"+
				spotPriceHistoryType+"'", nil))
			if len(prices) != 2*len(fleetSizes) {
				t.Fatalf("%d price rows, want a Linux and a Windows row per size", len(prices))
			}
			for _, row := range prices {
				checkPriceRow(t, row)
			}
		})
	}
}

func checkRateRow(t *testing.T, row map[string]any, size string) {
	t.Helper()
	if got := field(row, "type"); got != spotEvictionRateType {
		t.Errorf("type %v, want %s", got, spotEvictionRateType)
	}
	if got := field(row, "sku.name"); got != strings.ToLower(size) {
		t.Errorf("sku.name %v, want %s", got, strings.ToLower(size))
	}
	if got := field(row, "location"); got != Location {
		t.Errorf("location %v, want %s", got, Location)
	}
	band, _ := field(row, "properties.evictionRate").(string)
	known := false
	for _, b := range evictionBands {
		known = known || b.band == band
	}
	if !known {
		t.Errorf("eviction rate %q is not one of Azure's bands", band)
	}
}

func checkPriceRow(t *testing.T, row map[string]any) {
	t.Helper()
	if got := field(row, "type"); got != spotPriceHistoryType {
		t.Errorf("type %v, want %s", got, spotPriceHistoryType)
	}
	osType := field(row, "properties.osType")
	if osType != "linux" && osType != "windows" {
		t.Errorf("osType %v, want linux or windows", osType)
	}
	history, _ := field(row, "properties.spotPrices").([]any)
	if len(history) < 12 {
		t.Fatalf("%d prices, want 90 days of weekly prices", len(history))
	}
	var previous time.Time
	for i, raw := range history {
		entry, _ := raw.(map[string]any)
		price, _ := entry["priceUSD"].(float64)
		at, err := time.Parse(time.RFC3339, fmtOf(entry["effectiveDate"]))
		if price <= 0 || err != nil {
			t.Fatalf("entry %d: priceUSD %v effectiveDate %v (%v)", i, entry["priceUSD"],
				entry["effectiveDate"], err)
		}
		if i > 0 && !at.Before(previous) {
			t.Errorf("entry %d dated %v, not older than the one before: want newest first", i, at)
		}
		previous = at
	}
}

func fmtOf(v any) string {
	text, _ := v.(string)
	return text
}

func TestSpotResourcesQueries(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	client := graphClient(t, InProcessEndpoint, s.Transport())
	tests := []struct {
		name, kql string
		want      int
	}{
		{"both types named", "SpotResources | where type in~ ('" + spotEvictionRateType +
			"', '" + spotPriceHistoryType + "')", 9},
		{"table only", "SpotResources | take 5", 9},
		{"upper case", "SPOTRESOURCES | where type =~ 'MICROSOFT.COMPUTE/SKUSPOTEVICTIONRATE" +
			"/LOCATION'", 3},
		{"other table", "Resources | where type =~ 'microsoft.compute/virtualmachinescalesets'", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			answer := query(t, client, tc.kql, nil)
			if got := len(rowsOf(t, answer)); got != tc.want {
				t.Errorf("%d rows, want %d", got, tc.want)
			}
			if got := deref(answer.TotalRecords); got != int64(tc.want) {
				t.Errorf("totalRecords %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSpotResourcesPagesAndTables(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	client := graphClient(t, InProcessEndpoint, s.Transport())
	kql := "SpotResources | where type =~ '" + spotPriceHistoryType + "'"
	opts := &armresourcegraph.QueryRequestOptions{Top: to.Ptr[int32](4)}
	var ids []string
	for page := 1; ; page++ {
		answer := query(t, client, kql, opts)
		for _, row := range rowsOf(t, answer) {
			ids = append(ids, fmtOf(row["id"]))
		}
		if answer.SkipToken == nil {
			break
		}
		if page == 3 {
			t.Fatal("more than three pages of four for six rows")
		}
		opts.SkipToken = answer.SkipToken
	}
	if len(ids) != 6 || len(distinct(ids)) != 6 {
		t.Errorf("paged through %d rows, %d distinct; want 6", len(ids), len(distinct(ids)))
	}

	table := query(t, client, kql, &armresourcegraph.QueryRequestOptions{
		ResultFormat: to.Ptr(armresourcegraph.ResultFormatTable)})
	data, _ := table.Data.(map[string]any)
	columns, _ := data["columns"].([]any)
	rows, _ := data["rows"].([]any)
	if len(columns) == 0 || len(rows) != 6 {
		t.Fatalf("table with %d columns and %d rows, want columns and 6 rows", len(columns),
			len(rows))
	}
	if first, _ := rows[0].([]any); len(first) != len(columns) {
		t.Errorf("a row has %d cells for %d columns", len(first), len(columns))
	}
}

func distinct(list []string) map[string]bool {
	out := map[string]bool{}
	for _, item := range list {
		out[item] = true
	}
	return out
}

func TestSpotResourcesRefusals(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	client := graphClient(t, InProcessEndpoint, s.Transport())
	tests := []struct {
		name          string
		request       armresourcegraph.QueryRequest
		wantStatus    int
		wantInMessage string
	}{
		{"empty query", armresourcegraph.QueryRequest{Query: to.Ptr(" ")},
			http.StatusBadRequest, "query is empty"},
		{"other subscription", armresourcegraph.QueryRequest{Query: to.Ptr("SpotResources"),
			Subscriptions: []*string{to.Ptr("11111111-1111-1111-1111-111111111111")}},
			http.StatusForbidden, FixedSubscriptionID},
		{"skip token not ours", armresourcegraph.QueryRequest{Query: to.Ptr("SpotResources"),
			Options: &armresourcegraph.QueryRequestOptions{SkipToken: to.Ptr("abc")}},
			http.StatusBadRequest, "$skipToken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Resources(context.Background(), tc.request, nil)
			respErr := responseError(t, err)
			if respErr.StatusCode != tc.wantStatus || !strings.Contains(err.Error(),
				tc.wantInMessage) {
				t.Errorf("got %d %v, want %d naming %q", respErr.StatusCode, err, tc.wantStatus,
					tc.wantInMessage)
			}
		})
	}
}

func TestSpotPriceReaderReadsTheSimulatedMarket(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) {
			s, _ := newTestSim(t, Options{})
			endpoint, transport := connect(t, s, via)
			client, err := azure.NewClient(azure.ClientOptions{SubscriptionID: s.SubscriptionID(),
				ARMEndpoint: endpoint, Transport: transport})
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			infos, err := client.SpotPrices(context.Background(), []azure.SKULocation{
				{SKU: "Standard_D2s_v5", Location: Location},
				{SKU: "Standard_D4as_v5", Location: "WestEurope"}})
			if err != nil {
				t.Fatalf("spot prices: %v", err)
			}
			if len(infos) != 4 {
				t.Fatalf("%d answers, want a Linux and a Windows price for each of 2 sizes: %+v",
					len(infos), infos)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, info := range infos {
				checkSpotInfo(t, s, info)
			}
		})
	}
}

// checkSpotInfo compares what the reader made of the rows with the simulated market.
func checkSpotInfo(t *testing.T, s *Sim, info azure.SpotInfo) {
	t.Helper()
	if want := s.evictionBand(info.SKU); info.EvictionRate != want {
		t.Errorf("%s: eviction rate %q, want %q", info.SKU, info.EvictionRate, want)
	}
	newest, _ := s.priceHistory(info.SKU, info.OSType)[0].(map[string]any)
	if info.PriceUSD == nil || *info.PriceUSD != newest["priceUSD"] {
		t.Errorf("%s %s: price %v, want the newest, %v", info.SKU, info.OSType,
			deref(info.PriceUSD), newest["priceUSD"])
	}
	if info.PriceAt == nil || info.PriceAt.Format(time.RFC3339) != newest["effectiveDate"] {
		t.Errorf("%s %s: price dated %v, want %v", info.SKU, info.OSType, info.PriceAt,
			newest["effectiveDate"])
	}
	if info.OSType == "windows" && info.PriceUSD != nil && *info.PriceUSD <= 0.05 {
		t.Errorf("%s: Windows price %v carries no licence", info.SKU, *info.PriceUSD)
	}
}
