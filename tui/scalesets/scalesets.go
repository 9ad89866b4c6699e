// Package scalesets is the console's first screen: one row per scale set, with how many of
// its instances run and answer healthy.
package scalesets

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"spotdeck/azure"
	"spotdeck/events"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
	"spotdeck/tui/table"
	"spotdeck/tui/theme"
)

// detailLines is the height of the pane under the table that describes the selected row.
const detailLines = 7

var columns = []table.Column{
	{Title: "NAME", Width: 16, Grow: true},
	{Title: "RG", Width: 12, Grow: true, Drop: 6},
	{Title: "LOCATION", Width: 10, Drop: 5},
	{Title: "SKU", Width: 16, Drop: 3},
	{Title: "PRIORITY", Width: 8, Drop: 4},
	{Title: "EVICT", Width: 10, Drop: 7},
	{Title: "CAP", Width: 3},
	{Title: "RUNNING", Width: 7},
	{Title: "HEALTHY", Width: 7},
	{Title: "UPGRADE", Width: 9, Drop: 2},
	{Title: "LABEL", Width: 10, Drop: 1},
}

// Model is the scale sets screen.
type Model struct {
	all     []azure.ScaleSet
	shown   []int // indexes into all that pass the filter
	table   table.Model
	filter  screen.Filter
	width   int
	height  int
	changes bool   // false under --read-only
	asking  string // the action whose number is being typed, "" when none
	input   textinput.Model
	problem string // why the typed number was refused
	spot    []azure.SpotInfo
	pending map[screen.PendingKey]string // changes running on a whole scale set
	events  []events.Event               // newest first
	readAt  time.Time                    // when the fleet shown was read, on the fleet's clock
}

// SetPending takes the changes running, so a scale set being scaled or repriced says so
// until Azure reports the change done.
func (m *Model) SetPending(p map[screen.PendingKey]string) {
	m.pending = p
	m.table.SetRows(len(m.shown), m.cells)
}

// SetSpot takes Spot prices and eviction rates for the details pane.
func (m *Model) SetSpot(infos []azure.SpotInfo) { m.spot = infos }

// New returns an empty scale sets screen. With changes false (--read-only) it neither shows
// nor takes the keys that scale or reprice a scale set.
func New(changes bool) *Model {
	return &Model{table: table.New(columns), filter: screen.NewFilter(), changes: changes}
}

// Title names the screen.
func (m *Model) Title() string { return "scale sets" }

// Keys lists the screen's keys.
func (m *Model) Keys() []key.Binding {
	list := append([]key.Binding{keys.Open, keys.Filter}, keys.TableKeys()...)
	if m.changes {
		list = append(list, keys.Scale, keys.MaxPrice)
	}
	return list
}

// Capturing tells whether the filter or a number prompt is open.
func (m *Model) Capturing() bool { return m.filter.Active() || m.asking != "" }

// SetSize lays the table out in the space given.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.table.SetSize(width, height-detailLines-1)
}

// SetFleet takes the latest reading, keeping the selection on the same scale set.
func (m *Model) SetFleet(fleet azure.Fleet) {
	selected := m.Selected()
	m.all, m.readAt = fleet.ScaleSets, fleet.ReadAt
	m.applyFilter()
	if selected != nil {
		m.selectByID(selected.ID)
	}
}

// SelectedScaleSet names the scale set under the cursor, for the rollout key.
func (m *Model) SelectedScaleSet() (resourceGroup, name string, ok bool) {
	if s := m.Selected(); s != nil {
		return s.ResourceGroup, s.Name, true
	}
	return "", "", false
}

// Selected returns the scale set under the cursor, nil when there is none.
func (m *Model) Selected() *azure.ScaleSet {
	i := m.table.Cursor()
	if i < 0 || i >= len(m.shown) {
		return nil
	}
	return &m.all[m.shown[i]]
}

// Update handles the filter, the movement keys and Enter.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	if m.asking != "" {
		return m, m.updatePrompt(msg)
	}
	km, isKey := msg.(tea.KeyMsg)
	// While the filter takes typing, c and p are letters of the query.
	if isKey && m.changes && m.Selected() != nil && !m.filter.Active() {
		switch {
		case key.Matches(km, keys.Scale):
			return m, m.ask(azure.ActionScale)
		case key.Matches(km, keys.MaxPrice):
			return m, m.ask(azure.ActionMaxPrice)
		}
	}
	if m.filter.Take(msg, m.applyFilter) {
		return m, nil
	}
	if isKey && key.Matches(km, keys.Open) {
		if s := m.Selected(); s != nil {
			return m, screen.Open(screen.OpenScaleSetMsg{
				ResourceGroup: s.ResourceGroup, Name: s.Name})
		}
		return m, nil
	}
	m.table = m.table.Update(msg)
	return m, nil
}

// View draws the table, the filter and the details of the selected scale set.
func (m *Model) View() string {
	if len(m.all) == 0 {
		return theme.Dim.Render("No scale sets in scope yet. " +
			"Check --subscription and --resource-group, or press r to read again.")
	}
	var b strings.Builder
	b.WriteString(m.table.View())
	b.WriteString("\n")
	if m.asking != "" {
		b.WriteString(m.promptView())
	} else {
		b.WriteString(m.filter.View())
	}
	b.WriteString("\n")
	b.WriteString(m.details())
	return b.String()
}

func (m *Model) applyFilter() {
	m.shown = m.shown[:0]
	for i, s := range m.all {
		if m.filter.Match(s.Name, s.ResourceGroup, s.Location, s.SKU, s.Priority, s.Label) {
			m.shown = append(m.shown, i)
		}
	}
	m.table.SetRows(len(m.shown), m.cells)
}

func (m *Model) selectByID(id string) {
	for row, i := range m.shown {
		if m.all[i].ID == id {
			m.table.SetCursor(row)
			return
		}
	}
}

func (m *Model) cells(row int) []string {
	s := m.all[m.shown[row]]
	c := screen.Count(s.Instances)
	name := s.Name
	if op, ok := m.pending[screen.PendingKey{ScaleSet: s.Name}]; ok {
		name = theme.State(theme.Busy, op+"… "+s.Name)
	}
	return []string{
		name, s.ResourceGroup, screen.Or(s.Location), screen.Or(s.SKU),
		priorityCell(s.Priority), screen.Or(s.EvictionPolicy), screen.Int(s.Capacity),
		countCell(s, c.Running, c.Total), healthyCell(s, c),
		screen.Or(s.UpgradeMode), labelCell(s),
	}
}

func priorityCell(priority string) string {
	if priority == "spot" {
		return theme.State(theme.Busy, "spot")
	}
	return screen.Or(priority)
}

func countCell(s azure.ScaleSet, n, total int) string {
	if s.InstancesErr != nil {
		return theme.State(theme.Bad, "error")
	}
	return fmt.Sprintf("%d/%d", n, total)
}

func healthyCell(s azure.ScaleSet, c screen.Counts) string {
	text := countCell(s, c.Healthy, c.Total)
	switch {
	case s.InstancesErr != nil:
		return text
	case !s.HasHealthExtension && c.Healthy == 0:
		return theme.Dim.Render("no probe")
	case c.Unhealthy > 0:
		return theme.State(theme.Bad, text)
	case c.Total > 0 && c.Healthy == c.Total:
		return theme.State(theme.Good, text)
	default:
		return theme.State(theme.Busy, text)
	}
}

func labelCell(s azure.ScaleSet) string {
	if !s.HasCustomScript {
		return theme.Dim.Render("no script")
	}
	return screen.Or(s.Label)
}

// details describes the selected scale set in words, for what the columns cannot hold.
func (m *Model) details() string {
	s := m.Selected()
	if s == nil {
		return theme.Dim.Render("No scale set matches the filter.")
	}
	spot := fmt.Sprintf("%s · evict %s · %s%s", screen.Or(s.Priority),
		screen.Or(s.EvictionPolicy), screen.MaxPrice(s.MaxPrice), restoreText(s.SpotRestore))
	if s.Priority == "regular" {
		spot = "regular priority: never evicted"
	}
	model := fmt.Sprintf("upgrade %s%s · script %s · health ext %s · zones %s · %s",
		screen.Or(s.UpgradeMode), rollingText(s.RollingUpgrade),
		yesNo(s.HasCustomScript, s.Label), yesNo(s.HasHealthExtension, ""), zones(s.Zones),
		screen.Or(s.ProvisioningState))
	lines := []string{theme.Title.Render(s.Name) + "  " + spot, theme.Dim.Render(model)}
	if s.Priority == "spot" {
		lines = append(lines, theme.Dim.Render(spotLine(*s, m.spot)),
			m.evictionLine(s.Name))
	}
	if s.InstancesErr != nil {
		lines = append(lines, theme.ErrorLine.Render("✗ instances: "+s.InstancesErr.Error()))
	}
	return wrapLines(lines, m.width, detailLines)
}

// wrapLines wraps each line to width, so that the end of a detail stays readable, and
// keeps at most rows lines.
func wrapLines(lines []string, width, rows int) string {
	wrap := lipgloss.NewStyle().Width(max(width, 20))
	var out []string
	for _, line := range lines {
		if line == "" {
			continue
		}
		for _, part := range strings.Split(wrap.Render(line), "\n") {
			out = append(out, strings.TrimRight(part, " "))
		}
	}
	if len(out) > rows {
		out = out[:rows]
	}
	return strings.Join(out, "\n")
}

// restoreText tells whether Spot restore brings evicted instances back, when known.
func restoreText(on *bool) string {
	switch {
	case on == nil:
		return ""
	case *on:
		return " · restore on"
	default:
		return " · restore off"
	}
}

// rollingText gives a rolling upgrade's batch size and unhealthy limit, when set.
func rollingText(p *azure.RollingUpgradePolicy) string {
	if p == nil || p.MaxBatchInstancePercent == nil {
		return ""
	}
	text := fmt.Sprintf(" (batches of %d %%", *p.MaxBatchInstancePercent)
	if p.MaxUnhealthyInstancePercent != nil {
		text += fmt.Sprintf(", stop over %d %% unhealthy", *p.MaxUnhealthyInstancePercent)
	}
	return text + ")"
}

func yesNo(ok bool, detail string) string {
	switch {
	case !ok:
		return "✗ none"
	case detail != "":
		return "✓ " + detail
	default:
		return "✓"
	}
}

func zones(z []string) string {
	if len(z) == 0 {
		return "none"
	}
	return strings.Join(z, ",")
}

// spotLine gives the SKU's eviction rate band and Spot price in the scale set's region,
// with when they were read: Azure publishes them from days of history.
func spotLine(s azure.ScaleSet, infos []azure.SpotInfo) string {
	for _, in := range infos {
		if !strings.EqualFold(in.SKU, s.SKU) || !strings.EqualFold(in.Location, s.Location) ||
			(in.OSType != "" && s.OSType != "" && !strings.EqualFold(in.OSType, s.OSType)) {
			continue
		}
		rate, price := "eviction rate unknown", "price unknown"
		if in.EvictionRate != "" {
			rate = "eviction rate " + in.EvictionRate + " %/h"
		}
		if in.PriceUSD != nil {
			price = fmt.Sprintf("Spot price $%.4f/h", *in.PriceUSD)
		}
		return fmt.Sprintf("%s in %s: %s · %s (read %s)", s.SKU, s.Location, rate, price,
			in.ReadAt.Format("15:04"))
	}
	return "Spot price and eviction rate: not read yet"
}

// Filtered tells whether the rows are filtered, so that esc clears the filter first.
func (m *Model) Filtered() bool { return m.filter.Kept() }
