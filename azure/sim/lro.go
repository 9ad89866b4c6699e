package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Long-running operations. A Begin method of a fake answers the first response only: "in
// progress", after beginOperation recorded when the operation ends in simulated time and
// how to render its outcome. The SDK's fake poller then polls the operation's path with
// pollSuffix appended; those polls are answered here from the model, never by a fake, so:
//   - an operation stays "in progress" until the simulated clock passes its end, however
//     often it is polled, and the instances show the operation meanwhile;
//   - two operations started on the same path (two restarts of one scale set) do not
//     confuse each other: their pollers see "in progress" until both have ended.

// pollSuffix ends the URL the SDK's fake poller polls: the operation's own path followed
// by this suffix (azcore's internal/pollers/fake).
const pollSuffix = "/get/fake/status"

// fakePollerStatus is the header in which the SDK's fake servers report the state of a
// long-running operation (azcore's internal/shared.HeaderFakePollerStatus).
const fakePollerStatus = "Fake-Poller-Status"

// longOp is a long-running operation, in progress or ended, at one request path.
type longOp struct {
	op   string
	ends time.Time
	// outcome renders the final answer once the operation has ended: the result to send
	// as JSON (nil for an empty object), or the error it failed with.
	outcome func(now time.Time) (any, *armError)
}

// doneAt is an outcome with no result, for operations whose final answer has no body.
func doneAt(time.Time) (any, *armError) { return nil, nil }

// requestInfo is what the simulation keeps of a request for the fake servers' methods,
// which receive the request's context but not the request.
type requestInfo struct {
	path string
	// body is the raw request body, so a method can tell which fields the client sent.
	body []byte
}

type requestInfoKey struct{}

// withRequestInfo reads the request body and returns the request carrying its path and
// body in the context, with the body still readable for the fake.
func withRequestInfo(req *http.Request) (*http.Request, error) {
	info := &requestInfo{path: req.URL.Path}
	if req.Body != nil && req.Body != http.NoBody {
		data, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		info.body = data
		req.Body = io.NopCloser(bytes.NewReader(data))
	}
	return req.WithContext(context.WithValue(req.Context(), requestInfoKey{}, info)), nil
}

// requestFrom returns the request info dispatch stored in ctx; an empty one when there is
// none, so a method never fails on it.
func requestFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// beginOperation records a long-running operation started by the request in ctx, ending
// at ends. An operation already in progress at the same path is extended rather than
// replaced, so its poller does not see an early end. The caller holds s.mu.
func (s *Sim) beginOperation(ctx context.Context, op string, ends time.Time,
	outcome func(now time.Time) (any, *armError)) {
	key := strings.ToLower(requestFrom(ctx).path)
	if key == "" {
		return
	}
	if prev, ok := s.lros[key]; ok && prev.ends.After(ends) && prev.ends.After(s.clock.now()) {
		ends = prev.ends
	}
	s.lros[key] = &longOp{op: op, ends: ends, outcome: outcome}
}

// pollOperation returns the operation polled at path, if one was started there.
func (s *Sim) pollOperation(path string) (string, bool) {
	base, isPoll := strings.CutSuffix(path, pollSuffix)
	if !isPoll {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if lo, ok := s.lros[strings.ToLower(base)]; ok {
		return lo.op, true
	}
	return "", false
}

// isPoll tells whether a request polls a long-running operation.
func isPoll(req *http.Request) bool {
	return req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, pollSuffix)
}

// answerPoll answers one poll of a long-running operation from the model.
func (s *Sim) answerPoll(req *http.Request) *http.Response {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	base := strings.TrimSuffix(req.URL.Path, pollSuffix)
	lo, ok := s.lros[strings.ToLower(base)]
	if !ok {
		return operationNotFound(base).response(req)
	}
	if now.Before(lo.ends) {
		return pollResponse(req, http.StatusOK, "InProgress", nil)
	}
	result, failure := lo.outcome(now)
	if failure != nil {
		resp := failure.response(req)
		resp.Header.Set(fakePollerStatus, "Failed")
		return resp
	}
	body, err := marshalResult(result)
	if err != nil {
		return badRequest("InvalidResult", fmt.Sprintf("%s: %v", lo.op, err)).response(req)
	}
	return pollResponse(req, http.StatusOK, "Succeeded", body)
}

// marshalResult renders an operation's result; nil renders as an empty object.
func marshalResult(result any) ([]byte, error) {
	if result == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(result)
}

// pollResponse builds the answer to a poll in the fake poller's protocol.
func pollResponse(req *http.Request, status int, state string, body []byte) *http.Response {
	header := http.Header{}
	header.Set(fakePollerStatus, state)
	if body != nil {
		header.Set("Content-Type", "application/json; charset=utf-8")
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

func operationNotFound(path string) *armError {
	return &armError{status: http.StatusNotFound, code: "OperationNotFound",
		message: fmt.Sprintf("No long-running operation was started at %s in the simulated "+
			"subscription; poll the URL the operation's first answer gave.", path)}
}
