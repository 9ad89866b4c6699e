package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"spotdeck/config"
)

// FileName is the local audit log's name in the state folder.
const FileName = "audit.jsonl"

// dayForm names a day of the shared log, in UTC.
const dayForm = "2006-01-02"

// maxReadDays bounds how many days of the shared log one Read fetches: a request per day.
const maxReadDays = 400

// Sink keeps the shared copy of the audit log, one file per UTC day. The azure package's
// AuditBlobs is the real one.
type Sink interface {
	// Append adds one JSON line, newline included, to the day's file ("2006-01-02").
	Append(ctx context.Context, day string, line []byte) error
	// ReadDay returns the day's file, or nil without error when there is none.
	ReadDay(ctx context.Context, day string) ([]byte, error)
}

// RemoteError reports that the shared copy failed while the local log is intact: on
// Append the record was kept locally, on Read the local records were returned.
type RemoteError struct {
	Err error
}

// Error says what failed and that nothing local was lost.
func (e *RemoteError) Error() string {
	return "the team's shared audit log failed (the local log is intact): " + e.Err.Error()
}

// Unwrap returns the sink's error.
func (e *RemoteError) Unwrap() error { return e.Err }

// Log appends records to a local JSON lines file and, when it has a sink, to the shared
// log. It is safe for concurrent use.
type Log struct {
	path   string
	remote Sink
	mu     sync.Mutex
	now    func() time.Time
}

// DefaultPath is the local audit log: $XDG_STATE_HOME/spotdeck/audit.jsonl.
func DefaultPath() (string, error) {
	dir, err := config.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, FileName), nil
}

// Open prepares the log at path, with remote as the shared copy (nil: local only). It
// creates the folder and the file, mode 0600, so that a log that cannot be written is
// found before a change is made rather than after.
func Open(path string, remote Sink) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the audit log's folder: %w", err)
	}
	f, err := openForAppend(path)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open audit log %s: %w", path, err)
	}
	return &Log{path: path, remote: remote, now: time.Now}, nil
}

// openForAppend opens the file for appending and makes it private: records name people
// and hosts.
func openForAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log %s: %w (fix: check the permissions of its "+
			"folder, or set XDG_STATE_HOME)", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("make audit log %s private: %w", path, err)
	}
	return f, nil
}

// Path returns the local log's path.
func (l *Log) Path() string { return l.path }

// Shared tells whether records also go to the team's shared log.
func (l *Log) Shared() bool { return l.remote != nil }

// Append writes the record locally and then to the shared log. When only the shared copy
// fails, the error is a *RemoteError; a local failure is returned as such, after the
// shared copy has still been tried so that the record exists somewhere.
func (l *Log) Append(ctx context.Context, r Record) error {
	if r.ID == "" {
		r.ID = newID()
	}
	if r.Time.IsZero() {
		r.Time = l.now().UTC()
	}
	r.Params = MaskParams(r.Params)
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode audit record: %w", err)
	}
	line = append(line, '\n')
	localErr := l.appendLocal(line)
	var remoteErr error
	if l.remote != nil {
		remoteErr = l.remote.Append(ctx, r.Time.UTC().Format(dayForm), line)
	}
	switch {
	case localErr != nil && remoteErr != nil:
		return fmt.Errorf("%w; the shared copy failed too: %v", localErr, remoteErr)
	case localErr != nil:
		return fmt.Errorf("%w (the shared log has the record)", localErr)
	case remoteErr != nil:
		return &RemoteError{Err: remoteErr}
	}
	return nil
}

// appendLocal writes the line with one write call, which O_APPEND keeps whole even when
// two spotdeck processes append at once.
func (l *Log) appendLocal(line []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := openForAppend(l.path)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		_ = f.Close()
		return fmt.Errorf("write audit log %s: %w", l.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write audit log %s: %w", l.path, err)
	}
	return nil
}

// Read returns the records of the last since, oldest first: the local log merged with
// the shared one, each record once. Lines that are not records (a write cut short by a
// crash) are skipped. When the shared log fails, the local records come back with a
// *RemoteError.
func (l *Log) Read(ctx context.Context, since time.Duration) ([]Record, error) {
	if since <= 0 {
		return nil, fmt.Errorf("audit: read the last %s: give a positive duration such as "+
			"24h", since)
	}
	now := l.now().UTC()
	cutoff := now.Add(-since)
	merged := map[string]Record{}
	if err := l.readLocal(merged); err != nil {
		return nil, err
	}
	var remoteErr error
	if l.remote != nil {
		remoteErr = l.readRemote(ctx, cutoff, now, merged)
	}
	records := recent(merged, cutoff)
	if remoteErr != nil {
		return records, &RemoteError{Err: remoteErr}
	}
	return records, nil
}

func (l *Log) readLocal(into map[string]Record) error {
	f, err := os.Open(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read audit log %s: %w", l.path, err)
	}
	defer f.Close()
	if err := parseLines(f, into); err != nil {
		return fmt.Errorf("read audit log %s: %w", l.path, err)
	}
	return nil
}

// readRemote fetches each UTC day from the cutoff's to today's.
func (l *Log) readRemote(ctx context.Context, cutoff, now time.Time,
	into map[string]Record) error {
	first := cutoff.Truncate(24 * time.Hour)
	if days := int(now.Sub(first).Hours()/24) + 1; days > maxReadDays {
		first = now.Truncate(24*time.Hour).AddDate(0, 0, 1-maxReadDays)
	}
	for day := first; !day.After(now); day = day.AddDate(0, 0, 1) {
		data, err := l.remote.ReadDay(ctx, day.Format(dayForm))
		if err != nil {
			return err
		}
		if err := parseLines(bytes.NewReader(data), into); err != nil {
			return err
		}
	}
	return nil
}

// parseLines adds each record of a JSON lines stream to into, keyed by ID.
func parseLines(r io.Reader, into map[string]Record) error {
	reader := bufio.NewReader(r)
	for {
		line, err := reader.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var rec Record
			if json.Unmarshal(line, &rec) == nil && !rec.Time.IsZero() {
				into[recordKey(rec, line)] = rec
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// recordKey is the record's ID; a record written without one is keyed by its text.
func recordKey(rec Record, line []byte) string {
	if rec.ID != "" {
		return rec.ID
	}
	return string(bytes.TrimSpace(line))
}

// recent returns the records at or after cutoff, oldest first.
func recent(merged map[string]Record, cutoff time.Time) []Record {
	records := make([]Record, 0, len(merged))
	for _, rec := range merged {
		if !rec.Time.Before(cutoff) {
			records = append(records, rec)
		}
	}
	sort.Slice(records, func(i, j int) bool {
		if !records[i].Time.Equal(records[j].Time) {
			return records[i].Time.Before(records[j].Time)
		}
		return records[i].ID < records[j].ID
	})
	return records
}
