// Package auditlog is the screen of the audit log: every change made with spotdeck, by
// this operator and, when storage is configured, by the team, newest first.
package auditlog

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
	"spotdeck/tui/table"
	"spotdeck/tui/theme"
)

// Since is how far back the screen reads.
const Since = 24 * time.Hour

// Title names the screen in the header.
const Title = "audit log"

var columns = []table.Column{
	{Title: "WHEN", Width: 8},
	{Title: "WHO", Width: 16, Drop: 1},
	{Title: "ACTION", Width: 22},
	{Title: "TARGETS", Width: 18, Grow: true},
	{Title: "RESULT", Width: 8, Grow: true},
	{Title: "FROM", Width: 10, Drop: 2},
}

// Model is the audit screen.
type Model struct {
	records []audit.Record // newest first
	shown   []int
	table   table.Model
	filter  screen.Filter
	now     func() time.Time
	loaded  bool
	err     error
	// warning is why the team's shared copy could not be read, shown under the table.
	warning string
}

// New returns the screen before its first reading; now gives the operator's time.
func New(now func() time.Time) *Model {
	return &Model{table: table.New(columns), filter: screen.NewFilter(), now: now}
}

// Title names the screen.
func (m *Model) Title() string { return Title }

// Keys lists the screen's keys.
func (m *Model) Keys() []key.Binding {
	return append([]key.Binding{keys.Back, keys.Filter}, keys.TableKeys()...)
}

// Capturing tells whether the filter prompt is open.
func (m *Model) Capturing() bool { return m.filter.Active() }

// SetSize lays the table out.
func (m *Model) SetSize(width, height int) { m.table.SetSize(width, height-2) }

// SetFleet is part of screen.Screen; the audit screen draws records only.
func (m *Model) SetFleet(azure.Fleet) {}

// SetRecords hands the screen a reading of the log; warning says the shared copy failed.
func (m *Model) SetRecords(records []audit.Record, err error, warning string) {
	m.loaded, m.err, m.warning = true, err, warning
	if err != nil {
		return
	}
	m.records = append([]audit.Record(nil), records...)
	sort.SliceStable(m.records, func(i, j int) bool {
		return m.records[i].Time.After(m.records[j].Time)
	})
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

// View draws the records, or says why there are none.
func (m *Model) View() string {
	switch {
	case !m.loaded:
		return theme.Dim.Render("Reading the audit log…")
	case m.err != nil:
		return theme.ErrorLine.Render("✗ could not read the audit log: " + m.err.Error())
	case len(m.records) == 0:
		return theme.Dim.Render("No changes in the last 24 hours. Every change made with " +
			"spotdeck (arm with a, then act) is recorded here: who, from where, what, result.")
	}
	footer := fmt.Sprintf("%d changes in the last 24 h · spotdeck audit lists them too",
		len(m.records))
	if m.warning != "" {
		footer = theme.WarnLine.Render("⚠ local records only: "+m.warning) + " · " + footer
	}
	return m.table.View() + "\n" + m.filter.View() + "\n" + theme.Dim.Render(footer)
}

func (m *Model) applyFilter() {
	m.shown = m.shown[:0]
	for i, r := range m.records {
		if m.filter.Match(r.Who, r.Action, strings.Join(r.Targets, " "), r.Result, r.Host) {
			m.shown = append(m.shown, i)
		}
	}
	m.table.SetRows(len(m.shown), m.cells)
}

func (m *Model) cells(row int) []string {
	r := m.records[m.shown[row]]
	from := r.Host
	if r.SSHClient != "" {
		from += " (ssh " + r.SSHClient + ")"
	}
	return []string{screen.Since(m.now().Sub(r.Time)) + " ago", r.Who, r.Action,
		targetsCell(r.Targets), resultCell(r.Result), from}
}

// targetsCell names the targets without the resource group, instances grouped by scale
// set: "vmss-func-win/0,3 vmss-func-linux".
func targetsCell(targets []string) string {
	var order []string
	ids := map[string][]string{}
	for _, t := range targets {
		if strings.HasPrefix(t, "/") {
			order, ids[t] = append(order, t), []string{} // a file: setup wrote the config
			continue
		}
		parts := strings.Split(t, "/")
		set, id := t, ""
		switch {
		case len(parts) >= 3:
			set, id = parts[len(parts)-2], parts[len(parts)-1]
		case len(parts) == 2:
			set = parts[1]
		}
		if _, seen := ids[set]; !seen {
			order = append(order, set)
		}
		if id != "" {
			ids[set] = append(ids[set], id)
		} else if ids[set] == nil {
			ids[set] = []string{}
		}
	}
	cells := make([]string, len(order))
	for i, set := range order {
		cells[i] = set
		if len(ids[set]) > 0 {
			cells[i] += "/" + strings.Join(ids[set], ",")
		}
	}
	return strings.Join(cells, " ")
}

func resultCell(result string) string {
	if result == audit.ResultOK {
		return theme.State(theme.Good, "ok")
	}
	return theme.State(theme.Bad, result)
}

// Filtered tells whether the rows are filtered, so that esc clears the filter first.
func (m *Model) Filtered() bool { return m.filter.Kept() }
