package sim

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"spotdeck/azure"
)

// testStart is the simulated start of every test fleet.
var testStart = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// testCredential is the token credential every test client uses; any token will do.
var testCredential = &azfake.TokenCredential{}

// manualClock is a real-time source a test moves by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestSim returns a simulation whose real time moves only when the test says, at
// one simulated minute per real second.
func newTestSim(t *testing.T, opts Options) (*Sim, *manualClock) {
	t.Helper()
	clock := newManualClock()
	opts.Clock = clock.Now
	if opts.Start.IsZero() {
		opts.Start = testStart
	}
	if opts.Speed == 0 {
		opts.Speed = 60
	}
	return New(opts), clock
}

// simAdvance moves a test simulation forward by simulated time: newTestSim runs 60 times
// faster than its clock.
func simAdvance(clock *manualClock, d time.Duration) {
	clock.Advance(d / 60)
}

// transports names the two ways a test reaches the simulation.
var transports = []string{"in-process", "http"}

// connect returns the endpoint and transport that reach the simulation in-process, or
// over loopback HTTP (a nil transport: the network).
func connect(t *testing.T, s *Sim, via string) (string, azure.Transporter) {
	t.Helper()
	if via == "http" {
		return serve(t, s), nil
	}
	return InProcessEndpoint, s.Transport()
}

// clientsVia builds the armcompute clients for one way of reaching the simulation.
func clientsVia(t *testing.T, s *Sim, via string) clients {
	t.Helper()
	endpoint, transport := connect(t, s, via)
	return newClients(t, FixedSubscriptionID, endpoint, transport)
}

// clients are the real armcompute clients a test drives.
type clients struct {
	scaleSets *armcompute.VirtualMachineScaleSetsClient
	instances *armcompute.VirtualMachineScaleSetVMsClient
}

// clientOptions configures the real clients for an endpoint; a nil transport means the
// network. Retries are off so an injected fault reaches the test as it was sent.
func clientOptions(endpoint string, transport policy.Transporter) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: "https://login.microsoftonline.com/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Audience: "https://management.azure.com",
					Endpoint: endpoint},
			},
		},
		Transport:                       transport,
		Retry:                           policy.RetryOptions{MaxRetries: -1},
		InsecureAllowCredentialWithHTTP: true,
	}}
}

// newClients builds the real clients of a subscription at an endpoint.
func newClients(tb testing.TB, subscriptionID, endpoint string,
	transport policy.Transporter) clients {
	tb.Helper()
	factory, err := armcompute.NewClientFactory(subscriptionID, testCredential,
		clientOptions(endpoint, transport))
	if err != nil {
		tb.Fatalf("armcompute client factory: %v", err)
	}
	return clients{
		scaleSets: factory.NewVirtualMachineScaleSetsClient(),
		instances: factory.NewVirtualMachineScaleSetVMsClient(),
	}
}

// inProcessClients builds clients that talk to the simulation through Transport.
func inProcessClients(tb testing.TB, s *Sim) clients {
	tb.Helper()
	return newClients(tb, FixedSubscriptionID, InProcessEndpoint, s.Transport())
}

// listScaleSets reads every scale set of the subscription.
func listScaleSets(t *testing.T, c clients) []*armcompute.VirtualMachineScaleSet {
	t.Helper()
	var sets []*armcompute.VirtualMachineScaleSet
	pager := c.scaleSets.NewListAllPager(nil)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list scale sets: %v", err)
		}
		sets = append(sets, page.Value...)
	}
	return sets
}

// listInstances reads every instance of a scale set, with instance views when asked, and
// returns them with the number of pages read.
func listInstances(t *testing.T, c clients, group, name string,
	withView bool) ([]*armcompute.VirtualMachineScaleSetVM, int) {
	t.Helper()
	var opts *armcompute.VirtualMachineScaleSetVMsClientListOptions
	if withView {
		opts = &armcompute.VirtualMachineScaleSetVMsClientListOptions{
			Expand: to.Ptr("instanceView")}
	}
	var vms []*armcompute.VirtualMachineScaleSetVM
	pages := 0
	pager := c.instances.NewListPager(group, name, opts)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list instances of %s: %v", name, err)
		}
		pages++
		vms = append(vms, page.Value...)
	}
	return vms, pages
}

// instanceByID indexes instances by their instance ID.
func instanceByID(
	vms []*armcompute.VirtualMachineScaleSetVM) map[string]*armcompute.VirtualMachineScaleSetVM {
	out := map[string]*armcompute.VirtualMachineScaleSetVM{}
	for _, vm := range vms {
		out[deref(vm.InstanceID)] = vm
	}
	return out
}

// getInstance reads one instance with its instance view.
func getInstance(t *testing.T, c clients, group, name,
	id string) *armcompute.VirtualMachineScaleSetVM {
	t.Helper()
	resp, err := c.instances.Get(context.Background(), group, name, id,
		&armcompute.VirtualMachineScaleSetVMsClientGetOptions{
			Expand: to.Ptr(armcompute.InstanceViewTypesInstanceView)})
	if err != nil {
		t.Fatalf("get instance %s/%s: %v", name, id, err)
	}
	return &resp.VirtualMachineScaleSetVM
}

// observed is what a test compares of one instance.
type observed struct {
	provisioning string
	power        string
	health       string
	script       string
	label        string
	latest       bool
}

// observe reads an instance's state from its model and instance view, nil-safely.
func observe(vm *armcompute.VirtualMachineScaleSetVM) observed {
	var o observed
	for _, ext := range vm.Resources {
		if ext != nil && ext.Properties != nil && ext.Properties.ForceUpdateTag != nil {
			o.label = *ext.Properties.ForceUpdateTag
		}
	}
	props := vm.Properties
	if props == nil {
		return o
	}
	o.latest = props.LatestModelApplied != nil && *props.LatestModelApplied
	view := props.InstanceView
	if view == nil {
		return o
	}
	o.provisioning = codeWithPrefix(view.Statuses, "ProvisioningState/")
	o.power = codeWithPrefix(view.Statuses, "PowerState/")
	if view.VMHealth != nil && view.VMHealth.Status != nil {
		o.health = deref(view.VMHealth.Status.Code)
	}
	for _, ext := range view.Extensions {
		if ext != nil && deref(ext.Name) == "deploy-functions" && len(ext.Statuses) > 0 {
			o.script = deref(ext.Statuses[0].Code)
		}
	}
	return o
}

func codeWithPrefix(statuses []*armcompute.InstanceViewStatus, prefix string) string {
	for _, st := range statuses {
		if st != nil && strings.HasPrefix(deref(st.Code), prefix) {
			return deref(st.Code)
		}
	}
	return ""
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// responseError returns the ARM error behind err, failing the test when there is none.
func responseError(t *testing.T, err error) *azcore.ResponseError {
	t.Helper()
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		t.Fatalf("error %v (%T) is not an *azcore.ResponseError", err, err)
	}
	return respErr
}

// pollFast polls a long-running operation without the SDK's default 30 s wait.
var pollFast = &runtime.PollUntilDoneOptions{Frequency: time.Millisecond}
