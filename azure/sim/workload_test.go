package sim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"spotdeck/azure"
)

// depth reads the workload queue's depth through the reader the console uses.
func depth(t *testing.T, s *Sim) int64 {
	t.Helper()
	rows := s.Queues().Depths(context.Background(), []string{QueueName})
	if len(rows) == 0 || rows[0].ApproximateCount == nil {
		t.Fatalf("queue %s unreadable: %+v", QueueName, rows)
	}
	return *rows[0].ApproximateCount
}

// depthsEvery reads the depth every minute for the given number of simulated minutes.
func depthsEvery(t *testing.T, s *Sim, clock *manualClock, minutes int) []int64 {
	t.Helper()
	out := make([]int64, 0, minutes)
	for range minutes {
		simAdvance(clock, time.Minute)
		out = append(out, depth(t, s))
	}
	return out
}

func TestQueueRows(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	rows := s.Queues().Depths(context.Background(), []string{"orders", "payments",
		"audit-poison"})
	tests := []struct {
		name       string
		poison     bool
		count      bool // a count is reported
		notCreated bool
		errText    string
	}{
		{name: "orders", count: true},
		{name: "orders-poison", poison: true, count: true, notCreated: true},
		{name: "payments", errText: `queue "payments" does not exist`},
		{name: "payments-poison", poison: true, count: true, notCreated: true},
		{name: "audit-poison", poison: true, count: true, notCreated: true},
	}
	if len(rows) != len(tests) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(tests), rows)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row := rows[i]
			if row.Name != tc.name || row.Poison != tc.poison || row.NotCreated != tc.notCreated {
				t.Errorf("row %+v, want name %s poison %v notCreated %v", row, tc.name,
					tc.poison, tc.notCreated)
			}
			if (row.ApproximateCount != nil) != tc.count {
				t.Errorf("count reported = %v, want %v", row.ApproximateCount != nil, tc.count)
			}
			if tc.errText == "" && row.Err != nil || tc.errText != "" &&
				(row.Err == nil || !strings.Contains(row.Err.Error(), tc.errText)) {
				t.Errorf("error %v, want %q", row.Err, tc.errText)
			}
			if !row.ReadAt.Equal(testStart) {
				t.Errorf("read at %v, want the simulated time %v", row.ReadAt, testStart)
			}
		})
	}
}

func TestQueueRowsWhenTheContextEnds(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, row := range s.Queues().Depths(ctx, []string{QueueName}) {
		if !errors.Is(row.Err, context.Canceled) || row.ApproximateCount != nil {
			t.Errorf("row %s: count %v error %v, want the context's error", row.Name,
				row.ApproximateCount, row.Err)
		}
	}
}

// TestQueueStory plays what an operator should see: a healthy fleet keeps up with the
// work, evictions make the queue grow, and once the refills are healthy it drains.
func TestQueueStory(t *testing.T) {
	s, clock := newTestSim(t, Options{Seed: 2})
	c := inProcessClients(t, s)
	simAdvance(clock, 10*time.Minute)
	healthy := depthsEvery(t, s, clock, 3)
	checkTrend(t, "all eight hosts healthy", healthy, -1)

	for _, id := range []string{"0", "1", "3"} {
		simulateEviction(t, c, "rg-functions", "vmss-func-win", id)
	}
	simAdvance(clock, 90*time.Second)
	evicted := depthsEvery(t, s, clock, 3)
	checkTrend(t, "three hosts evicted", evicted, +1)

	// The refills come four minutes after the evictions; booting, installing and the
	// health grace period take up to six more. Then the queue drains again.
	healing := depthsEvery(t, s, clock, 16)
	peak := slices.Index(healing, slices.Max(healing))
	if peak == len(healing)-1 || healing[len(healing)-1] > healing[peak]/2 {
		t.Errorf("the queue did not drain once the refills were healthy: %v", healing)
	}
	checkTrend(t, "refills healthy", healing[len(healing)-3:], -1)
	t.Logf("healthy %v, evicted %v, healing %v", healthy, evicted, healing)
}

// checkTrend checks that a series of depths moves the given way every minute; a queue
// that has drained to zero counts as draining.
func checkTrend(t *testing.T, phase string, depths []int64, sign int64) {
	t.Helper()
	for i := 1; i < len(depths); i++ {
		step := depths[i] - depths[i-1]
		drained := sign < 0 && depths[i] == 0
		if step*sign <= 0 && !drained {
			t.Errorf("%s: depth went %d → %d; want it to %s every minute (%v)", phase,
				depths[i-1], depths[i], map[int64]string{1: "grow", -1: "shrink"}[sign], depths)
			return
		}
	}
}

func TestQueueDepthDoesNotDependOnReads(t *testing.T) {
	opts := Options{Seed: 4, EvictionsPerHour: 12}
	often, oftenClock := newTestSim(t, opts)
	once, onceClock := newTestSim(t, opts)
	// Twelve seconds is a whole number of nanoseconds of the test clock, which runs 60
	// times slower than simulated time.
	for range 225 {
		simAdvance(oftenClock, 12*time.Second)
		depth(t, often)
	}
	simAdvance(onceClock, 45*time.Minute)
	if a, b := depth(t, often), depth(t, once); a != b {
		t.Errorf("read every 12 s: %d; read once after 45 min: %d; want the same", a, b)
	}
}

func TestPoisonQueueFillsWithFailures(t *testing.T) {
	s, clock := newTestSim(t, Options{Seed: 5})
	var previous int64
	created := false
	for hour := 1; hour <= 4; hour++ {
		simAdvance(clock, time.Hour)
		rows := s.Queues().Depths(context.Background(), []string{QueueName})
		poison := rows[1]
		if poison.Name != PoisonQueueName || poison.ApproximateCount == nil {
			t.Fatalf("hour %d: poison row %+v", hour, poison)
		}
		created = created || !poison.NotCreated
		if *poison.ApproximateCount < previous {
			t.Errorf("hour %d: poison queue shrank from %d to %d; nothing drains it", hour,
				previous, *poison.ApproximateCount)
		}
		previous = *poison.ApproximateCount
	}
	// Two hosts of the fleet are unhealthy: about 0.15 failures a minute, 36 in 4 hours.
	if !created || previous < 10 || previous > 80 {
		t.Errorf("after 4 hours the poison queue holds %d (created %v), want about 36",
			previous, created)
	}
}

func TestQueueReaderIsTheConsoleInterface(t *testing.T) {
	s, _ := newTestSim(t, Options{})
	var reader azure.QueueDepthReader = s.Queues()
	history := azure.NewQueueHistory()
	history.Record(reader.Depths(context.Background(), []string{QueueName}))
	if _, ok := history.Latest(QueueName, s.Now()); !ok {
		t.Error("the console's history has no sample of the simulated queue")
	}
}
