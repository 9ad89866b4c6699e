// Package table draws a scrolling table that renders only the rows in view, so a screen of
// thousands of instances costs the same to draw as a screen of ten.
package table

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"spotdeck/tui/keys"
	"spotdeck/tui/theme"
)

// Column describes one column. When the terminal is too narrow for every column, the
// columns with the highest Drop value go first (the least needed carry the highest
// numbers); Drop 0 columns always stay.
type Column struct {
	Title string
	Width int
	Grow  bool
	Drop  int
}

// CellFunc returns the cells of row i, one per column; cells may carry styling.
type CellFunc func(i int) []string

const gap = 2

// Model is the table's state: which row is selected and which rows are in view.
type Model struct {
	columns []Column
	widths  []int // laid-out width per column; 0 means hidden
	rows    int
	cells   CellFunc
	cursor  int
	offset  int
	width   int
	height  int // rows of data in view, not counting the header
}

// New returns a table with the given columns.
func New(columns []Column) Model {
	m := Model{columns: columns}
	m.layout()
	return m
}

// SetRows sets how many rows there are and how to draw one. The cursor stays on the same
// index when it can.
func (m *Model) SetRows(n int, cells CellFunc) {
	m.rows, m.cells = n, cells
	m.clamp()
}

// SetSize sets the space the table has, header included.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, max(height-1, 1)
	m.layout()
	m.clamp()
}

// Cursor returns the index of the selected row, -1 when the table is empty.
func (m Model) Cursor() int {
	if m.rows == 0 {
		return -1
	}
	return m.cursor
}

// SetCursor selects row i, clamped to the rows there are.
func (m *Model) SetCursor(i int) {
	m.cursor = i
	m.clamp()
}

// Update moves the cursor on the movement keys.
func (m Model) Update(msg tea.Msg) Model {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m
	}
	switch {
	case key.Matches(km, keys.Up):
		m.cursor--
	case key.Matches(km, keys.Down):
		m.cursor++
	case key.Matches(km, keys.PageUp):
		m.cursor -= m.height
	case key.Matches(km, keys.PageDown):
		m.cursor += m.height
	case key.Matches(km, keys.Top):
		m.cursor = 0
	case key.Matches(km, keys.Bottom):
		m.cursor = m.rows - 1
	}
	m.clamp()
	return m
}

// View draws the header and the rows in view.
func (m Model) View() string {
	var b strings.Builder
	b.Grow((m.height + 1) * (m.width + 16))
	b.WriteString(theme.Header.Render(m.line(m.titles())))
	end := min(m.offset+m.height, m.rows)
	for i := m.offset; i < end; i++ {
		b.WriteByte('\n')
		row := m.line(m.cells(i))
		if i == m.cursor {
			row = theme.Selected.Render(ansi.Strip(row))
		}
		b.WriteString(row)
	}
	return b.String()
}

func (m Model) titles() []string {
	titles := make([]string, len(m.columns))
	for i, c := range m.columns {
		titles[i] = c.Title
	}
	return titles
}

// line lays cells out at the column widths, padding and truncating each.
func (m Model) line(cells []string) string {
	var b strings.Builder
	first := true
	for i, w := range m.widths {
		if w == 0 || i >= len(cells) {
			continue
		}
		if !first {
			b.WriteString(strings.Repeat(" ", gap))
		}
		first = false
		cell := ansi.Truncate(cells[i], w, "…")
		b.WriteString(cell)
		if pad := w - ansi.StringWidth(cell); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	return b.String()
}

// layout decides which columns fit and how wide each is.
func (m *Model) layout() {
	m.widths = make([]int, len(m.columns))
	shown := make([]bool, len(m.columns))
	for i := range shown {
		shown[i] = true
	}
	for m.width > 0 && m.needed(shown) > m.width {
		if !m.dropOne(shown) {
			break // only columns that must stay are left; they will be cut at the edge
		}
	}
	spare := m.width - m.needed(shown)
	growers := 0
	for i, c := range m.columns {
		if shown[i] && c.Grow {
			growers++
		}
	}
	for i, c := range m.columns {
		if !shown[i] {
			continue
		}
		m.widths[i] = c.Width
		if c.Grow && spare > 0 && growers > 0 {
			m.widths[i] += spare / growers
		}
	}
}

func (m Model) needed(shown []bool) int {
	total, count := 0, 0
	for i, c := range m.columns {
		if shown[i] {
			total += c.Width
			count++
		}
	}
	return total + gap*max(count-1, 0)
}

// dropOne hides the shown column with the highest Drop value; false when none can go.
func (m Model) dropOne(shown []bool) bool {
	victim := -1
	for i, c := range m.columns {
		if shown[i] && c.Drop > 0 && (victim < 0 || c.Drop > m.columns[victim].Drop) {
			victim = i
		}
	}
	if victim < 0 {
		return false
	}
	shown[victim] = false
	return true
}

func (m *Model) clamp() {
	m.cursor = max(min(m.cursor, m.rows-1), 0)
	if m.height <= 0 {
		return
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+m.height {
		m.offset = m.cursor - m.height + 1
	}
	m.offset = max(min(m.offset, m.rows-m.height), 0)
}
