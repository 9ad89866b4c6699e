package sim

import (
	"container/heap"
	"time"
)

// The agenda holds what happens at a known simulated time: an eviction takes effect, a
// deleted instance disappears, capacity is refilled, a rolling upgrade moves to its next
// batch. Everything else about an instance (booting, its script, its health) is derived
// from its recorded times and needs no entry. Each request first runs the entries whose
// time has come, in time order, so the fleet at a given simulated time does not depend on
// when, or how often, it was read.

// happening is one agenda entry.
type happening struct {
	at time.Time
	// seq breaks ties between entries of the same time: first scheduled, first run.
	seq uint64
	run func(at time.Time)
}

// agenda is a min-heap of happenings by time.
type agenda struct {
	items []*happening
	seq   uint64
}

func (a *agenda) Len() int { return len(a.items) }

func (a *agenda) Less(i, j int) bool {
	if !a.items[i].at.Equal(a.items[j].at) {
		return a.items[i].at.Before(a.items[j].at)
	}
	return a.items[i].seq < a.items[j].seq
}

func (a *agenda) Swap(i, j int) { a.items[i], a.items[j] = a.items[j], a.items[i] }

// Push and Pop serve container/heap; use schedule and next instead.
func (a *agenda) Push(x any) { a.items = append(a.items, x.(*happening)) }

func (a *agenda) Pop() any {
	last := a.items[len(a.items)-1]
	a.items = a.items[:len(a.items)-1]
	return last
}

// schedule adds an entry. The caller holds s.mu.
func (s *Sim) schedule(at time.Time, run func(at time.Time)) {
	s.agenda.seq++
	heap.Push(&s.agenda, &happening{at: at, seq: s.agenda.seq, run: run})
}

// nextDue removes and returns the earliest entry due by now.
func (a *agenda) nextDue(now time.Time) (*happening, bool) {
	if len(a.items) == 0 || a.items[0].at.After(now) {
		return nil, false
	}
	return heap.Pop(a).(*happening), true
}

// advance brings the model to simulated time now: due entries run in time order, and the
// queue workload is carried up to each of them, so it sees the fleet as it was then. The
// caller holds s.mu.
func (s *Sim) advance(now time.Time) {
	for {
		h, ok := s.agenda.nextDue(now)
		if !ok {
			break
		}
		s.workload.carryTo(s, h.at)
		h.run(h.at)
	}
	s.workload.carryTo(s, now)
}

// lockAndAdvance takes the model lock and advances the model to the current simulated
// time, which it returns. The caller must unlock s.mu.
func (s *Sim) lockAndAdvance() time.Time {
	s.mu.Lock()
	now := s.clock.now()
	s.advance(now)
	return now
}
