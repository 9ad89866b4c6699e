package azure

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// armTestSubscription is the subscription every test client reads.
const armTestSubscription = "00000000-0000-0000-0000-000000000001"

// Request paths of the list operations for armTestSubscription.
const (
	allScaleSetsPath = "/subscriptions/" + armTestSubscription +
		"/providers/Microsoft.Compute/virtualMachineScaleSets"
	groupPathPrefix = "/subscriptions/" + armTestSubscription + "/resourceGroups/"
)

func groupScaleSetsPath(group string) string {
	return groupPathPrefix + group + "/providers/Microsoft.Compute/virtualMachineScaleSets"
}

func instancesPath(group, scaleSet string) string {
	return groupScaleSetsPath(group) + "/" + scaleSet + "/virtualMachines"
}

// armAnswer is one canned HTTP answer.
type armAnswer struct {
	status int
	header http.Header
	body   []byte
}

// armRequest is what the stub recorded of one request.
type armRequest struct {
	path          string
	query         url.Values
	authorization string
}

// armStub answers requests from canned answers keyed by URL path and records each request.
// Paths it does not know get an ARM-style 404.
type armStub struct {
	mu      sync.Mutex
	answers map[string]armAnswer
	seen    []armRequest
}

func newARMStub() *armStub {
	return &armStub{answers: map[string]armAnswer{}}
}

// answer sets a 200 JSON answer for a path.
func (s *armStub) answer(path string, body []byte) {
	s.answerWith(path, armAnswer{status: http.StatusOK, body: body})
}

func (s *armStub) answerWith(path string, a armAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[strings.ToLower(path)] = a
}

func (s *armStub) requests() []armRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]armRequest(nil), s.seen...)
}

func (s *armStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, armRequest{
		path:          r.URL.Path,
		query:         r.URL.Query(),
		authorization: r.Header.Get("Authorization"),
	})
	a, ok := s.answers[strings.ToLower(r.URL.Path)]
	s.mu.Unlock()
	if !ok {
		message := "no answer for " + r.URL.Path
		a = armAnswer{
			status: http.StatusNotFound,
			body:   []byte(`{"error":{"code":"NoStub","message":"` + message + `"}}`),
		}
	}
	for name, values := range a.header {
		w.Header()[name] = values
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// newTLSStubClient serves the stub over TLS on 127.0.0.1 and returns a client of it that
// reads the whole subscription.
func newTLSStubClient(t *testing.T, stub *armStub) (*Client, *httptest.Server) {
	t.Helper()
	return newTLSStubClientFor(t, stub, "")
}

// newTLSStubClientFor is newTLSStubClient limited to one resource group.
func newTLSStubClientFor(t *testing.T, stub *armStub, group string) (*Client, *httptest.Server) {
	t.Helper()
	server := httptest.NewTLSServer(stub)
	t.Cleanup(server.Close)
	client, err := NewClient(ClientOptions{
		SubscriptionID: armTestSubscription,
		ResourceGroup:  group,
		ARMEndpoint:    server.URL,
		Transport:      server.Client(),
	})
	if err != nil {
		t.Fatalf("NewClient for the stub at %s: %v", server.URL, err)
	}
	return client, server
}

// armListBody builds a list answer holding the given items and no nextLink.
func armListBody(t *testing.T, items ...json.RawMessage) []byte {
	t.Helper()
	if items == nil {
		items = []json.RawMessage{}
	}
	body, err := json.Marshal(map[string]any{"value": items})
	if err != nil {
		t.Fatalf("build list body: %v", err)
	}
	return body
}

// armFixtureDir returns the shared ARM fixtures folder, or skips the test when it is absent.
func armFixtureDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "fixtures", "arm")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ARM fixtures not found at %s (the shared folder beside the repository): %v",
			dir, err)
	}
	return dir
}

// readARMFixture returns the bytes of one shared fixture file.
func readARMFixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(armFixtureDir(t), name))
	if err != nil {
		t.Fatalf("read fixture %s: %v", name, err)
	}
	return raw
}

// armExampleBody returns responses."<status>".body of an Azure REST example file.
func armExampleBody(t *testing.T, name, status string) json.RawMessage {
	t.Helper()
	raw := readARMFixture(t, name)
	var example struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &example); err != nil {
		t.Fatalf("decode fixture %s: %v", name, err)
	}
	response, ok := example.Responses[status]
	if !ok || len(response.Body) == 0 {
		t.Fatalf("fixture %s has no %s response body", name, status)
	}
	return response.Body
}

// withoutNextLink drops the example's nextLink (a placeholder such as
// "a://example.com/aaaa") so the pager stops after the one page served.
func withoutNextLink(t *testing.T, body json.RawMessage) []byte {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatalf("decode list body: %v", err)
	}
	delete(fields, "nextLink")
	out, err := json.Marshal(fields)
	if err != nil {
		t.Fatalf("encode list body: %v", err)
	}
	return out
}

// assertMappedEqual compares two values by their JSON form, which shows pointed-to values
// rather than addresses when they differ.
func assertMappedEqual(t *testing.T, got, want any) {
	t.Helper()
	gotJSON, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatalf("encode got: %v", err)
	}
	wantJSON, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatalf("encode want: %v", err)
	}
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("mapped value differs\n got: %s\nwant: %s", gotJSON, wantJSON)
	}
}

// armBody wraps a string as a response body.
func armBody(s string) io.ReadCloser {
	return io.NopCloser(strings.NewReader(s))
}
