package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the line's timer goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestProgressLineDrawsTheLastText checks that a text arriving within the interval is
// drawn when it ends, even when no other text follows, and that nothing is drawn after
// clear.
func TestProgressLineDrawsTheLastText(t *testing.T) {
	out := &syncBuffer{}
	line := &progressLine{w: out, on: true}
	line.show("building: check")
	line.show("building host.zip:   0% of 286.4 MiB")
	if got := out.String(); strings.Contains(got, "host.zip") {
		t.Fatalf("drawn at once, within the interval: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasSuffix(out.String(), "building host.zip:   0% of 286.4 MiB") {
		if time.Now().After(deadline) {
			t.Fatalf("the last text was never drawn: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	line.show("building app.zip")
	line.clear()
	time.Sleep(2 * progressEvery)
	got := out.String()
	if strings.Contains(got, "app.zip") || !strings.HasSuffix(got, "\r") {
		t.Errorf("after clear: %q, want the line blanked and nothing more", got)
	}
}
