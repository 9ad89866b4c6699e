package tui

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
	"spotdeck/events"
)

// queuesMsg carries one reading of the watched queues.
type queuesMsg struct{ depths []azure.QueueDepth }

// readQueuesCmd reads every watched queue once, with the fleet's deadline.
func readQueuesCmd(opts Options) tea.Cmd {
	if opts.Queues == nil || len(opts.QueueNames) == 0 {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
		defer cancel()
		return queuesMsg{depths: opts.Queues.Depths(ctx, opts.QueueNames)}
	}
}

// queuesSetter is a screen that shows queues.
type queuesSetter interface {
	SetQueues([]azure.QueueDepth, *azure.QueueHistory, azure.QueueThresholds)
}

func (m Model) handQueues() {
	for _, s := range m.stack {
		if qs, ok := s.(queuesSetter); ok {
			qs.SetQueues(m.queues, m.history, m.opts.Thresholds)
		}
	}
}

// takeQueues records the reading and turns newly crossed thresholds into events. An alert
// that stays raised is one event, not one per refresh.
func (m Model) takeQueues(msg queuesMsg) (tea.Model, tea.Cmd) {
	m.queues = msg.depths
	m.history.Record(msg.depths)
	now := m.opts.Now()
	raised := make(map[string]bool)
	var evs []events.Event
	for _, q := range msg.depths {
		for _, a := range m.history.Alerts(q.Name, now, m.opts.Thresholds) {
			key := q.Name + "|" + string(a.Kind)
			raised[key] = true
			if !m.alerting[key] {
				evs = append(evs, events.Event{Time: a.At, Kind: events.KindQueueAlert,
					Detail: a.Message})
			}
		}
	}
	m.alerting = raised
	m.handQueues()
	return m.record(evs)
}
