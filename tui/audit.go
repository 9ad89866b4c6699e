package tui

import (
	"context"
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/audit"
	"spotdeck/tui/auditlog"
)

// auditMsg carries a reading of the audit log for the audit screen.
type auditMsg struct {
	records []audit.Record
	err     error
}

// readAuditCmd reads the last day of the audit log, when the console has one.
func readAuditCmd(opts Options) tea.Cmd {
	if opts.AuditLog == nil {
		return nil
	}
	read, timeout := opts.AuditLog, opts.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		records, err := read(ctx, auditlog.Since)
		return auditMsg{records: records, err: err}
	}
}

// takeAudit hands the reading to the audit screens on the stack. A failure of the team's
// shared copy still shows the local records, with a warning.
func (m Model) takeAudit(msg auditMsg) Model {
	err, warning := msg.err, ""
	var remote *audit.RemoteError
	if errors.As(err, &remote) {
		err, warning = nil, truncate(remote.Err.Error(), 120)
	}
	for _, s := range m.stack {
		if a, ok := s.(*auditlog.Model); ok {
			a.SetRecords(msg.records, err, warning)
		}
	}
	return m
}

// auditOpen tells whether an audit screen is on the stack, to read it again after a change.
func (m Model) auditOpen() bool {
	for _, s := range m.stack {
		if _, ok := s.(*auditlog.Model); ok {
			return true
		}
	}
	return false
}
