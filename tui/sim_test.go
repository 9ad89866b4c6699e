package tui

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
	"spotdeck/azure/sim"
)

// manualClock is real time that a test moves forward by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestEvictionShowsWithinOneRefresh runs the console on the simulator with a clock the test
// moves: once an eviction happens in the fleet, the next reading, one refresh interval
// later at most, puts it on the watch screen.
func TestEvictionShowsWithinOneRefresh(t *testing.T) {
	clock := &manualClock{now: testNow}
	s := sim.New(sim.Options{Seed: 7, Start: testNow, Clock: clock.Now,
		EvictionsPerHour: 120})
	client, err := azure.NewClient(azure.ClientOptions{SubscriptionID: s.SubscriptionID(),
		ARMEndpoint: sim.InProcessEndpoint, Transport: s.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	refresh := 10 * time.Second
	m := New(Options{Reader: client, Refresh: refresh, Now: s.Now, StartOnWatch: true})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())

	// Move simulated time one refresh at a time; at 120 evictions an hour per scale set
	// one happens within minutes. Each step is one refresh: the reading that follows an
	// eviction must show it.
	for i := 0; i < 120; i++ {
		clock.Advance(refresh)
		m = step(t, m, readFleetCmd(m.opts, m.gen)())
		if strings.Contains(m.View(), "eviction (suspected)") {
			if !strings.Contains(m.View(), "✗ 1") && !strings.Contains(m.View(), "✗ 2") {
				t.Errorf("watch shows the eviction event but no evicted count:\n%s", m.View())
			}
			return
		}
	}
	t.Fatalf("no eviction on the watch screen after 20 simulated minutes:\n%s", m.View())
}

// TestEvictionIsOnScreenAtTheFirstReadingThatSeesIt evicts one instance of each policy at a
// known moment and moves the clock one refresh at a time: the first reading in which the
// instance is no longer running, or gone, must already show its eviction on the watch
// screen, so the eviction reaches the operator within one refresh interval.
func TestEvictionIsOnScreenAtTheFirstReadingThatSeesIt(t *testing.T) {
	clock := &manualClock{now: testNow}
	s := sim.New(sim.Options{Seed: 7, Start: testNow, Clock: clock.Now})
	client, err := azure.NewClient(azure.ClientOptions{SubscriptionID: s.SubscriptionID(),
		ARMEndpoint: sim.InProcessEndpoint, Transport: s.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	refresh := 10 * time.Second
	m := New(Options{Reader: client, Refresh: refresh, Now: s.Now, StartOnWatch: true})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	clock.Advance(10 * time.Minute) // every instance of the initial fleet runs by now
	m = step(t, m, readFleetCmd(m.opts, m.gen)())

	targets := map[string]string{"vmss-func-linux": "0", "vmss-func-win": "1"}
	for set, id := range targets {
		if _, err := client.SimulateEviction(t.Context(), "rg-functions", set,
			[]string{id}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 30 && len(targets) > 0; i++ {
		clock.Advance(refresh)
		m = step(t, m, readFleetCmd(m.opts, m.gen)())
		view := m.View()
		for set, id := range targets {
			if stillRunning(m.fleet, set, id) {
				continue
			}
			if !strings.Contains(view, "eviction (suspected)  "+set+"/"+id+" ") {
				t.Errorf("reading %d sees %s/%s stopped or gone, but the watch screen "+
					"does not show its eviction:\n%s", i+1, set, id, view)
			}
			delete(targets, set)
		}
	}
	if len(targets) > 0 {
		t.Errorf("still running five minutes after the simulated eviction: %v", targets)
	}
}

// stillRunning tells whether the reading holds the instance, running.
func stillRunning(f azure.Fleet, set, id string) bool {
	for _, s := range f.ScaleSets {
		if s.Name != set {
			continue
		}
		for _, in := range s.Instances {
			if in.ID == id {
				return in.Power == azure.PowerRunning
			}
		}
	}
	return false
}
