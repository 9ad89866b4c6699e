package events

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Retention is how long events are kept.
const Retention = 24 * time.Hour

// aheadLimit is how far past now an event may be stamped and still be loaded: clocks
// drift a little, but an event further ahead was written by another clock, such as a demo
// whose simulated time ran faster than real time, and is not part of this history.
const aheadLimit = time.Minute

// Store keeps the last day of events in memory and as JSON lines in a file, so a console
// started later shows what happened before it. It is safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	path   string
	byKey  map[string]int // index into events
	events []Event        // oldest first
}

// Open loads the events of the last day from path (a missing file is an empty store) and
// rewrites the file without the older ones and without those stamped after now.
func Open(path string, now time.Time) (*Store, error) {
	s := &Store{path: path, byKey: make(map[string]int)}
	if err := s.load(now); err != nil {
		return nil, err
	}
	if err := s.rewrite(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the file the store writes.
func (s *Store) Path() string { return s.path }

func (s *Store) load(now time.Time) error {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read events %s: %w", s.path, err)
	}
	defer f.Close()
	scan := bufio.NewScanner(f)
	scan.Buffer(make([]byte, 64*1024), 1024*1024)
	for scan.Scan() {
		var e Event
		// A line torn by a crash mid-write is skipped, not fatal: the rest is still good.
		if json.Unmarshal(scan.Bytes(), &e) != nil || now.Sub(e.Time) > Retention ||
			e.Time.Sub(now) > aheadLimit {
			continue
		}
		s.put(e)
	}
	return scan.Err()
}

// put adds e, replacing an earlier event of the same key (an eviction later confirmed).
func (s *Store) put(e Event) {
	if i, ok := s.byKey[e.Key()]; ok {
		s.events[i] = e
		return
	}
	s.byKey[e.Key()] = len(s.events)
	s.events = append(s.events, e)
}

func (s *Store) rewrite() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("create state folder: %w", err)
	}
	sort.SliceStable(s.events, func(i, j int) bool {
		return s.events[i].Time.Before(s.events[j].Time)
	})
	for i, e := range s.events {
		s.byKey[e.Key()] = i
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write events %s: %w", tmp, err)
	}
	enc := json.NewEncoder(f)
	for _, e := range s.events {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return fmt.Errorf("write events %s: %w", tmp, err)
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

// Add records events, appending them to the file.
func (s *Store) Add(evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("append events %s: %w", s.path, err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, e := range evs {
		s.put(e)
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("append events %s: %w", s.path, err)
		}
	}
	return nil
}

// Since returns the events at or after t, newest first.
func (s *Store) Since(t time.Time) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for i := len(s.events) - 1; i >= 0; i-- {
		if !s.events[i].Time.Before(t) {
			out = append(out, s.events[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out
}
