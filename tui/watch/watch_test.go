package watch

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"spotdeck/azure"
)

func TestQueueLineKeepsRateAndDrainAt80Columns(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	history := azure.NewQueueHistory()
	// Draining 100 messages a minute for ten minutes: 1,000 left, ten minutes to go.
	for i := 0; i <= 10; i++ {
		history.Add("orders", now.Add(time.Duration(i-10)*time.Minute), int64(2000-100*i))
	}
	count := int64(1000)
	m := New(func() time.Time { return now })
	m.SetQueues([]azure.QueueDepth{{Name: "orders", ApproximateCount: &count, ReadAt: now}},
		history, azure.QueueThresholds{})
	for _, width := range []int{80, 120} {
		m.SetSize(width, 24)
		var line string
		for _, l := range strings.Split(m.View(), "\n") {
			if strings.HasPrefix(l, "orders") {
				line = l
			}
		}
		if w := ansi.StringWidth(line); w > width {
			t.Errorf("at %d columns the queue line is %d wide: %q", width, w, line)
		}
		if !strings.Contains(line, "-100.0/min") || !strings.Contains(line, "10m") {
			t.Errorf("at %d columns the queue line lacks its rate or time to drain: %q",
				width, line)
		}
	}
}

func TestHelpListsEsc(t *testing.T) {
	m := New(time.Now)
	var help []string
	for _, k := range m.Keys() {
		help = append(help, k.Help().Key)
	}
	if !strings.Contains(strings.Join(help, " "), "esc") {
		t.Errorf("watch keys %v lack esc, which goes back", help)
	}
}

func TestRateText(t *testing.T) {
	for in, want := range map[float64]string{-0.04: "+0.0/min", 0: "+0.0/min",
		-0.06: "-0.1/min", 53.94: "+53.9/min"} {
		if got := rateText(in); got != want {
			t.Errorf("rateText(%v) = %q, want %q", in, got, want)
		}
	}
}
