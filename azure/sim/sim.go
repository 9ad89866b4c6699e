// Package sim is a simulated Azure subscription: a fleet of Spot scale sets whose instances
// boot, fail and get evicted on a clock that can run faster than real time.
//
// The simulator answers through the Azure SDK's own fake servers (armcompute/fake,
// armmonitor/fake, armresourcegraph/fake, ...), so the real SDK clients talk to it
// unchanged: in-process through Transport, or over loopback HTTP through Handler and Serve.
// Each resource provider lives in its own file and registers itself (registry.go). Nothing
// outside this package needs to know it is talking to a simulation beyond the endpoint and
// the credential it is configured with.
package sim

import (
	"net/http"
	"sync"
	"time"

	"spotdeck/azure"
)

// InProcessEndpoint is the Resource Manager endpoint to configure on clients that use
// Transport. No socket is ever opened on it; the SDK only needs an absolute URL so that
// next-page links and poller URLs are well formed.
const InProcessEndpoint = "http://127.0.0.1:1"

// Names of the simulated subscription.
const (
	// FixedSubscriptionID is the ID of the simulated subscription.
	FixedSubscriptionID = "00000000-0000-0000-0000-5907dec50001"
	// Location is the region every simulated resource lives in.
	Location = "westeurope"
)

// defaultPageSize matches the page size Azure uses for scale-set VM lists closely enough
// to exercise paging with a fleet of modest size.
const defaultPageSize = 50

// Options configure a simulated subscription. The zero value is a usable default.
type Options struct {
	// Speed makes simulated time run Speed times faster than real time; <= 0 means 1.
	Speed float64
	// Seed makes every random choice (boot times, which of the unscripted instances fail)
	// repeatable.
	Seed int64
	// Start is the simulated time at which the simulation begins; zero means now.
	Start time.Time
	// Clock is the source of real time; nil means time.Now. Tests pass a stand-in to move
	// time forward without sleeping.
	Clock func() time.Time

	// InstancesPerScaleSet overrides the number of instances of the named scale sets,
	// e.g. {"vmss-func-linux": 5000} for a large fleet. Unknown names are ignored (see
	// Validate); negative counts are taken as zero.
	InstancesPerScaleSet map[string]int
	// ExtraScaleSets adds that many small Linux Spot scale sets in resource group
	// "rg-batch", for fleets with many scale sets.
	ExtraScaleSets int
	// PageSize is how many items one page of a list holds; <= 0 means 50.
	PageSize int

	// EvictionsPerHour is how often the platform evicts an instance of each Spot scale
	// set, on average, in simulated time; 0 means never (SimulateEviction still works).
	// The times and the instances chosen follow from Seed.
	EvictionsPerHour float64

	// QueueArrivalsPerMinute is how many messages arrive in the demo's queue per simulated
	// minute; <= 0 means 170. QueueDrainPerInstance is how many each healthy Functions
	// host takes off it per minute; <= 0 means 25. See Queues.
	QueueArrivalsPerMinute float64
	QueueDrainPerInstance  float64
}

// Sim is one simulated subscription. It is safe for concurrent use.
type Sim struct {
	clock    clock
	seed     int64
	pageSize int

	// mu guards the fleet model, the agenda, the Activity Log and the operations.
	mu        sync.Mutex
	scaleSets []*scaleSet
	// agenda holds what happens at known simulated times (agenda.go).
	agenda agenda
	// workload is the demo's queue (workload.go).
	workload workload

	// activity is the Activity Log, oldest first (activity.go).
	activity []activityEntry

	// lros holds the long-running operations by lower-case request path (lro.go).
	lros map[string]*longOp

	// books holds the request bookkeeping, apart from the model so that counting a call
	// never waits on a slow model operation.
	books books
}

// New builds a simulated subscription with its fleet as it stands at opts.Start.
func New(opts Options) *Sim {
	s := &Sim{
		clock:    newClock(opts.Clock, opts.Start, opts.Speed),
		seed:     opts.Seed,
		pageSize: opts.PageSize,
		books:    newBooks(),
		lros:     map[string]*longOp{},
	}
	if s.pageSize <= 0 {
		s.pageSize = defaultPageSize
	}
	s.scaleSets = s.buildFleet(opts)
	s.workload = newWorkload(opts, s.clock.start)
	s.scheduleRandomEvictions(opts.EvictionsPerHour, s.clock.start)
	return s
}

// SubscriptionID returns the ID of the simulated subscription.
func (s *Sim) SubscriptionID() string {
	return FixedSubscriptionID
}

// Now returns the current simulated time.
func (s *Sim) Now() time.Time {
	return s.clock.now()
}

// Transport returns a transport that answers the SDK's clients in-process. Configure it as
// the client's Transport together with InProcessEndpoint as the Resource Manager endpoint
// and any token credential (azcore/fake.TokenCredential will do).
func (s *Sim) Transport() azure.Transporter {
	return inProcess{sim: s}
}

// Calls returns how many requests each ARM operation has been sent so far, by operation
// name (e.g. "VirtualMachineScaleSetVMsClient.NewListPager"). Every page of a list and
// every poll of a long-running operation counts, as it does against ARM's throttling
// limits; calls failed by an injected fault count too.
func (s *Sim) Calls() map[string]int {
	return s.books.callCounts()
}

// inProcess is the transport handed to in-process clients.
type inProcess struct {
	sim *Sim
}

// Do answers one request of an SDK client.
func (t inProcess) Do(req *http.Request) (*http.Response, error) {
	return t.sim.dispatch(req)
}
