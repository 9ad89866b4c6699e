// Package instances is the screen of one scale set's instances: power, provisioning, health,
// model and Custom Script Extension state for each.
package instances

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
	"spotdeck/tui/table"
	"spotdeck/tui/theme"
)

// summaryLines and detailLines frame the table: a summary above, the selection below.
const (
	summaryLines = 1
	detailLines  = 2
)

var columns = []table.Column{
	{Title: "ID", Width: 4},
	{Title: "NAME", Width: 14, Grow: true, Drop: 9},
	{Title: "ZONE", Width: 4, Drop: 5},
	{Title: "POWER", Width: 13},
	{Title: "HEALTH", Width: 14},
	{Title: "PROVISION", Width: 11, Drop: 6},
	{Title: "MODEL", Width: 9},
	{Title: "SCRIPT", Width: 11, Drop: 4},
	{Title: "AGE", Width: 4, Drop: 8},
}

// Model is the instances screen of one scale set.
type Model struct {
	resourceGroup, name string
	set                 *azure.ScaleSet
	shown               []int
	table               table.Model
	filter              screen.Filter
	now                 func() time.Time
}

// New returns the instances screen of the named scale set; now gives the time for ages.
func New(resourceGroup, name string, now func() time.Time) *Model {
	return &Model{
		resourceGroup: resourceGroup, name: name, now: now,
		table: table.New(columns), filter: screen.NewFilter(),
	}
}

// Title names the screen after its scale set.
func (m *Model) Title() string { return m.name }

// Keys lists the screen's keys.
func (m *Model) Keys() []key.Binding {
	return append([]key.Binding{keys.Back, keys.Filter}, keys.TableKeys()...)
}

// Capturing tells whether the filter prompt is open.
func (m *Model) Capturing() bool { return m.filter.Active() }

// SetSize lays the table out in the space given.
func (m *Model) SetSize(width, height int) {
	m.table.SetSize(width, height-summaryLines-detailLines-1)
}

// SetFleet finds this screen's scale set in the latest reading.
func (m *Model) SetFleet(fleet azure.Fleet) {
	var selectedID string
	if in := m.Selected(); in != nil {
		selectedID = in.ID
	}
	m.set = nil
	for i := range fleet.ScaleSets {
		s := &fleet.ScaleSets[i]
		if strings.EqualFold(s.Name, m.name) && strings.EqualFold(s.ResourceGroup, m.resourceGroup) {
			m.set = s
		}
	}
	m.applyFilter()
	m.selectByID(selectedID)
}

// Selected returns the instance under the cursor, nil when there is none.
func (m *Model) Selected() *azure.Instance {
	i := m.table.Cursor()
	if m.set == nil || i < 0 || i >= len(m.shown) {
		return nil
	}
	return &m.set.Instances[m.shown[i]]
}

// Update handles the filter and the movement keys.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	before := m.filter.Query()
	var used bool
	if m.filter, used = m.filter.Update(msg); used {
		if m.filter.Query() != before {
			m.applyFilter()
		}
		return m, nil
	}
	m.table = m.table.Update(msg)
	return m, nil
}

// View draws the summary, the table of visible rows only, and the selected instance.
func (m *Model) View() string {
	if m.set == nil {
		return theme.WarnLine.Render(fmt.Sprintf(
			"Scale set %s (%s) is not in the latest reading: it was deleted, or the scope "+
				"changed. Press esc to go back.", m.name, m.resourceGroup))
	}
	var b strings.Builder
	b.WriteString(m.summary())
	b.WriteString("\n")
	b.WriteString(m.table.View())
	b.WriteString("\n")
	b.WriteString(m.filter.View())
	b.WriteString("\n")
	b.WriteString(m.details())
	return b.String()
}

func (m *Model) summary() string {
	if m.set.InstancesErr != nil {
		return theme.ErrorLine.Render("✗ could not read instances: " + m.set.InstancesErr.Error())
	}
	c := screen.Count(m.set.Instances)
	return fmt.Sprintf("%d instances · %d running · %d healthy · %d unhealthy · %d behind model"+
		" · label %s", c.Total, c.Running, c.Healthy, c.Unhealthy, c.Behind, screen.Or(m.set.Label))
}

func (m *Model) applyFilter() {
	m.shown = m.shown[:0]
	if m.set != nil {
		for i, in := range m.set.Instances {
			if m.filter.Match(in.ID, in.Name, in.ComputerName, in.Zone, in.Power, in.Health,
				in.Provisioning, in.Extension.State) {
				m.shown = append(m.shown, i)
			}
		}
	}
	m.table.SetRows(len(m.shown), m.cells)
}

func (m *Model) selectByID(id string) {
	for row, i := range m.shown {
		if m.set.Instances[i].ID == id {
			m.table.SetCursor(row)
			return
		}
	}
}

func (m *Model) cells(row int) []string {
	in := m.set.Instances[m.shown[row]]
	return []string{
		in.ID, in.Name, zoneCell(in.Zone), screen.PowerCell(in.Power),
		screen.HealthCell(in.Health), screen.ProvisioningCell(in.Provisioning),
		screen.ModelCell(in.LatestModel), screen.ProvisioningCell(in.Extension.State),
		screen.Age(in.Created, m.now()),
	}
}

func (m *Model) details() string {
	in := m.Selected()
	if in == nil {
		return theme.Dim.Render("No instance matches the filter.")
	}
	head := fmt.Sprintf("%s  computer %s · zone %s · created %s ago", theme.Title.Render(in.Name),
		screen.Or(in.ComputerName), screen.Or(in.Zone), screen.Age(in.Created, m.now()))
	script := "script: " + screen.Or(in.Extension.State)
	if in.Extension.Message != "" {
		script += " — " + in.Extension.Message
	}
	if in.Label != "" {
		script += " · label " + in.Label
	}
	style := theme.Dim
	if in.Extension.State == "failed" {
		style = theme.ErrorLine
	}
	return head + "\n" + style.Render(script)
}

// zoneCell shows "-" for an instance outside any zone (a regional scale set).
func zoneCell(zone string) string {
	if zone == "" {
		return "-"
	}
	return zone
}
