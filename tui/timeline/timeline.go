// Package timeline is the screen of fleet events, newest first: evictions, instances added
// and removed, health changes, failures and queue alerts, including those recorded before
// this console started.
package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
	"spotdeck/events"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
	"spotdeck/tui/table"
	"spotdeck/tui/theme"
)

var columns = []table.Column{
	{Title: "WHEN", Width: 8},
	{Title: "WHAT", Width: 22},
	{Title: "SCALE SET", Width: 16, Drop: 2},
	{Title: "INST", Width: 4},
	{Title: "ZONE", Width: 4, Drop: 3},
	{Title: "DETAIL", Width: 16, Grow: true, Drop: 1},
}

// Model is the timeline screen.
type Model struct {
	all    []events.Event // newest first
	shown  []int
	table  table.Model
	filter screen.Filter
	now    func() time.Time
}

// New returns an empty timeline; now gives the time for "ago" columns.
func New(now func() time.Time) *Model {
	return &Model{table: table.New(columns), filter: screen.NewFilter(), now: now}
}

// Title names the screen.
func (m *Model) Title() string { return "events" }

// Keys lists the screen's keys.
func (m *Model) Keys() []key.Binding {
	return append([]key.Binding{keys.Back, keys.Filter}, keys.TableKeys()...)
}

// Capturing tells whether the filter prompt is open.
func (m *Model) Capturing() bool { return m.filter.Active() }

// SetSize lays the table out.
func (m *Model) SetSize(width, height int) { m.table.SetSize(width, height-2) }

// SetFleet is part of screen.Screen; the timeline draws events only.
func (m *Model) SetFleet(azure.Fleet) {}

// SetEvents hands the screen the events, newest first.
func (m *Model) SetEvents(evs []events.Event) {
	m.all = evs
	m.applyFilter()
}

// Update handles the filter and movement keys.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	if m.filter.Take(msg, m.applyFilter) {
		return m, nil
	}
	m.table = m.table.Update(msg)
	return m, nil
}

// View draws the events table.
func (m *Model) View() string {
	if len(m.all) == 0 {
		return theme.Dim.Render("No events in the last 24 hours. Evictions, instances added " +
			"or removed, health changes and failures appear here as they happen.")
	}
	return m.table.View() + "\n" + m.filter.View() + "\n" +
		theme.Dim.Render(fmt.Sprintf("%d events in the last 24 h", len(m.all)))
}

func (m *Model) applyFilter() {
	m.shown = m.shown[:0]
	for i, e := range m.all {
		if m.filter.Match(e.Kind, e.Evidence, e.ScaleSet, e.Instance, e.Zone, e.Detail) {
			m.shown = append(m.shown, i)
		}
	}
	m.table.SetRows(len(m.shown), m.cells)
}

func (m *Model) cells(row int) []string {
	e := m.all[m.shown[row]]
	return []string{
		screen.Since(m.now().Sub(e.Time)) + " ago", KindCell(e), e.ScaleSet, e.Instance,
		e.Zone, e.Detail,
	}
}

// KindCell draws an event's kind with its tone; evictions say how sure we are.
func KindCell(e events.Event) string {
	word := e.Kind
	if e.Evidence != "" {
		word = e.Kind + " (" + e.Evidence + ")"
	}
	switch {
	case e.Kind == events.KindEviction, strings.HasSuffix(e.Kind, "failed"),
		e.Kind == events.KindQueueAlert:
		return theme.State(theme.Bad, word)
	case e.Kind == events.KindHealth && strings.HasSuffix(e.Detail, azure.HealthHealthy) &&
		!strings.HasSuffix(e.Detail, azure.HealthUnhealthy):
		return theme.State(theme.Good, word)
	case e.Kind == events.KindHealth:
		return theme.State(theme.Busy, word)
	default:
		return theme.State(theme.Info, word)
	}
}

// Filtered tells whether the rows are filtered, so that esc clears the filter first.
func (m *Model) Filtered() bool { return m.filter.Kept() }
