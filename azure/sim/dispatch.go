package sim

import (
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"spotdeck/azure"
)

// fakePollerStatus is the header in which the SDK's fake servers report the state of a
// long-running operation (azcore's internal/shared.HeaderFakePollerStatus).
const fakePollerStatus = "Fake-Poller-Status"

// dispatch answers one request, in-process or forwarded by the HTTP handler. The request
// must carry the SDK operation name in its context and an absolute URL. Every failure
// becomes an ARM error response rather than a Go error, so a client sees the same thing
// in-process and over HTTP; only the request's own context ending is returned as an error.
func (s *Sim) dispatch(req *http.Request) (*http.Response, error) {
	op, ok := req.Context().Value(runtime.CtxAPINameKey{}).(string)
	if !ok || op == "" {
		return noOperationName().response(req), nil
	}
	if f, faulted := s.books.record(op); faulted {
		if f.status != 0 {
			return f.answer(op).response(req), nil
		}
		if err := f.wait(req.Context()); err != nil {
			return nil, err
		}
	}
	if subscription, ok := subscriptionOf(req.URL.Path); ok &&
		!strings.EqualFold(subscription, FixedSubscriptionID) {
		return subscriptionNotFound(subscription).response(req), nil
	}
	resp, err := s.transportFor(op, req).Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		resp = toARMError(op, err).response(req)
	}
	s.books.trackPoller(op, req.URL.Path, resp)
	return resp, nil
}

// transportFor returns the fake that answers op: a fresh one per page for lists, the
// long-lived one, which remembers long-running operations, for everything else.
func (s *Sim) transportFor(op string, req *http.Request) azure.Transporter {
	if pages, ok := pagedOperations[op]; ok {
		return pages(s, req)
	}
	return s.lro
}

// subscriptionOf returns the subscription ID a request path names, if it names one.
func subscriptionOf(path string) (string, bool) {
	segments := strings.Split(strings.Trim(path, "/"), "/")
	if len(segments) < 2 || !strings.EqualFold(segments[0], "subscriptions") {
		return "", false
	}
	return segments[1], true
}

// trackPoller remembers which operation a long-running operation in progress belongs
// to, so that its polls, which arrive over HTTP with nothing but a path, can be routed.
// A poll answered with an error ends the operation as far as the client is concerned.
func (b *books) trackPoller(op, path string, resp *http.Response) {
	state := resp.Header.Get(fakePollerStatus)
	base, isPoll := strings.CutSuffix(path, pollSuffix)
	if state == "" && !isPoll {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if state == "" || isTerminal(state) {
		delete(b.pollers, base)
		return
	}
	b.pollers[base] = op
}

// pollerAt returns the operation of the long-running operation in progress at path.
func (b *books) pollerAt(path string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	op, ok := b.pollers[path]
	return op, ok
}

// isTerminal tells whether a long-running operation state is final.
func isTerminal(state string) bool {
	for _, final := range []string{"Succeeded", "Failed", "Canceled"} {
		if strings.EqualFold(state, final) {
			return true
		}
	}
	return false
}
