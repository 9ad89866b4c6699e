package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"spotdeck/config"
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
