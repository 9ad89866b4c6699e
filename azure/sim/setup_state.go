package sim

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"weak"
)

// What the first-time setup needs of the simulated subscription beyond the fleet: the
// storage account the wizard finds, and the permissions an operator can be denied so
// that the access check's refusals can be shown and tested. The state lives beside the
// Sim rather than in it, keyed weakly so that a Sim nobody uses any more is collected
// with its setup state.

// The storage account of the simulated subscription. The storage emulator knows one
// account only, so the simulated account has its name; its endpoints default to the
// emulator's default ports and SetStorageAccount points them at a running emulator.
const (
	StorageAccountName   = "devstoreaccount1"
	storageAccountGroup  = functionsGroup
	defaultBlobEndpoint  = "http://127.0.0.1:10000/" + StorageAccountName
	defaultQueueEndpoint = "http://127.0.0.1:10001/" + StorageAccountName
	// storageAccountKey is the storage emulator's published development key; it opens
	// nothing but a local emulator.
	storageAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" +
		"K1SZFPTOtr/KBHBeksoGMGw=="
)

// setupState is the setup-related state of one Sim.
type setupState struct {
	mu            sync.Mutex
	blobEndpoint  string
	queueEndpoint string
	// denied holds the lower-case RBAC actions the signed-in identity lacks.
	denied map[string]bool
}

var setupStates sync.Map // weak.Pointer[Sim] → *setupState

// setup returns the Sim's setup state, creating it on first use.
func (s *Sim) setup() *setupState {
	key := weak.Make(s)
	if st, ok := setupStates.Load(key); ok {
		return st.(*setupState)
	}
	fresh := &setupState{blobEndpoint: defaultBlobEndpoint,
		queueEndpoint: defaultQueueEndpoint, denied: map[string]bool{}}
	st, loaded := setupStates.LoadOrStore(key, fresh)
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Sim]) { setupStates.Delete(k) }, key)
	}
	return st.(*setupState)
}

// SetStorageAccount points the simulated storage account at a storage emulator's blob
// and queue endpoints, e.g. "http://127.0.0.1:10000/devstoreaccount1". An empty value
// keeps the current endpoint.
func (s *Sim) SetStorageAccount(blobEndpoint, queueEndpoint string) {
	st := s.setup()
	st.mu.Lock()
	defer st.mu.Unlock()
	if blobEndpoint != "" {
		st.blobEndpoint = strings.TrimRight(blobEndpoint, "/")
	}
	if queueEndpoint != "" {
		st.queueEndpoint = strings.TrimRight(queueEndpoint, "/")
	}
}

// storageEndpoints returns the account's blob and queue endpoints.
func (s *Sim) storageEndpoints() (blob, queue string) {
	st := s.setup()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.blobEndpoint, st.queueEndpoint
}

// RBAC actions the simulated subscription can deny, with the operations each covers.
const (
	ActionReadScaleSets   = "Microsoft.Compute/virtualMachineScaleSets/read"
	ActionWriteScaleSets  = "Microsoft.Compute/virtualMachineScaleSets/write"
	ActionReadActivityLog = "Microsoft.Insights/eventtypes/values/read"
	ActionListAccounts    = "Microsoft.Storage/storageAccounts/read"
	ActionListKeys        = "Microsoft.Storage/storageAccounts/listkeys/action"
	ActionReadIdentities  = "Microsoft.ManagedIdentity/userAssignedIdentities/read"
	ActionReadGroups      = "Microsoft.Resources/subscriptions/resourceGroups/read"
	ActionReadSKUs        = "Microsoft.Compute/skus/read"
)

// actionOfOp maps each operation the simulator serves to the RBAC action it needs.
var actionOfOp = map[string]string{
	OpListAllScaleSets:              ActionReadScaleSets,
	OpListScaleSets:                 ActionReadScaleSets,
	OpGetScaleSet:                   ActionReadScaleSets,
	OpCreateScaleSet:                ActionWriteScaleSets,
	scaleSetsClient + "BeginUpdate": ActionWriteScaleSets,
	OpListActivityLogs:              ActionReadActivityLog,
	OpListStorageAccounts:           ActionListAccounts,
	OpListStorageKeys:               ActionListKeys,
	OpListIdentities:                ActionReadIdentities,
	OpListResourceGroups:            ActionReadGroups,
	OpListResourceSKUs:              ActionReadSKUs,
	"VirtualMachineScaleSetVMsClient.NewListPager": "Microsoft.Compute/" +
		"virtualMachineScaleSets/virtualMachines/read",
}

// Deny makes the signed-in identity lack one RBAC action, e.g. ActionWriteScaleSets:
// the operations that need it answer 403 AuthorizationFailed as Azure does, and the
// permissions list leaves it out. Deny returns an error for an action it does not know,
// naming the ones it does.
func (s *Sim) Deny(action string) error {
	known := DeniableActions()
	for _, a := range known {
		if strings.EqualFold(a, action) {
			st := s.setup()
			st.mu.Lock()
			defer st.mu.Unlock()
			st.denied[strings.ToLower(a)] = true
			return nil
		}
	}
	return fmt.Errorf("sim: cannot deny %q; give one of %s", action,
		strings.Join(known, ", "))
}

// DeniableActions lists the actions Deny accepts, sorted.
func DeniableActions() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range actionOfOp {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// deniedActions returns the denied actions as Azure spells them.
func (s *Sim) deniedActions() []string {
	st := s.setup()
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for _, a := range DeniableActions() {
		if st.denied[strings.ToLower(a)] {
			out = append(out, a)
		}
	}
	return out
}

func (s *Sim) isDenied(action string) bool {
	st := s.setup()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.denied[strings.ToLower(action)]
}

// deniedFor returns the refusal of an operation whose action was denied, or nil. The
// dispatcher calls it for every operation, whichever provider serves it.
func (s *Sim) deniedFor(op string, req *http.Request) *armError {
	action, ok := actionOfOp[op]
	if !ok || !s.isDenied(action) {
		return nil
	}
	return authorizationFailed(action, scopeOf(req.URL.Path))
}

// scopeOf is the resource a request path names, without the operation's own suffix.
func scopeOf(path string) string {
	segments := strings.Split(strings.Trim(path, "/"), "/")
	if len(segments)%2 == 1 {
		segments = segments[:len(segments)-1]
	}
	return "/" + strings.Join(segments, "/")
}

// simulatedPrincipal is the object ID the refusals name as the client.
const simulatedPrincipal = "00000000-0000-0000-0000-5907dec5000b"

// authorizationFailed is Resource Manager's refusal, worded as Azure words it.
func authorizationFailed(action, scope string) *armError {
	return &armError{status: http.StatusForbidden, code: "AuthorizationFailed",
		message: fmt.Sprintf("The client '%s' with object id '%s' does not have "+
			"authorization to perform action '%s' over scope '%s' or the scope is invalid. "+
			"If access was recently granted, please refresh your credentials.",
			simulatedPrincipal, simulatedPrincipal, action, scope)}
}
