package azure

import (
	"math"
	"slices"
	"testing"
	"time"
)

// historyStart is the fixed clock of the history tests.
var historyStart = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// depthSample is a reading offset from historyStart, to keep tables short.
type depthSample struct {
	after time.Duration
	count int64
}

// historyOf records samples for one queue, in the given order.
func historyOf(queue string, samples ...depthSample) *QueueHistory {
	h := NewQueueHistory()
	for _, s := range samples {
		h.Add(queue, historyStart.Add(s.after), s.count)
	}
	return h
}

func TestQueueHistoryAdd(t *testing.T) {
	tests := []struct {
		name    string
		samples []depthSample
		want    []int64
	}{
		{"keeps order", []depthSample{{0, 1}, {time.Minute, 2}}, []int64{1, 2}},
		{"late answer dropped", []depthSample{{time.Minute, 2}, {0, 1}}, []int64{2}},
		{"same time replaces", []depthSample{{0, 1}, {0, 5}}, []int64{5}},
		{"older than an hour dropped", []depthSample{{0, 1}, {30 * time.Minute, 2},
			{61 * time.Minute, 3}}, []int64{2, 3}},
		{"exactly an hour kept", []depthSample{{0, 1}, {time.Hour, 2}}, []int64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := historyOf("q", tt.samples...)
			var got []int64
			for _, s := range h.Samples("q") {
				got = append(got, s.Count)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("counts = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueueHistoryRecordSkipsUnreadRows(t *testing.T) {
	h := NewQueueHistory()
	seven, zero := int64(7), int64(0)
	h.Record([]QueueDepth{
		{Name: "orders", ApproximateCount: &seven, ReadAt: historyStart},
		{Name: "orders-poison", ApproximateCount: &zero, NotCreated: true, ReadAt: historyStart},
		{Name: "billing", Err: ErrQueueNotFound, ReadAt: historyStart},
	})
	tests := []struct {
		queue string
		want  []QueueSample
	}{
		{"orders", []QueueSample{{At: historyStart, Count: 7}}},
		{"orders-poison", []QueueSample{{At: historyStart, Count: 0}}},
		{"billing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.queue, func(t *testing.T) {
			if got := h.Samples(tt.queue); !slices.Equal(got, tt.want) {
				t.Errorf("samples = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueueHistorySparkline(t *testing.T) {
	now := historyStart.Add(time.Hour)
	tests := []struct {
		name    string
		samples []depthSample
		points  int
		want    []float64
	}{
		{"no samples", nil, 6, nil},
		{"no points asked", []depthSample{{0, 1}}, 0, nil},
		{"one point per ten minutes", []depthSample{{5 * time.Minute, 1},
			{15 * time.Minute, 2}, {25 * time.Minute, 3}, {35 * time.Minute, 4},
			{45 * time.Minute, 5}, {55 * time.Minute, 6}}, 6, []float64{1, 2, 3, 4, 5, 6}},
		{"highest in a slice wins, the last carries on to now", []depthSample{{time.Minute, 3},
			{2 * time.Minute, 9}, {3 * time.Minute, 4}}, 2, []float64{9, 4}},
		{"gaps repeat the last reading, not the highest",
			[]depthSample{{time.Minute, 8}, {2 * time.Minute, 2}, {50 * time.Minute, 5}}, 6,
			[]float64{8, 2, 2, 2, 2, 5}},
		{"starts at the first reading", []depthSample{{45 * time.Minute, 4},
			{55 * time.Minute, 6}}, 6, []float64{4, 6}},
		{"reading at now lands in the last slice", []depthSample{{time.Hour, 7}}, 4,
			[]float64{7}},
		{"readings before the window are ignored", []depthSample{{-10 * time.Minute, 100},
			{50 * time.Minute, 1}}, 6, []float64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := historyOf("q", tt.samples...)
			got := h.Sparkline("q", now, tt.points)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sparkline = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueueHistoryRate(t *testing.T) {
	now := historyStart.Add(10 * time.Minute)
	tests := []struct {
		name    string
		samples []depthSample
		want    float64
		wantOK  bool
	}{
		{"no samples", nil, 0, false},
		{"one sample", []depthSample{{9 * time.Minute, 5}}, 0, false},
		{"too close together", []depthSample{{9 * time.Minute, 5},
			{9*time.Minute + 10*time.Second, 50}}, 0, false},
		{"steady growth", []depthSample{{6 * time.Minute, 100}, {7 * time.Minute, 110},
			{8 * time.Minute, 120}, {9 * time.Minute, 130}}, 10, true},
		{"draining", []depthSample{{8 * time.Minute, 600}, {10 * time.Minute, 500}}, -50, true},
		// Least squares through (0,0) (1,10) (2,0) (3,10): slope 2.
		{"noisy", []depthSample{{6 * time.Minute, 0}, {7 * time.Minute, 10},
			{8 * time.Minute, 0}, {9 * time.Minute, 10}}, 2, true},
		{"only the last five minutes count", []depthSample{{0, 1000},
			{6 * time.Minute, 10}, {8 * time.Minute, 10}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := historyOf("q", tt.samples...).Rate("q", now)
			if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Rate = %v, %t; want %v, %t", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestQueueHistoryTimeToDrain(t *testing.T) {
	now := historyStart.Add(10 * time.Minute)
	tests := []struct {
		name    string
		samples []depthSample
		want    time.Duration // 0: nil
	}{
		{"draining 50 a minute from 500", []depthSample{{8 * time.Minute, 600},
			{10 * time.Minute, 500}}, 10 * time.Minute},
		{"growing", []depthSample{{8 * time.Minute, 500}, {10 * time.Minute, 600}}, 0},
		{"flat", []depthSample{{8 * time.Minute, 500}, {10 * time.Minute, 500}}, 0},
		{"already empty", []depthSample{{8 * time.Minute, 40}, {10 * time.Minute, 0}}, 0},
		{"too few samples", []depthSample{{10 * time.Minute, 500}}, 0},
		{"more than a week away", []depthSample{{5 * time.Minute, 100000001},
			{10 * time.Minute, 100000000}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := historyOf("q", tt.samples...).TimeToDrain("q", now)
			switch {
			case tt.want == 0 && got != nil:
				t.Errorf("TimeToDrain = %v, want nil", *got)
			case tt.want != 0 && (got == nil || *got != tt.want):
				t.Errorf("TimeToDrain = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueueHistoryAlerts(t *testing.T) {
	now := historyStart.Add(10 * time.Minute)
	both := QueueThresholds{MaxDepth: 1000, PoisonGrowth: true}
	tests := []struct {
		name    string
		queue   string
		samples []depthSample
		limits  QueueThresholds
		want    []QueueAlert
	}{
		{"under the limit", "orders", []depthSample{{9 * time.Minute, 1000}}, both, nil},
		{"over the limit", "orders", []depthSample{{9 * time.Minute, 1204}}, both,
			[]QueueAlert{{Queue: "orders", Kind: AlertDepth, Count: 1204,
				At: historyStart.Add(9 * time.Minute), Message: "queue orders holds ≈1,204 " +
					"messages, over the limit of 1,000"}}},
		{"depth alert off", "orders", []depthSample{{9 * time.Minute, 5000}},
			QueueThresholds{PoisonGrowth: true}, nil},
		{"poison grew", "orders-poison", []depthSample{{6 * time.Minute, 2},
			{8 * time.Minute, 2}, {9 * time.Minute, 3}}, both,
			[]QueueAlert{{Queue: "orders-poison", Kind: AlertPoisonGrowing, Count: 3,
				At: historyStart.Add(9 * time.Minute), Message: "poison queue orders-poison grew " +
					"from 2 to 3 messages in 3m0s"}}},
		{"poison growth alert off", "orders-poison", []depthSample{{6 * time.Minute, 2},
			{9 * time.Minute, 3}}, QueueThresholds{MaxDepth: 1000}, nil},
		{"poison steady", "orders-poison", []depthSample{{6 * time.Minute, 3},
			{9 * time.Minute, 3}}, both, nil},
		{"growth older than the rate window", "orders-poison", []depthSample{{0, 1},
			{time.Minute, 4}, {9 * time.Minute, 4}}, both, nil},
		{"last reading older than the rate window", "orders-poison", []depthSample{{0, 1},
			{time.Minute, 4}}, both, nil},
		{"growth of a queue that is not poison", "orders", []depthSample{{6 * time.Minute, 2},
			{9 * time.Minute, 3}}, both, nil},
		{"no readings", "orders", nil, both, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := historyOf(tt.queue, tt.samples...).Alerts(tt.queue, now, tt.limits)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Alerts =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestGroupThousands(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {1204, "1,204"}, {-1234567, "-1,234,567"},
		{math.MaxInt64, "9,223,372,036,854,775,807"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := GroupThousands(tt.in); got != tt.want {
				t.Errorf("GroupThousands(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
