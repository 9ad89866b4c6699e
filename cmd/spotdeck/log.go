package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"spotdeck/config"
	"spotdeck/events"
)

// openLog sends slog to spotdeck.log in the state folder: the console owns the terminal,
// so nothing may be written there while it runs.
func openLog() (func(), error) {
	dir, err := config.StateDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, "spotdeck.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(f, nil)))
	return func() { _ = f.Close() }, nil
}

// eventsFile names the events file of a subscription: each subscription keeps its own
// history, so a console on one (or on the simulator's) never shows another's evictions.
func eventsFile(subscription string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '-' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, strings.ToLower(subscription))
	return "events-" + safe + ".jsonl"
}

// openEvents opens the events file of the given name in the state folder. The demo keeps
// its own file so that simulated evictions never mix with a real fleet's.
func openEvents(name string) (*events.Store, error) {
	dir, err := config.StateDir()
	if err != nil {
		return nil, err
	}
	return events.Open(filepath.Join(dir, name), time.Now())
}
