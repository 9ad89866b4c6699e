package tui

import (
	"context"
	"log/slog"
	"sort"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
	"spotdeck/events"
)

// activityEvery is how often the Activity Log is read: it lags by minutes anyway, and its
// read limits are tighter than Compute's.
const activityEvery = time.Minute

type (
	// storedMsg reports that events were written to the store, or why not.
	storedMsg struct{ err error }
	// activityMsg carries the evictions the Activity Log recorded since the last read.
	activityMsg struct {
		evictions []azure.ActivityEviction
		err       error
		readAt    time.Time
	}
	// activityTickMsg asks for the next Activity Log read.
	activityTickMsg struct{}
	// eventsLoadedMsg carries the events recorded before this console started.
	eventsLoadedMsg struct{ evs []events.Event }
)

// loadEventsCmd reads the store's last day, so a new session shows what came before it.
func loadEventsCmd(store *events.Store, now time.Time) tea.Cmd {
	if store == nil {
		return nil
	}
	return func() tea.Msg {
		return eventsLoadedMsg{evs: store.Since(now.Add(-events.Retention))}
	}
}

// storeEventsCmd appends events to the store off the update loop.
func storeEventsCmd(store *events.Store, evs []events.Event) tea.Cmd {
	if store == nil || len(evs) == 0 {
		return nil
	}
	return func() tea.Msg { return storedMsg{err: store.Add(evs...)} }
}

func readActivityCmd(r azure.ActivityReader, since time.Time, timeout time.Duration,
	now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		at := now()
		evs, err := r.Evictions(ctx, since)
		return activityMsg{evictions: evs, err: err, readAt: at}
	}
}

func activityTickCmd() tea.Cmd {
	return tea.Tick(activityEvery, func(time.Time) tea.Msg { return activityTickMsg{} })
}

// record merges new events into the in-memory list (newest first, one per key, the last
// day only) and returns the command that stores them.
func (m Model) record(evs []events.Event) (Model, tea.Cmd) {
	if len(evs) == 0 {
		return m, nil
	}
	m.events = mergeEvents(m.events, evs, m.opts.Now().Add(-events.Retention))
	m.handEvents()
	return m, storeEventsCmd(m.opts.Events, evs)
}

func mergeEvents(have, add []events.Event, since time.Time) []events.Event {
	byKey := make(map[string]events.Event, len(have)+len(add))
	for _, e := range have {
		byKey[e.Key()] = e
	}
	for _, e := range add {
		byKey[e.Key()] = e
	}
	out := make([]events.Event, 0, len(byKey))
	for _, e := range byKey {
		if !e.Time.Before(since) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Time.Equal(out[j].Time) {
			return out[i].Key() < out[j].Key()
		}
		return out[i].Time.After(out[j].Time)
	})
	return out
}

// eventsSetter is a screen that shows events.
type eventsSetter interface{ SetEvents([]events.Event) }

func (m Model) handEvents() {
	for _, s := range m.stack {
		if es, ok := s.(eventsSetter); ok {
			es.SetEvents(m.events)
		}
	}
}

func (m Model) takeActivity(msg activityMsg) (tea.Model, tea.Cmd) {
	next := activityTickCmd()
	if msg.err != nil {
		// The Activity Log is a second source; the fleet view goes on without it.
		slog.Warn("read activity log", "err", msg.err)
		m.activityErr = msg.err
		return m, next
	}
	m.activityErr = nil
	m.activityReadAt = msg.readAt
	m, store := m.record(events.Join(m.events, msg.evictions))
	return m, tea.Batch(next, store)
}

// activitySince is where the next Activity Log read starts: a little before the last read,
// because entries arrive late.
func (m Model) activitySince() time.Time {
	if m.activityReadAt.IsZero() {
		return m.opts.Now().Add(-events.Retention)
	}
	return m.activityReadAt.Add(-10 * time.Minute)
}
