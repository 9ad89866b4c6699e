package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// memSink is a shared log held in memory, with switches to make it fail.
type memSink struct {
	mu        sync.Mutex
	days      map[string][]byte
	appendErr error
	readErr   error
	reads     []string
}

func newMemSink() *memSink { return &memSink{days: map[string][]byte{}} }

func (s *memSink) Append(_ context.Context, day string, line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.appendErr != nil {
		return s.appendErr
	}
	s.days[day] = append(s.days[day], line...)
	return nil
}

func (s *memSink) ReadDay(_ context.Context, day string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads = append(s.reads, day)
	if s.readErr != nil {
		return nil, s.readErr
	}
	return s.days[day], nil
}

// auditTestNow is the fixed "now" of these tests: shortly after midnight UTC, so that a
// day's reading spans two shared files.
var auditTestNow = time.Date(2026, 12, 3, 0, 30, 0, 0, time.UTC)

func openTestLog(t *testing.T, sink Sink) *Log {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "spotdeck", FileName)
	log, err := Open(path, sink)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	log.now = func() time.Time { return auditTestNow }
	return log
}

func recordAt(at time.Time, action string) Record {
	r := NewRecord("tester", action, []string{"rg/vmss"}, nil)
	r.Time = at
	r.Result = ResultOK
	return r
}

func TestOpenCreatesAPrivateFile(t *testing.T) {
	log := openTestLog(t, nil)
	info, err := os.Stat(log.Path())
	if err != nil {
		t.Fatalf("Open did not create the file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode = %o, want 600", mode)
	}
	dir, err := os.Stat(filepath.Dir(log.Path()))
	if err != nil || dir.Mode().Perm() != 0o700 {
		t.Errorf("folder mode = %v (%v), want 700", dir.Mode().Perm(), err)
	}
}

func TestOpenMakesAnExistingFilePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, nil); err != nil {
		t.Fatalf("Open: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v (%v), want 600", info.Mode().Perm(), err)
	}
}

func TestOpenFailsWhenTheFolderCannotBeMade(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(filepath.Join(blocker, "spotdeck", FileName), nil)
	if err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("Open under a file: err = %v, want a folder error", err)
	}
}

func TestAppendWritesLocallyAndShared(t *testing.T) {
	sink := newMemSink()
	log := openTestLog(t, sink)
	rec := recordAt(auditTestNow, "restart")
	rec.Params = map[string]string{"accountKey": "plain-secret"}
	if err := log.Append(context.Background(), rec); err != nil {
		t.Fatalf("Append: %v", err)
	}
	local, err := os.ReadFile(log.Path())
	if err != nil {
		t.Fatal(err)
	}
	shared := sink.days["2026-12-03"]
	if !bytes.Equal(local, shared) {
		t.Errorf("local line %q differs from shared %q", local, shared)
	}
	if bytes.Count(local, []byte("\n")) != 1 || bytes.Contains(local, []byte("plain-secret")) {
		t.Errorf("local log = %q: want one line, secret masked", local)
	}
	var back Record
	if err := json.Unmarshal(local, &back); err != nil {
		t.Fatalf("line is not JSON: %v", err)
	}
	if back.ID != rec.ID || back.Action != "restart" || back.Result != ResultOK {
		t.Errorf("decoded %+v, want the appended record", back)
	}
}

func TestAppendWhenTheSharedLogFails(t *testing.T) {
	sink := newMemSink()
	sink.appendErr = errors.New("403 AuthorizationPermissionMismatch")
	log := openTestLog(t, sink)
	err := log.Append(context.Background(), recordAt(auditTestNow, "scale"))
	var remote *RemoteError
	if !errors.As(err, &remote) {
		t.Fatalf("Append err = %v, want a *RemoteError", err)
	}
	if !strings.Contains(err.Error(), "AuthorizationPermissionMismatch") {
		t.Errorf("error %q hides the sink's reason", err)
	}
	records, readErr := log.Read(context.Background(), time.Hour)
	if readErr != nil || len(records) != 1 {
		t.Errorf("local log after a shared failure: %d records, err %v; want 1", len(records),
			readErr)
	}
}

func TestAppendWhenTheLocalLogFails(t *testing.T) {
	sink := newMemSink()
	log := openTestLog(t, sink)
	if err := os.Remove(log.Path()); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(log.Path(), 0o700); err != nil { // a folder where the file was
		t.Fatal(err)
	}
	err := log.Append(context.Background(), recordAt(auditTestNow, "delete"))
	var remote *RemoteError
	if err == nil || errors.As(err, &remote) {
		t.Fatalf("Append err = %v, want a local failure", err)
	}
	if len(sink.days["2026-12-03"]) == 0 {
		t.Error("the shared log was not tried after the local failure")
	}
}

func TestReadMergesSortsAndFilters(t *testing.T) {
	sink := newMemSink()
	log := openTestLog(t, sink)
	ctx := context.Background()
	old := recordAt(auditTestNow.Add(-48*time.Hour), "old")
	first := recordAt(auditTestNow.Add(-2*time.Hour), "first")
	second := recordAt(auditTestNow.Add(-time.Hour), "second")
	for _, r := range []Record{old, second, first} {
		if err := log.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// A teammate's record reaches only the shared log.
	mate := recordAt(auditTestNow.Add(-90*time.Minute), "teammate")
	line, _ := json.Marshal(mate)
	sink.days["2026-12-02"] = append(sink.days["2026-12-02"], append(line, '\n')...)

	records, err := log.Read(ctx, 24*time.Hour)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var got []string
	for _, r := range records {
		got = append(got, r.Action)
	}
	if want := "first,teammate,second"; strings.Join(got, ",") != want {
		t.Errorf("Read = %v, want %s (each once, oldest first, no older than 24h)", got, want)
	}
	if want := "2026-12-02,2026-12-03"; strings.Join(sink.reads, ",") != want {
		t.Errorf("shared days read = %v, want %s", sink.reads, want)
	}
}

func TestReadSkipsBrokenLines(t *testing.T) {
	log := openTestLog(t, nil)
	good := recordAt(auditTestNow.Add(-time.Minute), "restart")
	line, _ := json.Marshal(good)
	content := "not json\n{\"id\":\"x\"}\n" + string(line) + "\n{\"id\":\"cut"
	if err := os.WriteFile(log.Path(), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	records, err := log.Read(context.Background(), time.Hour)
	if err != nil || len(records) != 1 || records[0].ID != good.ID {
		t.Errorf("Read = %+v, %v; want only the good record", records, err)
	}
}

func TestReadWhenTheSharedLogFails(t *testing.T) {
	sink := newMemSink()
	log := openTestLog(t, sink)
	if err := log.Append(context.Background(), recordAt(auditTestNow, "start")); err != nil {
		t.Fatal(err)
	}
	sink.readErr = errors.New("network unreachable")
	records, err := log.Read(context.Background(), time.Hour)
	var remote *RemoteError
	if !errors.As(err, &remote) || len(records) != 1 {
		t.Errorf("Read = %d records, err %v; want the local record and a *RemoteError",
			len(records), err)
	}
}

func TestReadRejectsNonPositiveDurations(t *testing.T) {
	log := openTestLog(t, nil)
	for _, since := range []time.Duration{0, -time.Hour} {
		t.Run(since.String(), func(t *testing.T) {
			if _, err := log.Read(context.Background(), since); err == nil ||
				!strings.Contains(err.Error(), "24h") {
				t.Errorf("Read(%s) err = %v, want one naming a good duration", since, err)
			}
		})
	}
}

func TestReadBoundsTheDaysFetched(t *testing.T) {
	sink := newMemSink()
	log := openTestLog(t, sink)
	if _, err := log.Read(context.Background(), 10*365*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(sink.reads) != maxReadDays {
		t.Errorf("read %d days, want at most %d", len(sink.reads), maxReadDays)
	}
	if last := sink.reads[len(sink.reads)-1]; last != "2026-12-03" {
		t.Errorf("last day read = %s, want today", last)
	}
}

func TestConcurrentAppendsKeepWholeLines(t *testing.T) {
	log := openTestLog(t, newMemSink())
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := log.Append(context.Background(), recordAt(auditTestNow, "restart"))
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	records, err := log.Read(context.Background(), time.Hour)
	if err != nil || len(records) != 20 {
		t.Errorf("after 20 concurrent appends: %d records, err %v", len(records), err)
	}
}
