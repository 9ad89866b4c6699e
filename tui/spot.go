package tui

import (
	"context"
	"log/slog"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
)

// spotEvery is how often Spot prices and eviction rates are read again: Azure publishes
// them for days and weeks, and Resource Graph limits queries per user.
const spotEvery = 30 * time.Minute

type (
	// spotMsg carries Spot prices and eviction rates.
	spotMsg struct {
		infos []azure.SpotInfo
		err   error
	}
	// spotTickMsg asks for the next reading of Spot prices.
	spotTickMsg struct{}
)

// readSpotCmd reads prices for the SKUs and regions of the fleet's Spot scale sets.
func readSpotCmd(r azure.SpotPriceReader, fleet azure.Fleet, timeout time.Duration) tea.Cmd {
	var skus []azure.SKULocation
	seen := map[string]bool{}
	for _, s := range fleet.ScaleSets {
		key := strings.ToLower(s.SKU + "|" + s.Location)
		if s.Priority != "spot" || s.SKU == "" || s.Location == "" || seen[key] {
			continue
		}
		seen[key] = true
		skus = append(skus, azure.SKULocation{SKU: s.SKU, Location: s.Location})
	}
	if r == nil || len(skus) == 0 {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		infos, err := r.SpotPrices(ctx, skus)
		return spotMsg{infos: infos, err: err}
	}
}

// spotSetter is a screen that shows Spot prices.
type spotSetter interface{ SetSpot([]azure.SpotInfo) }

func (m Model) takeSpot(msg spotMsg) (tea.Model, tea.Cmd) {
	next := tea.Tick(spotEvery, func(time.Time) tea.Msg { return spotTickMsg{} })
	if msg.err != nil {
		// Prices are background facts: the console goes on without them.
		slog.Warn("read spot prices", "err", msg.err)
		return m, next
	}
	m.spot = msg.infos
	for _, s := range m.stack {
		if ss, ok := s.(spotSetter); ok {
			ss.SetSpot(m.spot)
		}
	}
	return m, next
}
