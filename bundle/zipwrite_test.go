package bundle

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestInOrderKeepsOrderAndReportsWhileWaiting runs slow items on several workers: results
// come out in item order, and idle is called from the caller's goroutine meanwhile, which
// is what lets a build report progress inside one large file.
func TestInOrderKeepsOrderAndReportsWhileWaiting(t *testing.T) {
	var emitted []int
	idles := 0
	var mu sync.Mutex
	inside := 0
	work := func(_, i int) int {
		mu.Lock()
		inside++
		mu.Unlock()
		time.Sleep(time.Duration(3-i%3) * progressEvery)
		return i * 10
	}
	emit := func(i, r int) error {
		if r != i*10 {
			t.Errorf("item %d got result %d", i, r)
		}
		emitted = append(emitted, i)
		return nil
	}
	err := inOrder(context.Background(), 6, 2, 4, work, emit, func(int) {},
		func() { idles++ })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(emitted, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("emitted %v, want items in order", emitted)
	}
	if idles < 3 {
		t.Errorf("idle was called %d times over about %s of waiting, want several", idles,
			9*progressEvery)
	}
	if inside != 6 {
		t.Errorf("work ran %d times, want 6", inside)
	}
}

// TestProgressCountsReadsFromAnyGoroutine feeds the tracker from several goroutines, as
// the compressors do, and checks what Build's goroutine then reports.
func TestProgressCountsReadsFromAnyGoroutine(t *testing.T) {
	var got []Progress
	tr := &progressTracker{opts: Options{Progress: func(p Progress) { got = append(got, p) }},
		total: 1000}
	tr.start(StageHost)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				tr.read(1)
			}
		})
	}
	wg.Wait()
	tr.poll()
	tr.read(5000) // a file that grew since it was listed
	tr.poll()
	want := []Progress{{StageHost, 0, 1000}, {StageHost, 400, 1000}, {StageHost, 1000, 1000}}
	if !slices.Equal(got, want) {
		t.Errorf("reports = %v, want %v", got, want)
	}
}
