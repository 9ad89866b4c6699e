package sim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Fault injection: make the next calls of an operation fail or answer slowly, so tests
// and demos can show throttling, outages and timeouts.

// AnyOperation, given as the operation to InjectFault or InjectLatency, matches every
// operation. Faults queued for the operation itself are used first.
const AnyOperation = "*"

// fault is a queued fault: an error status, or a delay when status is zero.
type fault struct {
	status     int
	retryAfter time.Duration
	delay      time.Duration
	left       int
}

// InjectFault makes the next count calls of the operation op (e.g.
// "VirtualMachineScaleSetVMsClient.NewListPager", or AnyOperation) fail with the HTTP
// status, an error status from 400 to 599, and an ARM error body. A positive retryAfter
// is sent as the Retry-After header, rounded up to whole seconds; a 429 also carries the
// Compute throttling header. Other statuses or a count below 1 inject nothing. Note that
// the SDK retries 408, 429, 500, 502, 503 and 504 on its own, and each retry is a call.
func (s *Sim) InjectFault(op string, status int, retryAfter time.Duration, count int) {
	if status < 400 || status > 599 || count < 1 {
		return
	}
	s.books.addFault(op, &fault{status: status, retryAfter: retryAfter, left: count})
}

// InjectLatency makes the next count calls of the operation op (or AnyOperation) wait the
// given real time, not simulated time, before they are answered. A call whose context
// ends first fails with the context's error. A delay or count below 1 injects nothing.
func (s *Sim) InjectLatency(op string, delay time.Duration, count int) {
	if delay <= 0 || count < 1 {
		return
	}
	s.books.addFault(op, &fault{delay: delay, left: count})
}

// books is the request bookkeeping: call counts and queued faults.
type books struct {
	mu     sync.Mutex
	calls  map[string]int
	faults map[string][]*fault
}

func newBooks() books {
	return books{calls: map[string]int{}, faults: map[string][]*fault{}}
}

func (b *books) addFault(op string, f *fault) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults[op] = append(b.faults[op], f)
}

// record counts one call of op and takes the fault queued for it, if any.
func (b *books) record(op string) (fault, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[op]++
	for _, key := range []string{op, AnyOperation} {
		queue := b.faults[key]
		if len(queue) == 0 {
			continue
		}
		f := queue[0]
		f.left--
		if f.left == 0 {
			b.faults[key] = queue[1:]
		}
		return *f, true
	}
	return fault{}, false
}

func (b *books) callCounts() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	counts := make(map[string]int, len(b.calls))
	for op, n := range b.calls {
		counts[op] = n
	}
	return counts
}

// wait sleeps for the fault's delay, or until ctx ends.
func (f fault) wait(ctx context.Context) error {
	timer := time.NewTimer(f.delay)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// answer returns the error an injected error status answers with.
func (f fault) answer(op string) *armError {
	e := &armError{status: f.status, retryAfter: f.retryAfter, code: statusCode(f.status),
		message: fmt.Sprintf("%s failed: fault injected into the simulated subscription.", op)}
	if f.status == http.StatusTooManyRequests {
		// The Compute resource provider's throttling answer: code, message and the counter
		// of the policy that tripped.
		e.code = "OperationNotAllowed"
		e.message = "The server rejected the request because too many requests have been " +
			"received for this subscription."
		e.header = http.Header{}
		e.header.Set("x-ms-ratelimit-remaining-resource", "Microsoft.Compute/HighCostGet3Min;0")
	}
	return e
}

// statusCode names an HTTP status the way ARM error codes read, e.g. "ServiceUnavailable".
func statusCode(status int) string {
	code := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, http.StatusText(status))
	if code == "" {
		return fmt.Sprintf("HTTP%d", status)
	}
	return code
}
