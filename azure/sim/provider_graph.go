package sim

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph/fake"

	"spotdeck/azure"
)

// The Microsoft.ResourceGraph provider: queries of the SpotResources table. The simulation
// does not run KQL: a query that names the eviction-rate or price-history row type gets
// every row of that type for the fleet's VM sizes in the simulated region (both when it
// names SpotResources and neither type); any other query gets no rows. Callers filter the
// rows they asked for, as they must against a real answer too. Rows come unprojected, with
// sku.name and the properties nested as the table holds them.

// OpQueryResources runs a Resource Graph query (armresourcegraph.Client.Resources).
const OpQueryResources = "Client.Resources"

// Resource Graph page sizes: the default and the most one answer holds.
const (
	graphDefaultTop = 100
	graphMaxTop     = 1000
)

func init() {
	registerProvider(provider{
		name: "Microsoft.ResourceGraph",
		routes: []route{newRoute(http.MethodPost, "/providers/Microsoft.ResourceGraph/resources",
			OpQueryResources)},
		transport: func(s *Sim, _ *http.Request) azure.Transporter {
			return fake.NewServerTransport(&fake.Server{Resources: s.queryResources})
		},
	})
}

type graphResponse = armresourcegraph.ClientResourcesResponse

// queryResources answers one Resource Graph query.
func (s *Sim) queryResources(_ context.Context, query armresourcegraph.QueryRequest,
	_ *armresourcegraph.ClientResourcesOptions) (resp azfake.Responder[graphResponse],
	errResp azfake.ErrorResponder) {
	rates, prices, err := askedRowTypes(query.Query)
	if err == nil {
		err = checkGraphScope(query.Subscriptions)
	}
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	s.lockAndAdvance()
	rows := s.spotRows(rates, prices)
	s.mu.Unlock()

	first, top, err := graphWindow(query.Options, len(rows))
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	last := min(first+top, len(rows))
	answer := armresourcegraph.QueryResponse{
		Count:           to.Ptr(int64(last - first)),
		Data:            graphData(rows[first:last], query.Options),
		ResultTruncated: to.Ptr(armresourcegraph.ResultTruncatedFalse),
		TotalRecords:    to.Ptr(int64(len(rows))),
	}
	if last < len(rows) {
		answer.SkipToken = to.Ptr(strconv.Itoa(last))
	}
	resp.SetResponse(http.StatusOK, graphResponse{QueryResponse: answer}, nil)
	return resp, errResp
}

// askedRowTypes tells which row types a query asks for, by the names it mentions.
func askedRowTypes(query *string) (rates, prices bool, err *armError) {
	if query == nil || strings.TrimSpace(*query) == "" {
		return false, false, badRequest("BadRequest", "The query is empty; send a KQL "+
			"query such as: SpotResources | where type =~ '"+spotEvictionRateType+"'")
	}
	text := strings.ToLower(*query)
	rates = strings.Contains(text, "skuspotevictionrate")
	prices = strings.Contains(text, "skuspotpricehistory")
	if !rates && !prices && strings.Contains(text, "spotresources") {
		rates, prices = true, true
	}
	return rates, prices, nil
}

// checkGraphScope refuses a query scoped to subscriptions none of which is simulated.
func checkGraphScope(subscriptions []*string) *armError {
	if len(subscriptions) == 0 {
		return nil
	}
	var named []string
	for _, id := range subscriptions {
		if id != nil && strings.EqualFold(*id, FixedSubscriptionID) {
			return nil
		}
		if id != nil {
			named = append(named, *id)
		}
	}
	return &armError{status: http.StatusForbidden, code: "AuthorizationFailed",
		message: fmt.Sprintf("The query is scoped to subscriptions %s; the simulated "+
			"subscription is %s.", strings.Join(named, ", "), FixedSubscriptionID)}
}

// graphWindow returns the first row and the page size a query asks for: $skipToken (an
// offset this simulation issued) or skip, and top.
func graphWindow(opts *armresourcegraph.QueryRequestOptions, total int) (int, int, *armError) {
	first, top := 0, graphDefaultTop
	if opts == nil {
		return first, top, nil
	}
	if opts.Top != nil {
		top = min(max(int(*opts.Top), 1), graphMaxTop)
	}
	if opts.Skip != nil {
		first = max(int(*opts.Skip), 0)
	}
	if opts.SkipToken != nil && *opts.SkipToken != "" {
		offset, err := strconv.Atoi(*opts.SkipToken)
		if err != nil || offset < 0 || offset > total {
			return 0, 0, badRequest("InvalidSkipToken", fmt.Sprintf("The $skipToken '%s' "+
				"is not one this subscription issued; run the query again without it.",
				*opts.SkipToken))
		}
		first = offset
	}
	return min(first, total), top, nil
}

// graphData renders rows as an array of objects or, when asked, as a table.
func graphData(rows []spotRow, opts *armresourcegraph.QueryRequestOptions) any {
	if opts != nil && opts.ResultFormat != nil &&
		*opts.ResultFormat == armresourcegraph.ResultFormatTable {
		return graphTable(rows)
	}
	out := make([]any, 0, len(rows))
	for _, row := range rows {
		out = append(out, map[string]any(row))
	}
	return out
}

// graphTable renders rows as Resource Graph's table format: named columns, value rows.
func graphTable(rows []spotRow) map[string]any {
	var names []string
	if len(rows) > 0 {
		for name := range rows[0] {
			names = append(names, name)
		}
		sort.Strings(names)
	}
	columns := make([]any, 0, len(names))
	for _, name := range names {
		columns = append(columns, map[string]any{"name": name, "type": columnType(rows[0][name])})
	}
	values := make([]any, 0, len(rows))
	for _, row := range rows {
		cells := make([]any, 0, len(names))
		for _, name := range names {
			cells = append(cells, row[name])
		}
		values = append(values, cells)
	}
	return map[string]any{"columns": columns, "rows": values}
}

// columnType names a value's type as Resource Graph's table columns do: the rows hold
// only text and objects.
func columnType(value any) string {
	if _, ok := value.(string); ok {
		return "string"
	}
	return "object"
}
