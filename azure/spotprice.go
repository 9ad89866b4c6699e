package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
)

// Row types of Azure Resource Graph's SpotResources table.
const (
	spotEvictionRateType = "microsoft.compute/skuspotevictionrate/location"
	spotPriceHistoryType = "microsoft.compute/skuspotpricehistory/ostype/location"
)

// Resource Graph pages: the most rows one answer may hold, and a bound on the pages read,
// which a well-behaved answer (three rows per VM size and region) never comes near.
const (
	graphPageRows = 1000
	graphMaxPages = 20
)

// Names VM sizes and regions are made of. Checking them keeps a name from changing the
// query it is placed in.
var (
	skuNamePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	locationPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,40}$`)
)

// priceDateLayouts are the forms a Spot price date has been seen in.
var priceDateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"}

// SKULocation names a VM size in a region, as a scale set's model gives them, e.g.
// {SKU: "Standard_D2s_v4", Location: "eastus"}.
type SKULocation struct {
	SKU      string
	Location string
}

// SpotInfo is what Azure publishes about Spot capacity for one VM size, region and
// operating system. Empty strings and nil pointers mean Azure published no value.
type SpotInfo struct {
	// SKU and Location are spelled as they were asked for.
	SKU      string
	Location string
	// OSType is "linux" or "windows"; "" when Azure published no price for the size.
	OSType string
	// EvictionRate is a band of percent evicted per hour, such as "0-5" or "5-10".
	EvictionRate string
	// PriceUSD is the latest Spot price per hour, in US dollars.
	PriceUSD *float64
	// PriceAt is when PriceUSD took effect, when Azure says.
	PriceAt *time.Time
	// ReadAt is when the values were read.
	ReadAt time.Time
}

// SpotPriceReader reads Spot prices and eviction rates. The console depends on this
// interface; the real one is *Client.
type SpotPriceReader interface {
	// SpotPrices returns what Azure publishes for each VM size and region asked for.
	SpotPrices(ctx context.Context, skus []SKULocation) ([]SpotInfo, error)
}

var _ SpotPriceReader = (*Client)(nil)

// SpotPrices reads the eviction rate band and the latest Spot price of each VM size and
// region from Azure Resource Graph, in one query scoped to the client's subscription. It
// returns at least one SpotInfo per distinct pair asked for, in the order asked: one per
// operating system Azure prices, or one with no price when it prices none. The values
// change slowly and Resource Graph limits queries per user, so callers cache the answer
// for minutes rather than reading it on every refresh.
func (c *Client) SpotPrices(ctx context.Context, skus []SKULocation) ([]SpotInfo, error) {
	wanted, err := distinctSKULocations(skus)
	if err != nil || len(wanted) == 0 {
		return nil, err
	}
	graph, err := armresourcegraph.NewClient(c.credential, c.armOptions)
	if err != nil {
		return nil, fmt.Errorf("prepare the Azure Resource Graph client for %s: %w",
			c.endpoint, err)
	}
	rows, err := c.querySpotRows(ctx, graph, spotQuery(wanted))
	if err != nil {
		subscription := "subscription " + c.subscriptionID
		return nil, describeFailure("read Spot prices and eviction rates from Azure "+
			"Resource Graph for "+subscription, subscription+" to query Azure Resource Graph",
			err)
	}
	return joinSpotRows(wanted, rows, time.Now()), nil
}

// distinctSKULocations checks the pairs asked for and drops repeats, comparing without
// regard to case.
func distinctSKULocations(skus []SKULocation) ([]SKULocation, error) {
	var out []SKULocation
	seen := make(map[string]bool)
	for _, s := range skus {
		s = SKULocation{SKU: strings.TrimSpace(s.SKU), Location: strings.TrimSpace(s.Location)}
		if !skuNamePattern.MatchString(s.SKU) {
			return nil, fmt.Errorf("read Spot prices: VM size %q is not a size name (letters, "+
				"digits, '_' and '-'); check the scale set's sku.name", s.SKU)
		}
		if !locationPattern.MatchString(s.Location) {
			return nil, fmt.Errorf("read Spot prices: region %q of VM size %s is not a "+
				"region name (letters and digits, e.g. eastus); check the scale set's location",
				s.Location, s.SKU)
		}
		if key := spotKey(s.SKU, s.Location); !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	return out, nil
}

// spotQuery builds the KQL query for the eviction rate and price rows of the given pairs.
// Its projection gives each row the columns type, skuName, location, osType, evictionRate
// and spotPrices. Sizes and regions are filtered separately, so rows of other pairs made
// from the same names can come back; joinSpotRows leaves them out.
func spotQuery(wanted []SKULocation) string {
	var sizes, regions []string
	for _, w := range wanted {
		sizes = appendUnique(sizes, "'"+strings.ToLower(w.SKU)+"'")
		regions = appendUnique(regions, "'"+strings.ToLower(w.Location)+"'")
	}
	return strings.Join([]string{
		"SpotResources",
		"| where type in~ ('" + spotEvictionRateType + "', '" + spotPriceHistoryType + "')",
		"| where tolower(tostring(sku.name)) in~ (" + strings.Join(sizes, ", ") + ")",
		"| where location in~ (" + strings.Join(regions, ", ") + ")",
		"| project type, skuName = tostring(sku.name), location, " +
			"osType = tostring(properties.osType), " +
			"evictionRate = tostring(properties.evictionRate), " +
			"spotPrices = properties.spotPrices",
	}, "\n")
}

func appendUnique(list []string, item string) []string {
	if slices.Contains(list, item) {
		return list
	}
	return append(list, item)
}

// querySpotRows runs the query and follows its skip tokens, gathering the rows of every
// page as objects.
func (c *Client) querySpotRows(ctx context.Context, graph *armresourcegraph.Client,
	query string) ([]map[string]any, error) {
	request := armresourcegraph.QueryRequest{
		Query:         to.Ptr(query),
		Subscriptions: []*string{to.Ptr(c.subscriptionID)},
		Options: &armresourcegraph.QueryRequestOptions{
			ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray),
			Top:          to.Ptr[int32](graphPageRows),
		},
	}
	var rows []map[string]any
	for range graphMaxPages {
		page, err := graph.Resources(ctx, request, nil)
		if err != nil {
			return nil, err
		}
		rows = append(rows, graphRows(page.Data)...)
		next := stringOf(page.SkipToken)
		if next == "" {
			return rows, nil
		}
		request.Options.SkipToken = to.Ptr(next)
	}
	return nil, fmt.Errorf("the answer still had more pages after %d; narrow the VM sizes "+
		"asked for", graphMaxPages)
}

// graphRows turns a query's data into one object per row. Resource Graph answers with an
// array of objects, or, in the table format, with columns and rows of values; anything
// else, and any row of another shape, is left out.
func graphRows(data any) []map[string]any {
	switch d := data.(type) {
	case []any:
		rows := make([]map[string]any, 0, len(d))
		for _, item := range d {
			if row, ok := item.(map[string]any); ok {
				rows = append(rows, row)
			}
		}
		return rows
	case map[string]any:
		return tableRows(d)
	}
	return nil
}

// tableRows names the values of each row of a table answer by the table's columns. A row
// whose length differs from the columns' is left out rather than guessed at.
func tableRows(table map[string]any) []map[string]any {
	columns := columnNames(table["columns"])
	values, _ := table["rows"].([]any)
	rows := make([]map[string]any, 0, len(values))
	for _, value := range values {
		cells, ok := value.([]any)
		if !ok || len(cells) != len(columns) {
			continue
		}
		row := make(map[string]any, len(columns))
		for i, name := range columns {
			row[name] = cells[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// columnNames returns the names of a table's columns, "" for a column without one.
func columnNames(raw any) []string {
	list, _ := raw.([]any)
	names := make([]string, len(list))
	for i, column := range list {
		if object, ok := column.(map[string]any); ok {
			names[i], _ = object["name"].(string)
		}
	}
	return names
}

// spotRows is what the rows say, keyed by spotKey: the eviction rate of each size and
// region, and the latest price for each of their operating systems.
type spotRows struct {
	rates  map[string]string
	prices map[string]map[string]spotPrice
}

// spotPrice is one entry of a price history.
type spotPrice struct {
	usd float64
	at  *time.Time
}

// joinSpotRows gives each pair asked for its rate and prices, stamped with the read time.
func joinSpotRows(wanted []SKULocation, rows []map[string]any, readAt time.Time) []SpotInfo {
	found := collectSpotRows(rows)
	var out []SpotInfo
	for _, w := range wanted {
		key := spotKey(w.SKU, w.Location)
		base := SpotInfo{SKU: w.SKU, Location: w.Location, EvictionRate: found.rates[key],
			ReadAt: readAt}
		byOS := found.prices[key]
		if len(byOS) == 0 {
			out = append(out, base)
			continue
		}
		for _, osType := range sortedKeys(byOS) {
			info := base
			info.OSType = osType
			info.PriceUSD = to.Ptr(byOS[osType].usd)
			info.PriceAt = copyOf(byOS[osType].at)
			out = append(out, info)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

// collectSpotRows sorts the rows into rates and prices, skipping rows it cannot read.
func collectSpotRows(rows []map[string]any) spotRows {
	found := spotRows{rates: map[string]string{}, prices: map[string]map[string]spotPrice{}}
	for _, row := range rows {
		key := spotKey(rowText(row, "skuName", "sku.name"), rowText(row, "location"))
		if strings.HasPrefix(key, "|") || strings.HasSuffix(key, "|") {
			continue
		}
		switch strings.ToLower(rowText(row, "type")) {
		case spotEvictionRateType:
			if rate := rowText(row, "evictionRate", "properties.evictionRate"); rate != "" {
				found.rates[key] = rate
			}
		case spotPriceHistoryType:
			found.addPrice(key, row)
		}
	}
	return found
}

// addPrice records the latest price of a price history row, when it has a readable one.
func (f spotRows) addPrice(key string, row map[string]any) {
	osType := strings.ToLower(rowText(row, "osType", "properties.osType"))
	prices := rowValue(row, "spotPrices")
	if prices == nil {
		prices = rowValue(row, "properties.spotPrices")
	}
	latest, ok := latestPrice(prices)
	if osType == "" || !ok {
		return
	}
	if f.prices[key] == nil {
		f.prices[key] = map[string]spotPrice{}
	}
	f.prices[key][osType] = latest
}

// spotKey is the case-insensitive key of a VM size in a region.
func spotKey(sku, location string) string {
	return strings.ToLower(sku) + "|" + strings.ToLower(location)
}

// rowValue returns the value at a dotted path of a row, or nil.
func rowValue(row map[string]any, path string) any {
	var value any = row
	for _, name := range strings.Split(path, ".") {
		object, ok := value.(map[string]any)
		if !ok {
			return nil
		}
		value = object[name]
	}
	return value
}

// rowText returns the first non-empty string found at the given paths of a row, or "".
// A projected row has flat columns; a raw SpotResources row nests them, hence the choice.
func rowText(row map[string]any, paths ...string) string {
	for _, path := range paths {
		if text, ok := rowValue(row, path).(string); ok && strings.TrimSpace(text) != "" {
			return strings.TrimSpace(text)
		}
	}
	return ""
}

// latestPrice picks the entry with the latest date from a price history. The docs' sample
// reads the first entry as the latest; the dates decide here, and the first readable entry
// is taken only when no entry has a date.
func latestPrice(history any) (spotPrice, bool) {
	if text, ok := history.(string); ok {
		// A query that turned the history into text still holds it as JSON.
		if json.Unmarshal([]byte(text), &history) != nil {
			return spotPrice{}, false
		}
	}
	entries, _ := history.([]any)
	var best spotPrice
	found := false
	for _, raw := range entries {
		entry, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		price, ok := priceOf(entry)
		if ok && (!found || laterThan(price.at, best.at)) {
			best, found = price, true
		}
	}
	return best, found
}

// laterThan tells whether date a is after date b; any date is later than none.
func laterThan(a, b *time.Time) bool {
	return a != nil && (b == nil || a.After(*b))
}

// priceOf reads one price history entry: priceUSD, and its date from effectiveDate or,
// in some answers, dateTime.
func priceOf(entry map[string]any) (spotPrice, bool) {
	usd, ok := numberOf(entry["priceUSD"])
	if !ok || usd < 0 {
		return spotPrice{}, false
	}
	price := spotPrice{usd: usd}
	for _, field := range []string{"effectiveDate", "dateTime"} {
		if at, ok := dateOf(entry[field]); ok {
			price.at = &at
			break
		}
	}
	return price, true
}

// numberOf reads a finite number sent as a JSON number or as text.
func numberOf(raw any) (float64, bool) {
	var value float64
	switch v := raw.(type) {
	case float64:
		value = v
	case json.Number:
		parsed, err := v.Float64()
		if err != nil {
			return 0, false
		}
		value = parsed
	case string:
		parsed, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, false
		}
		value = parsed
	default:
		return 0, false
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return 0, false
	}
	return value, true
}

// dateOf reads a date sent as text in one of the forms seen; a date without a zone is UTC.
func dateOf(raw any) (time.Time, bool) {
	text, ok := raw.(string)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range priceDateLayouts {
		if at, err := time.Parse(layout, strings.TrimSpace(text)); err == nil {
			return at.UTC(), true
		}
	}
	return time.Time{}, false
}
