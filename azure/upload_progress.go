package azure

import (
	"sync"
	"time"
)

// uploadTracker counts the bytes sent across the goroutines of an upload and reports them
// through one callback, one call at a time.
type uploadTracker struct {
	mu      sync.Mutex
	report  func(UploadProgress)
	total   int64
	sent    int64
	started time.Time
	now     func() time.Time
}

// newUploadTracker starts the clock for an upload that must send total bytes.
func newUploadTracker(report func(UploadProgress), total int64) *uploadTracker {
	return &uploadTracker{report: report, total: total, started: time.Now(), now: time.Now}
}

// add counts n more bytes of file sent and reports.
func (t *uploadTracker) add(file string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent += n
	t.emit(file)
}

// note reports that work moved on to file without sending bytes.
func (t *uploadTracker) note(file string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emit(file)
}

// bytesSent returns the bytes sent so far.
func (t *uploadTracker) bytesSent() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent
}

// emit calls the callback with the current state; the caller holds the lock.
func (t *uploadTracker) emit(file string) {
	if t.report == nil {
		return
	}
	t.report(progressAt(file, t.sent, t.total, t.now().Sub(t.started)))
}

// progressAt computes rate and time left from the bytes sent in elapsed.
func progressAt(file string, sent, total int64, elapsed time.Duration) UploadProgress {
	p := UploadProgress{Bytes: sent, Total: total, File: file}
	if sent <= 0 || elapsed <= 0 {
		return p
	}
	p.Rate = float64(sent) / elapsed.Seconds()
	if left := total - sent; left > 0 {
		p.Remaining = time.Duration(float64(left) / p.Rate * float64(time.Second))
	}
	return p
}
