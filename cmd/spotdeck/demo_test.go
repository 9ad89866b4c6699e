package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"spotdeck/azure"
	"spotdeck/azure/sim"
)

// demoClock is real time for the demo's simulation, moved by the test.
type demoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *demoClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestDemoTellsTheStoryInTwoMinutes plays two real minutes of the demo at its default
// speed and rate: a person watching sees evictions, the queue grow and the queue drain.
func TestDemoTellsTheStoryInTwoMinutes(t *testing.T) {
	clock := &demoClock{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	opts := demoSimOptions(demoSpeed, demoEvictionsPerHour)
	opts.Clock, opts.Start = clock.Now, clock.Now()
	s := sim.New(opts)
	start := s.Now()

	var depths []int64
	for range 24 {
		clock.Advance(5 * time.Second)
		rows := s.Queues().Depths(context.Background(), []string{sim.QueueName})
		if rows[0].ApproximateCount == nil {
			t.Fatalf("queue row without a depth: %+v", rows[0])
		}
		depths = append(depths, *rows[0].ApproximateCount)
	}
	if grew := swing(depths, +1); grew < 100 {
		t.Errorf("the queue grew by at most %d messages in two minutes: %v", grew, depths)
	}
	if drained := swing(depths, -1); drained < 100 {
		t.Errorf("the queue drained by at most %d messages in two minutes: %v", drained, depths)
	}

	client, err := azure.NewClient(azure.ClientOptions{SubscriptionID: s.SubscriptionID(),
		ARMEndpoint: sim.InProcessEndpoint, Transport: s.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	log, err := client.Activity()
	if err != nil {
		t.Fatal(err)
	}
	evictions, err := log.Evictions(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	if len(evictions) < 2 {
		t.Errorf("%d evictions in two minutes of the demo, want a few", len(evictions))
	}
	t.Logf("depths every 5 s: %v; %d evictions", depths, len(evictions))
}

// swing is the largest change in the given direction (+1 up, -1 down) from an earlier
// depth to a later one.
func swing(depths []int64, sign int64) int64 {
	var best int64
	for i := range depths {
		for j := i + 1; j < len(depths); j++ {
			best = max(best, sign*(depths[j]-depths[i]))
		}
	}
	return best
}
