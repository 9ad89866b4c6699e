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
	{Title: "LABEL", Width: 12, Drop: 7},
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
	changes             bool                         // false under --read-only
	marked              map[string]bool              // instance IDs marked with space
	pending             map[screen.PendingKey]string // operations running, by instance
}

// New returns the instances screen of the named scale set; now gives the time for ages.
// With changes false (--read-only) the screen neither shows nor takes changing keys.
func New(resourceGroup, name string, now func() time.Time, changes bool) *Model {
	return &Model{
		resourceGroup: resourceGroup, name: name, now: now, changes: changes,
		table: table.New(columns), filter: screen.NewFilter(), marked: map[string]bool{},
	}
}

// SetPending takes the operations running on instances, so their rows show them. Marks
// of instances an action now runs on are cleared: a cancelled action keeps its marks.
func (m *Model) SetPending(p map[screen.PendingKey]string) {
	m.pending = p
	for k := range p {
		if strings.EqualFold(k.ScaleSet, m.name) {
			delete(m.marked, k.ID)
		}
	}
}

// Title names the screen after its scale set.
func (m *Model) Title() string { return m.name }

// Keys lists the screen's keys.
func (m *Model) Keys() []key.Binding {
	list := append([]key.Binding{keys.Back, keys.Filter}, keys.TableKeys()...)
	if m.changes {
		list = append(list, keys.InstanceActionKeys()...)
	}
	return list
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
		if strings.EqualFold(s.Name, m.name) &&
			strings.EqualFold(s.ResourceGroup, m.resourceGroup) {
			m.set = s
		}
	}
	m.applyFilter()
	m.selectByID(selectedID)
}

// SelectedScaleSet names the screen's scale set, for the rollout key.
func (m *Model) SelectedScaleSet() (resourceGroup, name string, ok bool) {
	return m.resourceGroup, m.name, true
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
	if m.filter.Take(msg, m.applyFilter) {
		return m, nil
	}
	if km, ok := msg.(tea.KeyMsg); ok && m.changes && m.set != nil {
		if cmd, handled := m.handleChangeKey(km); handled {
			return m, cmd
		}
	}
	m.table = m.table.Update(msg)
	return m, nil
}

// actionKinds maps each instance action key to its action.
var actionKinds = []struct {
	binding key.Binding
	kind    string
}{
	{keys.Restart, azure.ActionRestart}, {keys.Reimage, azure.ActionReimage},
	{keys.Delete, azure.ActionDelete}, {keys.Start, azure.ActionStart},
	{keys.Evict, azure.ActionSimulateEviction},
}

// handleChangeKey marks instances, or asks the root to run an action on the marked
// instances (or the one under the cursor when none is marked).
func (m *Model) handleChangeKey(km tea.KeyMsg) (tea.Cmd, bool) {
	if key.Matches(km, keys.Mark) {
		if in := m.Selected(); in != nil {
			m.marked[in.ID] = !m.marked[in.ID]
			if !m.marked[in.ID] {
				delete(m.marked, in.ID)
			}
			m.table.SetCursor(m.table.Cursor() + 1)
		}
		return nil, true
	}
	for _, ak := range actionKinds {
		if key.Matches(km, ak.binding) {
			ids := m.targets()
			if len(ids) == 0 {
				return nil, true
			}
			a := azure.Action{Kind: ak.kind, ScaleSet: m.set.Name,
				ResourceGroup: m.set.ResourceGroup, InstanceIDs: ids}
			return screen.Open(screen.ActionMsg{Action: a, Capacity: m.set.Capacity}), true
		}
	}
	return nil, false
}

// targets are the marked instances in table order, or the selected one.
func (m *Model) targets() []string {
	var ids []string
	for _, in := range m.set.Instances {
		if m.marked[in.ID] {
			ids = append(ids, in.ID)
		}
	}
	if len(ids) == 0 {
		if in := m.Selected(); in != nil {
			ids = []string{in.ID}
		}
	}
	return ids
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
	line := fmt.Sprintf("%d instances · %d running · %d healthy · %d unhealthy · %d behind "+
		"model · label %s", c.Total, c.Running, c.Healthy, c.Unhealthy, c.Behind,
		screen.Or(m.set.Label))
	if n := len(m.marked); n > 0 {
		line += theme.WarnLine.Render(fmt.Sprintf(" · %d marked", n))
	}
	return line
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
	id, power := in.ID, screen.PowerCell(in.Power)
	if m.marked[in.ID] {
		id = "✓" + id
	}
	if op, ok := m.pending[screen.PendingKey{ScaleSet: m.set.Name, ID: in.ID}]; ok {
		power = theme.State(theme.Busy, op+"…")
	}
	return []string{
		id, in.Name, zoneCell(in.Zone), power,
		screen.HealthCell(in.Health), screen.ProvisioningCell(in.Provisioning),
		screen.ModelCell(in.LatestModel), screen.ProvisioningCell(in.Extension.State),
		LabelCell(in.Label, m.set.Label), screen.Age(in.Created, m.now()),
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

// LabelCell shows the label an instance runs beside the scale set's, so drift reads at a
// glance: "v7" when they agree, "v7 → v8" while the instance waits for the new model.
func LabelCell(instance, model string) string {
	switch {
	case model == "" && instance == "":
		return theme.Dim.Render("-")
	case instance == "":
		return theme.Dim.Render("? → " + model)
	case model == "" || instance == model:
		return instance
	default:
		return theme.State(theme.Busy, instance+" → "+model)
	}
}

// Filtered tells whether the rows are filtered, so that esc clears the filter first.
func (m *Model) Filtered() bool { return m.filter.Kept() }
