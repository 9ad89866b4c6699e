package sim

import (
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// fakePageSuffix is what the SDK's fake pagers append to a path for their next page. The
// simulation builds a fresh fake per request, which would answer such a link with the
// first page again, so a provider's lists must page themselves (see registry.go).
const fakePageSuffix = "/fake_page_"

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
	if isPoll(req) {
		return s.answerPoll(req), nil
	}
	// Permissions the simulation was told to deny (setup_state.go) refuse the operation
	// whichever provider serves it, as Resource Manager refuses before any provider sees it.
	if refusal := s.deniedFor(op, req); refusal != nil {
		return refusal.response(req), nil
	}
	return s.answer(op, req)
}

// answer hands a request to the fake of the provider that serves op.
func (s *Sim) answer(op string, req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, fakePageSuffix) {
		return notServed(op + " (a fake's own next-page link)").response(req), nil
	}
	p, ok := providerFor(op, req.Method, req.URL.Path)
	if !ok {
		return notServed(op).response(req), nil
	}
	withInfo, err := withRequestInfo(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return badRequest("InvalidRequest", op+": the request body could not be read: "+
			err.Error()).response(req), nil
	}
	resp, err := p.transport(s, withInfo).Do(withInfo)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		resp = toARMError(op, err).response(req)
	}
	return resp, nil
}

// subscriptionOf returns the subscription ID a request path names, if it names one.
func subscriptionOf(path string) (string, bool) {
	segments := strings.Split(strings.Trim(path, "/"), "/")
	if len(segments) < 2 || !strings.EqualFold(segments[0], "subscriptions") {
		return "", false
	}
	return segments[1], true
}

// operationFor returns the operation a request over HTTP calls. A poll of a long-running
// operation resolves to the operation that started it.
func (s *Sim) operationFor(method, path string) (string, *armError) {
	if method == http.MethodGet && strings.HasSuffix(path, pollSuffix) {
		if op, ok := s.pollOperation(path); ok {
			return op, nil
		}
		return "", operationNotFound(strings.TrimSuffix(path, pollSuffix))
	}
	if op, ok := routeFor(method, path); ok {
		return op, nil
	}
	return "", unknownRoute(method, path)
}
