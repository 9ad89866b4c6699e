package sim

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What Azure publishes about Spot capacity, as Resource Graph's SpotResources table holds
// it: an eviction rate band per VM size and region, and 90 days of Spot prices per size,
// region and operating system. The values are made up, deterministic per seed and size.

// Row types of the SpotResources table.
const (
	spotEvictionRateType = "microsoft.compute/skuspotevictionrate/location"
	spotPriceHistoryType = "microsoft.compute/skuspotpricehistory/ostype/location"
)

// Price history shape: how far back it goes and how often the price changed.
const (
	priceHistorySpan  = 90 * 24 * time.Hour
	priceChangeEvery  = 7 * 24 * time.Hour
	linuxPricePerCore = 0.0095
	// windowsLicensePerCore is what a Windows licence adds per vCPU and hour.
	windowsLicensePerCore = 0.046
)

// evictionBands are the bands Azure publishes, in percent evicted per hour; low bands
// are the common ones.
var evictionBands = []struct {
	band   string
	weight float64
}{{"0-5", 0.45}, {"5-10", 0.25}, {"10-15", 0.15}, {"15-20", 0.1}, {"20+", 0.05}}

// vCPUPattern finds the vCPU count in a size name such as Standard_D4as_v5.
var vCPUPattern = regexp.MustCompile(`^(?i)standard_[a-z]+?(\d+)`)

// spotRow is one row of the SpotResources table, as Resource Graph returns it unprojected.
type spotRow map[string]any

// spotRows returns the SpotResources rows for every VM size of the fleet, of the kinds
// asked for. The caller holds s.mu.
func (s *Sim) spotRows(rates, prices bool) []spotRow {
	var rows []spotRow
	for _, sku := range s.fleetSKUs() {
		if rates {
			rows = append(rows, s.evictionRateRow(sku))
		}
		if prices {
			rows = append(rows, s.priceHistoryRow(sku, "linux"), s.priceHistoryRow(sku, "windows"))
		}
	}
	return rows
}

// fleetSKUs returns the distinct VM sizes of the scale sets, sorted.
func (s *Sim) fleetSKUs() []string {
	seen := map[string]bool{}
	var skus []string
	for _, ss := range s.scaleSets {
		if !seen[strings.ToLower(ss.sku)] {
			seen[strings.ToLower(ss.sku)] = true
			skus = append(skus, ss.sku)
		}
	}
	sort.Strings(skus)
	return skus
}

func (s *Sim) evictionRateRow(sku string) spotRow {
	row := spotResource("/providers/Microsoft.Compute/skuSpotEvictionRate/"+sku+
		"/location/"+Location, sku, spotEvictionRateType)
	row["properties"] = map[string]any{"evictionRate": s.evictionBand(sku)}
	return row
}

func (s *Sim) priceHistoryRow(sku, osType string) spotRow {
	row := spotResource("/providers/Microsoft.Compute/skuSpotPriceHistory/"+sku+"/osType/"+
		osType+"/location/"+Location, sku, spotPriceHistoryType)
	row["properties"] = map[string]any{"osType": osType, "spotPrices": s.priceHistory(sku, osType)}
	return row
}

// spotResource is the part every SpotResources row shares. The size is lower case in
// sku.name, as the table holds it.
func spotResource(id, sku, kind string) spotRow {
	return spotRow{
		"id": id, "name": sku, "type": kind, "location": Location,
		"sku":      map[string]any{"name": strings.ToLower(sku)},
		"tenantId": "", "kind": "", "resourceGroup": "", "subscriptionId": "", "managedBy": "",
		"plan": nil, "tags": nil, "identity": nil, "zones": nil, "extendedLocation": nil,
	}
}

// evictionBand draws the size's band, the same for every read.
func (s *Sim) evictionBand(sku string) string {
	draw := s.rngFor("spot", strings.ToLower(sku), "band").Float64()
	for _, b := range evictionBands {
		if draw < b.weight {
			return b.band
		}
		draw -= b.weight
	}
	return evictionBands[len(evictionBands)-1].band
}

// priceHistory returns the size's prices, newest first, one entry per price change over
// the last 90 days before the simulation began.
func (s *Sim) priceHistory(sku, osType string) []any {
	rng := s.rngFor("spot", strings.ToLower(sku), "price")
	base := basePrice(sku, osType)
	newest := s.clock.start.Truncate(24 * time.Hour)
	entries := make([]any, 0, int(priceHistorySpan/priceChangeEvery)+1)
	price := base
	for at := newest; !at.Before(newest.Add(-priceHistorySpan)); at = at.Add(-priceChangeEvery) {
		entries = append(entries, map[string]any{
			"priceUSD":      math.Round(price*1e5) / 1e5,
			"effectiveDate": at.Format(time.RFC3339),
		})
		// A random walk of a few percent a week, kept near the base price.
		price = math.Min(math.Max(price*(0.94+0.12*rng.Float64()), base*0.7), base*1.3)
	}
	return entries
}

// basePrice is a plausible Spot price per hour for the size and operating system.
func basePrice(sku, osType string) float64 {
	cores := 2.0
	if m := vCPUPattern.FindStringSubmatch(sku); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			cores = float64(n)
		}
	}
	price := cores * linuxPricePerCore
	if osType == "windows" {
		price += cores * windowsLicensePerCore
	}
	return price
}
