package sim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"spotdeck/azure"
)

// The simulated subscription serves several Azure resource providers (Microsoft.Compute,
// Microsoft.Insights, Microsoft.ResourceGraph, ...). Each lives in its own file and
// registers itself here with two things:
//
//   - its routes: method and path template → SDK operation name. Over HTTP a request
//     arrives without the operation name the SDK's fake servers dispatch on, so the handler
//     finds it here; in-process, the routes tell which provider answers an operation whose
//     name is shared by two SDK modules (e.g. "Client.Get").
//   - its transport: the SDK fake server (a fake.ServerFactory or one server's transport)
//     whose methods answer from the simulation.
//
// Adding a provider is a one-file job. In a new file, say setup_storage.go:
//
//	func init() {
//		registerProvider(provider{
//			name: "Microsoft.Storage",
//			routes: []route{
//				newRoute(http.MethodGet, subscriptionTemplate+
//					"/providers/Microsoft.Storage/storageAccounts",
//					"AccountsClient.NewListPager"),
//			},
//			transport: func(s *Sim, _ *http.Request) azure.Transporter {
//				return armstoragefake.NewServerFactoryTransport(&armstoragefake.ServerFactory{
//					AccountsServer: armstoragefake.AccountsServer{NewListPager: s.listAccounts},
//				})
//			},
//		})
//	}
//
// Rules the transport must follow, because it is built afresh for every request:
//   - A list answers one page per request. Give the page a nextLink of your own (see
//     nextLink and paging.go) or none; never add a second page to a PagerResponder, since
//     the fake's own next-page link would reach a new fake that starts over.
//   - A long-running operation's Begin answers one response only: SetTerminalResponse when
//     it is done at once, or AddNonTerminalResponse after beginOperation (lro.go) recorded
//     when it ends. Polls never reach the fake; the simulation answers them from the model.
//   - Methods take s.mu through s.lockAndAdvance and read or change the model under it.
//
// Operation names must be unique within a provider; a name two providers share is told
// apart by the route. Operations a provider names in its routes but leaves nil in its fake
// are answered 501 Not Implemented.

// route maps a method and a path template to an operation name.
type route struct {
	method   string
	segments []string
	op       string
}

// newRoute builds a route from a path template spelled as the SDK's clients spell it,
// e.g. "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/virtualMachineScaleSets".
func newRoute(method, template, op string) route {
	return route{method: method, segments: strings.Split(strings.Trim(template, "/"), "/"),
		op: op}
}

// provider is one resource provider the simulated subscription serves.
type provider struct {
	// name is the resource provider's namespace, e.g. "Microsoft.Compute".
	name   string
	routes []route
	// transport returns the fake that answers req. It is called for every request.
	transport func(s *Sim, req *http.Request) azure.Transporter
}

// registry holds the registered providers. Registration happens in init functions, before
// any Sim exists; afterwards it is only read.
var registry struct {
	mu        sync.RWMutex
	providers []*provider
	// byOp lists the providers that route each operation name.
	byOp map[string][]*provider
}

// registerProvider adds a provider. It panics on a provider without a name, routes or
// transport, or on a name registered twice: those are programming errors found at start.
func registerProvider(p provider) {
	if p.name == "" || len(p.routes) == 0 || p.transport == nil {
		panic(fmt.Sprintf("sim: provider %q needs a name, routes and a transport", p.name))
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	for _, known := range registry.providers {
		if strings.EqualFold(known.name, p.name) {
			panic("sim: provider " + p.name + " registered twice")
		}
	}
	if registry.byOp == nil {
		registry.byOp = map[string][]*provider{}
	}
	registered := &p
	registry.providers = append(registry.providers, registered)
	// A stable order keeps route matching independent of the order files are initialised.
	sort.Slice(registry.providers, func(i, j int) bool {
		return registry.providers[i].name < registry.providers[j].name
	})
	for _, r := range p.routes {
		if !containsProvider(registry.byOp[r.op], registered) {
			registry.byOp[r.op] = append(registry.byOp[r.op], registered)
		}
	}
}

func containsProvider(list []*provider, p *provider) bool {
	for _, known := range list {
		if known == p {
			return true
		}
	}
	return false
}

// providerFor returns the provider that answers op for a request with this method and
// path. When only one provider knows op, it is the one; otherwise the route decides.
func providerFor(op, method, path string) (*provider, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	candidates := registry.byOp[op]
	if len(candidates) == 1 {
		return candidates[0], true
	}
	segments := pathSegments(path)
	for _, p := range candidates {
		for _, r := range p.routes {
			if r.op == op && r.matches(method, segments) {
				return p, true
			}
		}
	}
	return nil, false
}

// routeFor returns the operation a method and path call, from every provider's routes.
func routeFor(method, path string) (string, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	segments := pathSegments(path)
	for _, p := range registry.providers {
		for _, r := range p.routes {
			if r.matches(method, segments) {
				return r.op, true
			}
		}
	}
	return "", false
}

// providerNames lists the registered providers, for error messages.
func providerNames() string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	names := make([]string, 0, len(registry.providers))
	for _, p := range registry.providers {
		names = append(names, p.name)
	}
	return strings.Join(names, ", ")
}

func pathSegments(path string) []string {
	return strings.Split(strings.Trim(path, "/"), "/")
}

// matches tells whether the route serves the method and path. Literal segments compare
// without regard to case, as ARM paths do; a {placeholder} takes any non-empty segment.
func (r route) matches(method string, segments []string) bool {
	if r.method != method || len(r.segments) != len(segments) {
		return false
	}
	for i, want := range r.segments {
		got := segments[i]
		if strings.HasPrefix(want, "{") {
			if got == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(want, got) {
			return false
		}
	}
	return true
}
