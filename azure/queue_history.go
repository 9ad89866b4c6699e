package azure

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// History spans.
const (
	// QueueHistoryWindow is how far back a QueueHistory keeps samples: the span of the
	// sparkline.
	QueueHistoryWindow = time.Hour
	// RateWindow is the span of recent samples that Rate fits a line to, and that the
	// poison-growth alert compares against.
	RateWindow = 5 * time.Minute
	// minRateSpan is the shortest span of samples Rate trusts; two readings seconds apart
	// turn noise into a steep slope.
	minRateSpan = 30 * time.Second
	// maxDrain is the longest time to drain worth showing; beyond it the queue drifts
	// rather than drains.
	maxDrain = 7 * 24 * time.Hour
)

// QueueSample is one reading of a queue's depth.
type QueueSample struct {
	At    time.Time
	Count int64
}

// QueueThresholds say when a queue raises an alert.
type QueueThresholds struct {
	// MaxDepth raises an alert when the depth is over it; 0 turns the alert off.
	MaxDepth int64
	// PoisonGrowth raises an alert when a poison queue grew within RateWindow.
	PoisonGrowth bool
}

// QueueAlertKind tells what an alert is about.
type QueueAlertKind string

// Alert kinds.
const (
	AlertDepth         QueueAlertKind = "depth"
	AlertPoisonGrowing QueueAlertKind = "poison-growing"
)

// QueueAlert is one threshold crossed by one queue.
type QueueAlert struct {
	Queue string
	Kind  QueueAlertKind
	// Count is the depth that raised the alert.
	Count int64
	// At is when that depth was read.
	At time.Time
	// Message says what happened, for the events timeline.
	Message string
}

// QueueHistory keeps the last QueueHistoryWindow of samples per queue and derives the
// sparkline, the rate of change, the time to drain and the alerts from them. Every method
// takes the time to judge at, so tests and the simulator's clock decide what "now" is. It
// is not safe for concurrent use: the console's model owns it.
type QueueHistory struct {
	samples map[string][]QueueSample
}

// NewQueueHistory returns an empty history.
func NewQueueHistory() *QueueHistory {
	return &QueueHistory{samples: map[string][]QueueSample{}}
}

// Record adds the readable rows of one refresh; rows without a count are skipped, so an
// error leaves a gap rather than a false zero.
func (h *QueueHistory) Record(depths []QueueDepth) {
	for _, row := range depths {
		if row.ApproximateCount != nil {
			h.Add(row.Name, row.ReadAt, *row.ApproximateCount)
		}
	}
}

// Add records one sample and drops the samples that fell out of the window. A sample
// older than the newest is dropped: it is a late answer of an earlier refresh.
func (h *QueueHistory) Add(queue string, at time.Time, count int64) {
	list := h.samples[queue]
	if n := len(list); n > 0 {
		switch last := list[n-1].At; {
		case at.Before(last):
			return
		case at.Equal(last):
			list[n-1].Count = count
			return
		}
	}
	list = append(list, QueueSample{At: at, Count: count})
	h.samples[queue] = dropBefore(list, at.Add(-QueueHistoryWindow))
}

// dropBefore removes the samples older than cutoff, reusing the slice.
func dropBefore(list []QueueSample, cutoff time.Time) []QueueSample {
	keep := 0
	for keep < len(list) && list[keep].At.Before(cutoff) {
		keep++
	}
	if keep == 0 {
		return list
	}
	return append(list[:0], list[keep:]...)
}

// Samples returns a copy of a queue's samples, oldest first.
func (h *QueueHistory) Samples(queue string) []QueueSample {
	return append([]QueueSample(nil), h.samples[queue]...)
}

// Latest returns the newest sample read at or before now.
func (h *QueueHistory) Latest(queue string, now time.Time) (QueueSample, bool) {
	recent := h.between(queue, now.Add(-QueueHistoryWindow), now)
	if len(recent) == 0 {
		return QueueSample{}, false
	}
	return recent[len(recent)-1], true
}

// between returns the samples read in [from, to], sharing the history's storage.
func (h *QueueHistory) between(queue string, from, to time.Time) []QueueSample {
	list := h.samples[queue]
	first, end := 0, len(list)
	for first < end && list[first].At.Before(from) {
		first++
	}
	for end > first && list[end-1].At.After(to) {
		end--
	}
	return list[first:end]
}

// Sparkline resamples the window before now into at most points values, oldest first, the
// last for now. Each value is the highest depth read in its slice of time, so a spike
// between two points is not lost; a slice without a reading repeats the last depth read
// before it. Slices before the first reading are left out: a new queue's line is short
// and grows.
func (h *QueueHistory) Sparkline(queue string, now time.Time, points int) []float64 {
	start := now.Add(-QueueHistoryWindow)
	recent := h.between(queue, start, now)
	if points <= 0 || len(recent) == 0 {
		return nil
	}
	width := QueueHistoryWindow / time.Duration(points)
	highest := make([]int64, points)
	last := make([]int64, points)
	seen := make([]bool, points)
	for _, s := range recent {
		i := min(int(s.At.Sub(start)/width), points-1)
		if !seen[i] || s.Count > highest[i] {
			highest[i] = s.Count
		}
		last[i], seen[i] = s.Count, true
	}
	return fillSlices(highest, last, seen)
}

// fillSlices returns the values from the first slice with a reading on, carrying the last
// depth read into the slices without one.
func fillSlices(highest, last []int64, seen []bool) []float64 {
	var line []float64
	var carried int64
	for i := range highest {
		switch {
		case seen[i]:
			line = append(line, float64(highest[i]))
			carried = last[i]
		case line != nil:
			line = append(line, float64(carried))
		}
	}
	return line
}

// Rate returns the rate of change in messages per minute: the least-squares slope of the
// samples of the RateWindow before now. It is false with fewer than two samples or when
// they span less than half a minute.
func (h *QueueHistory) Rate(queue string, now time.Time) (float64, bool) {
	recent := h.between(queue, now.Add(-RateWindow), now)
	if len(recent) < 2 || recent[len(recent)-1].At.Sub(recent[0].At) < minRateSpan {
		return 0, false
	}
	origin := recent[0].At
	var sumX, sumY, sumXY, sumXX float64
	for _, s := range recent {
		x := s.At.Sub(origin).Minutes()
		y := float64(s.Count)
		sumX, sumY, sumXY, sumXX = sumX+x, sumY+y, sumXY+x*y, sumXX+x*x
	}
	n := float64(len(recent))
	return (n*sumXY - sumX*sumY) / (n*sumXX - sumX*sumX), true
}

// TimeToDrain returns how long the queue takes to empty at the current rate, counted from
// its latest reading. It is nil when the queue is empty or not shrinking, when Rate has
// too few samples, or when draining would take more than a week (a drift, not a drain).
func (h *QueueHistory) TimeToDrain(queue string, now time.Time) *time.Duration {
	latest, ok := h.Latest(queue, now)
	rate, rateOK := h.Rate(queue, now)
	if !ok || !rateOK || rate >= 0 || latest.Count == 0 {
		return nil
	}
	minutes := float64(latest.Count) / -rate
	if minutes > maxDrain.Minutes() {
		return nil
	}
	drain := time.Duration(minutes * float64(time.Minute)).Round(time.Second)
	return &drain
}

// Alerts returns the thresholds the queue crosses at now: its depth over MaxDepth, and,
// for a poison queue, growth within RateWindow.
func (h *QueueHistory) Alerts(queue string, now time.Time, limits QueueThresholds) []QueueAlert {
	latest, ok := h.Latest(queue, now)
	if !ok {
		return nil
	}
	var alerts []QueueAlert
	if limits.MaxDepth > 0 && latest.Count > limits.MaxDepth {
		alerts = append(alerts, QueueAlert{
			Queue: queue, Kind: AlertDepth, Count: latest.Count, At: latest.At,
			Message: fmt.Sprintf("queue %s holds ≈%s messages, over the limit of %s", queue,
				GroupThousands(latest.Count), GroupThousands(limits.MaxDepth)),
		})
	}
	if limits.PoisonGrowth && strings.HasSuffix(queue, PoisonSuffix) {
		if alert, grew := h.poisonGrowth(queue, now, latest); grew {
			alerts = append(alerts, alert)
		}
	}
	return alerts
}

// poisonGrowth compares the latest reading with the oldest of the RateWindow. Any growth
// counts: each poison message is work the Functions host gave up on.
func (h *QueueHistory) poisonGrowth(queue string, now time.Time,
	latest QueueSample) (QueueAlert, bool) {
	recent := h.between(queue, now.Add(-RateWindow), now)
	if len(recent) == 0 {
		return QueueAlert{}, false
	}
	oldest := recent[0]
	if latest.Count <= oldest.Count {
		return QueueAlert{}, false
	}
	return QueueAlert{
		Queue: queue, Kind: AlertPoisonGrowing, Count: latest.Count, At: latest.At,
		Message: fmt.Sprintf("poison queue %s grew from %s to %s messages in %s", queue,
			GroupThousands(oldest.Count), GroupThousands(latest.Count),
			latest.At.Sub(oldest.At).Round(time.Second)),
	}, true
}

// GroupThousands writes a count with comma separators: 1204 becomes "1,204".
func GroupThousands(n int64) string {
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}
