// Package watch is the incident screen: per scale set how many instances run, answer
// healthy, were evicted in the last hour or are updating; each queue's depth with its last
// hour as a sparkline; and the latest events. It is built to stay open for hours.
package watch

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"spotdeck/azure"
	"spotdeck/events"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
	"spotdeck/tui/theme"
	"spotdeck/tui/timeline"
)

// sparkPoints is how many columns the last hour of a queue is drawn in when there is room;
// a narrow terminal gets fewer, down to minSparkPoints, so the rate and the time to drain
// still show. queueFixed is the width of a queue line's other columns.
const (
	sparkPoints    = 30
	minSparkPoints = 8
	queueFixed     = 24 + 1 + 10 + 2 + 2 + 10 + 2 + 8
)

// Model is the watch screen.
type Model struct {
	fleet   azure.Fleet
	events  []events.Event
	queues  []azure.QueueDepth
	history *azure.QueueHistory
	limits  azure.QueueThresholds
	now     func() time.Time
	width   int
	height  int
}

// New returns the watch screen; now gives the time.
func New(now func() time.Time) *Model {
	return &Model{now: now, history: azure.NewQueueHistory()}
}

// Title names the screen.
func (m *Model) Title() string { return "watch" }

// Keys lists the screen's keys: only esc is its own, the rest are the console's.
func (m *Model) Keys() []key.Binding { return []key.Binding{keys.Back} }

// Capturing is false: the watch screen takes no text.
func (m *Model) Capturing() bool { return false }

// SetSize records the space the screen has.
func (m *Model) SetSize(width, height int) { m.width, m.height = width, height }

// SetFleet takes the latest reading of the fleet.
func (m *Model) SetFleet(f azure.Fleet) { m.fleet = f }

// SetEvents takes the events, newest first.
func (m *Model) SetEvents(evs []events.Event) { m.events = evs }

// SetQueues takes the latest queue depths and their history.
func (m *Model) SetQueues(depths []azure.QueueDepth, history *azure.QueueHistory,
	limits azure.QueueThresholds) {
	m.queues, m.history, m.limits = depths, history, limits
}

// Update does nothing: every key of the watch screen is a global one.
func (m *Model) Update(tea.Msg) (screen.Screen, tea.Cmd) { return m, nil }

// View draws the fleet, the queues and as many of the latest events as fit.
func (m *Model) View() string {
	fleet := m.fleetLines()
	queues := m.queueLines()
	room := m.height - len(fleet) - len(queues) - 3
	var b strings.Builder
	b.WriteString(strings.Join(fleet, "\n"))
	b.WriteString("\n\n")
	b.WriteString(strings.Join(queues, "\n"))
	b.WriteString("\n\n")
	b.WriteString(strings.Join(m.eventLines(max(room, 1)), "\n"))
	return b.String()
}

func (m *Model) fleetLines() []string {
	lines := []string{theme.Header.Render(fmt.Sprintf("%-22s %7s %7s %9s %9s %8s",
		"SCALE SET", "RUNNING", "HEALTHY", "UNHEALTHY", "EVICTED1H", "UPDATING"))}
	since := m.now().Add(-time.Hour)
	for _, s := range m.fleet.ScaleSets {
		if s.InstancesErr != nil {
			lines = append(lines, fmt.Sprintf("%-22s %s", clip(s.Name, 22),
				theme.State(theme.Bad, "instances unreadable")))
			continue
		}
		c := screen.Count(s.Instances)
		evicted := 0
		for _, n := range events.ZoneCounts(m.events, s.Name, since) {
			evicted += n
		}
		healthy := fmt.Sprint(c.Healthy)
		if !s.HasHealthExtension {
			healthy = "-"
		}
		lines = append(lines, fmt.Sprintf("%-22s %7s %7s %s %s %s", clip(s.Name, 22),
			fmt.Sprintf("%d/%d", c.Running, c.Total), healthy,
			right(tone(c.Unhealthy, theme.Bad), 9), right(tone(evicted, theme.Bad), 9),
			right(tone(updating(s.Instances), theme.Busy), 8)))
	}
	if len(m.fleet.ScaleSets) == 0 {
		lines = append(lines, theme.Dim.Render("no scale sets read yet"))
	}
	return lines
}

// tone draws a count plainly when zero and in the tone with its glyph when not.
func tone(n int, t theme.Tone) string {
	if n == 0 {
		return "0"
	}
	return t.Style().Render(fmt.Sprintf("%s %d", t.Glyph(), n))
}

// updating counts instances behind the model or with a provisioning or script change
// under way.
func updating(instances []azure.Instance) int {
	n := 0
	for _, in := range instances {
		behind := in.LatestModel != nil && !*in.LatestModel
		busy := in.Provisioning == "updating" || in.Provisioning == "creating" ||
			in.Extension.State == "transitioning"
		if behind || busy {
			n++
		}
	}
	return n
}

func (m *Model) queueLines() []string {
	if len(m.queues) == 0 {
		return []string{theme.Dim.Render("No queues watched. Name them under queues: in the " +
			"config file (spotdeck setup writes it).")}
	}
	lines := []string{theme.Header.Render(fmt.Sprintf("%-24s %10s  %-*s  %10s  %s",
		"QUEUE", "DEPTH", m.sparkWidth(), "LAST HOUR", "RATE", "DRAIN"))}
	now := m.now()
	for _, q := range m.queues {
		lines = append(lines, m.queueLine(q, now))
	}
	return lines
}

func (m *Model) queueLine(q azure.QueueDepth, now time.Time) string {
	name := clip(q.Name, 24)
	if q.Err != nil {
		return fmt.Sprintf("%-24s %s", name, theme.ErrorLine.Render("✗ "+q.Err.Error()))
	}
	depth := "?"
	if q.ApproximateCount != nil {
		depth = "≈" + azure.GroupThousands(*q.ApproximateCount)
	}
	if len(m.history.Alerts(q.Name, now, m.limits)) > 0 {
		depth = theme.State(theme.Bad, depth)
	}
	points := m.sparkWidth()
	spark := Sparkline(m.history.Sparkline(q.Name, now, points))
	rate, drain := "—", "—"
	if r, ok := m.history.Rate(q.Name, now); ok {
		rate = rateText(r)
	}
	if d := m.history.TimeToDrain(q.Name, now); d != nil {
		drain = screen.Since(*d)
	}
	return fmt.Sprintf("%-24s %s  %-*s  %10s  %s", name, right(depth, 10), points, spark,
		rate, drain)
}

// rateText writes a rate in messages a minute, signed; one that rounds to zero reads
// "+0.0/min", never "-0.0/min".
func rateText(perMinute float64) string {
	if math.Abs(perMinute) < 0.05 {
		perMinute = 0
	}
	return fmt.Sprintf("%+.1f/min", perMinute)
}

// sparkWidth is how many columns the sparklines get at the screen's width.
func (m *Model) sparkWidth() int {
	return max(min(m.width-queueFixed, sparkPoints), minSparkPoints)
}

func (m *Model) eventLines(room int) []string {
	lines := []string{theme.Header.Render("LATEST EVENTS") +
		theme.Dim.Render("  (e for the whole timeline)")}
	if len(m.events) == 0 {
		return append(lines, theme.Dim.Render("nothing has happened in the last 24 hours"))
	}
	now := m.now()
	for _, e := range m.events[:min(len(m.events), max(room-1, 1))] {
		lines = append(lines, fmt.Sprintf("%8s  %s  %s", screen.Since(now.Sub(e.Time))+" ago",
			timeline.KindCell(e), describeTarget(e)))
	}
	return lines
}

func describeTarget(e events.Event) string {
	target := e.ScaleSet
	if e.Instance != "" {
		target += "/" + e.Instance
	}
	if e.Zone != "" {
		target += " zone " + e.Zone
	}
	if target == "" {
		// A queue alert names no scale set: its detail says which queue.
		return e.Detail
	}
	return target + ": " + e.Detail
}

// sparkGlyphs are the eight heights of a sparkline column.
var sparkGlyphs = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values as one line of block glyphs, scaled from zero to the highest.
func Sparkline(values []float64) string {
	highest := 0.0
	for _, v := range values {
		highest = max(highest, v)
	}
	out := make([]rune, len(values))
	for i, v := range values {
		level := 0
		if highest > 0 {
			level = int(v / highest * float64(len(sparkGlyphs)-1))
		}
		out[i] = sparkGlyphs[max(min(level, len(sparkGlyphs)-1), 0)]
	}
	return string(out)
}

// right pads a possibly styled cell on the left to width columns.
func right(s string, width int) string {
	return strings.Repeat(" ", max(width-ansi.StringWidth(s), 0)) + s
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
