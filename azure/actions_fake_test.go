package azure

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
)

// The action tests drive the real armcompute clients through the SDK's fake servers,
// in-process. actionWire sits between the client and the fakes: it records every request
// with its body and can answer one in the fakes' stead (a throttled 429 with headers,
// which the fakes cannot produce).

const (
	actionGroup    = "rg-func"
	actionScaleSet = "vmss-func"
)

// actionEndpoint is a loopback endpoint no socket listens on: requests never leave the
// process, and loopback gets the static fake token.
const actionEndpoint = "http://127.0.0.1:1"

// wireRequest is what actionWire recorded of one request.
type wireRequest struct {
	method string
	path   string
	body   string
}

type actionWire struct {
	inner    Transporter
	mu       sync.Mutex
	requests []wireRequest
	// answer, when set, may answer a request instead of the fakes.
	answer func(req *http.Request) *http.Response
	// answered, when set, is called after the fakes answer the nth request.
	answered func(n int)
}

func (w *actionWire) Do(req *http.Request) (*http.Response, error) {
	// A real transport gives up on a request whose context has ended; the fakes would
	// dispatch it anyway (and may panic: they send on a closed channel).
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	w.mu.Lock()
	w.requests = append(w.requests, wireRequest{req.Method, req.URL.Path, string(body)})
	n, answer, answered := len(w.requests), w.answer, w.answered
	w.mu.Unlock()
	if answer != nil {
		if resp := answer(req); resp != nil {
			return resp, nil
		}
	}
	resp, err := w.inner.Do(req)
	if answered != nil {
		answered(n)
	}
	return resp, err
}

func (w *actionWire) seen() []wireRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wireRequest(nil), w.requests...)
}

// withFastPolling shortens the poll interval for one test.
func withFastPolling(t *testing.T) {
	t.Helper()
	saved := actionPollEvery
	actionPollEvery = 10 * time.Millisecond
	t.Cleanup(func() { actionPollEvery = saved })
}

// newActionClient returns a client whose requests reach the given fake servers.
func newActionClient(t *testing.T, sets *fake.VirtualMachineScaleSetsServer,
	vms *fake.VirtualMachineScaleSetVMsServer) (*Client, *actionWire) {
	t.Helper()
	withFastPolling(t)
	factory := &fake.ServerFactory{}
	if sets != nil {
		factory.VirtualMachineScaleSetsServer = *sets
	}
	if vms != nil {
		factory.VirtualMachineScaleSetVMsServer = *vms
	}
	wire := &actionWire{inner: fake.NewServerFactoryTransport(factory)}
	client, err := NewClient(ClientOptions{SubscriptionID: armTestSubscription,
		ARMEndpoint: actionEndpoint, Transport: wire})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return client, wire
}

func actionContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// slowPoller answers "in progress" once before it succeeds, so the client must poll.
func slowPoller[T any](status int, final T) azfake.PollerResponder[T] {
	var p azfake.PollerResponder[T]
	p.AddNonTerminalResponse(status, nil)
	p.SetTerminalResponse(http.StatusOK, final, nil)
	return p
}

// actionScaleSetModel is a Spot scale set with the given capacity and max price.
func actionScaleSetModel(capacity int64, maxPrice float64) armcompute.VirtualMachineScaleSet {
	return armcompute.VirtualMachineScaleSet{
		ID: to.Ptr("/subscriptions/" + armTestSubscription + "/resourceGroups/" + actionGroup +
			"/providers/Microsoft.Compute/virtualMachineScaleSets/" + actionScaleSet),
		Name:     to.Ptr(actionScaleSet),
		Location: to.Ptr("westeurope"),
		SKU:      &armcompute.SKU{Name: to.Ptr("Standard_D2s_v5"), Capacity: to.Ptr(capacity)},
		Properties: &armcompute.VirtualMachineScaleSetProperties{
			ProvisioningState: to.Ptr("Succeeded"),
			VirtualMachineProfile: &armcompute.VirtualMachineScaleSetVMProfile{
				Priority:       to.Ptr(armcompute.VirtualMachinePriorityTypesSpot),
				EvictionPolicy: to.Ptr(armcompute.VirtualMachineEvictionPolicyTypesDeallocate),
				BillingProfile: &armcompute.BillingProfile{MaxPrice: to.Ptr(maxPrice)},
			},
		},
	}
}

// actionInstance is an instance of the test scale set in the given power state.
func actionInstance(id, power string) *armcompute.VirtualMachineScaleSetVM {
	return &armcompute.VirtualMachineScaleSetVM{
		InstanceID: to.Ptr(id),
		Name:       to.Ptr(actionScaleSet + "_" + id),
		Properties: &armcompute.VirtualMachineScaleSetVMProperties{
			LatestModelApplied: to.Ptr(true),
			InstanceView: &armcompute.VirtualMachineScaleSetVMInstanceView{
				Statuses: []*armcompute.InstanceViewStatus{{Code: to.Ptr("PowerState/" + power)}},
			},
		},
	}
}

// actionFleet is the fake state Plan reads: one scale set and its instances.
type actionFleet struct {
	set       armcompute.VirtualMachineScaleSet
	instances []*armcompute.VirtualMachineScaleSetVM
	// getStatus, when set, makes the scale-set read fail with it.
	getStatus int
	getCode   string
}

func (f *actionFleet) servers() (*fake.VirtualMachineScaleSetsServer,
	*fake.VirtualMachineScaleSetVMsServer) {
	sets := &fake.VirtualMachineScaleSetsServer{
		Get: func(_ context.Context, _, _ string,
			_ *armcompute.VirtualMachineScaleSetsClientGetOptions) (
			resp azfake.Responder[armcompute.VirtualMachineScaleSetsClientGetResponse],
			errResp azfake.ErrorResponder) {
			if f.getStatus != 0 {
				errResp.SetResponseError(f.getStatus, f.getCode)
				return resp, errResp
			}
			resp.SetResponse(http.StatusOK, armcompute.VirtualMachineScaleSetsClientGetResponse{
				VirtualMachineScaleSet: f.set}, nil)
			return resp, errResp
		},
	}
	vms := &fake.VirtualMachineScaleSetVMsServer{
		NewListPager: func(_, _ string, _ *armcompute.VirtualMachineScaleSetVMsClientListOptions) (
			resp azfake.PagerResponder[armcompute.VirtualMachineScaleSetVMsClientListResponse]) {
			resp.AddPage(http.StatusOK, armcompute.VirtualMachineScaleSetVMsClientListResponse{
				VirtualMachineScaleSetVMListResult: armcompute.VirtualMachineScaleSetVMListResult{
					Value: f.instances}}, nil)
			return resp
		},
	}
	return sets, vms
}

// throttledAnswer answers every request with the Compute RP's 429: the shared fixture's
// body and a Retry-After beyond what the SDK waits for by itself.
func throttledAnswer(t *testing.T) func(*http.Request) *http.Response {
	body := armThrottleBody(t)
	return func(req *http.Request) *http.Response {
		header := http.Header{}
		header.Set("Content-Type", "application/json")
		header.Set("Retry-After", "1200")
		header.Set("x-ms-ratelimit-remaining-resource",
			"Microsoft.Compute/VMScaleSetBatchedVMRequests5Min;0")
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: header,
			Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	}
}

// assertContainsAll fails unless text holds every part.
func assertContainsAll(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, part := range parts {
		if !strings.Contains(text, part) {
			t.Errorf("%s %q does not mention %q", what, text, part)
		}
	}
}
