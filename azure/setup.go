package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
)

// The first-time setup reads what an operator would otherwise have to look up by hand:
// who is signed in, their subscriptions, resource groups, scale sets, storage accounts,
// identities and the VM sizes that run as Spot. It returns plain values of this package.

// SignIn is who the default credential chain signed in as.
type SignIn struct {
	// Identity names the user, service principal or managed identity.
	Identity string
	// TenantID is the Entra tenant of the token, "" when the token did not say.
	TenantID string
}

// Subscription is one subscription the signed-in identity can see.
type Subscription struct {
	ID       string
	Name     string
	TenantID string
	State    string // "Enabled", "Disabled", ...
}

// StorageAccount is one storage account, with the endpoints its services answer on.
type StorageAccount struct {
	Name          string
	ResourceGroup string
	Location      string
	BlobEndpoint  string
	QueueEndpoint string
}

// Identity is a user-assigned managed identity, or a scale set's system-assigned one.
type Identity struct {
	// ID is the identity's ARM resource ID; "" for a system-assigned identity.
	ID   string
	Name string
	// ClientID is what code on the instance names to use this identity.
	ClientID    string
	PrincipalID string
	// SystemAssigned marks the scale set's own identity.
	SystemAssigned bool
}

// VMSize is a VM size offered in a region that can run as Spot.
type VMSize struct {
	Name   string
	VCPUs  string
	Memory string // GB, as the SKU list reports it
}

// SetupSource is what the setup wizard reads from and changes in Azure. The wizard
// depends on this interface so that tests can drive it; *Setup implements it.
type SetupSource interface {
	SignIn(ctx context.Context) (SignIn, error)
	Subscriptions(ctx context.Context) ([]Subscription, error)
	ResourceGroups(ctx context.Context, subscription string) ([]string, error)
	ScaleSets(ctx context.Context, subscription, resourceGroup string) ([]ScaleSet, error)
	ScaleSetIdentities(ctx context.Context, subscription, resourceGroup,
		scaleSet string) ([]Identity, error)
	StorageAccounts(ctx context.Context, subscription string) ([]StorageAccount, error)
	AccountConnectionString(ctx context.Context, subscription string,
		account StorageAccount) (string, error)
	Queues(ctx context.Context, opts StorageOptions) ([]string, error)
	Containers(ctx context.Context, opts StorageOptions) ([]string, error)
	CreateContainer(ctx context.Context, opts StorageOptions, name string) error
	Identities(ctx context.Context, subscription string) ([]Identity, error)
	SpotSizes(ctx context.Context, subscription, location string) ([]VMSize, error)
	CheckAccess(ctx context.Context, target AccessTarget) []AccessResult
	CreateScaleSet(ctx context.Context, subscription string, spec ScaleSetSpec,
		progress func(string)) (ScaleSet, error)
}

// SetupOptions configures a Setup.
type SetupOptions struct {
	// ARMEndpoint is the Resource Manager base URL; "" means the Azure public cloud.
	ARMEndpoint string
	// Transport replaces the HTTP transport (the simulated subscription in-process).
	Transport Transporter
}

// Setup implements SetupSource with the Azure SDK.
type Setup struct {
	endpoint *url.URL
	access   armAccess
	options  *arm.ClientOptions
}

var _ SetupSource = (*Setup)(nil)

// NewSetup checks the options and prepares the clients' settings. It makes no network
// call; a missing sign-in shows when SignIn is called.
func NewSetup(opts SetupOptions) (*Setup, error) {
	endpoint, err := parseEndpoint(opts.ARMEndpoint)
	if err != nil {
		return nil, err
	}
	access, err := accessFor(endpoint)
	if err != nil {
		return nil, err
	}
	return &Setup{endpoint: endpoint, access: access,
		options: armOptionsFor(endpoint, access, opts.Transport)}, nil
}

// Endpoint returns the Resource Manager base URL the setup calls.
func (s *Setup) Endpoint() string {
	return s.endpoint.String()
}

// Client returns the fleet client of a subscription, on the same endpoint and transport.
func (s *Setup) Client(subscription, resourceGroup string) (*Client, error) {
	opts := ClientOptions{SubscriptionID: subscription, ResourceGroup: resourceGroup,
		ARMEndpoint: s.endpoint.String()}
	if s.options.Transport != nil {
		opts.Transport = s.options.Transport
	}
	return NewClient(opts)
}

// signInHelp says how to sign in, for when the credential chain finds nobody.
const signInHelp = "sign in with `az login` (then `az account show` to check), or set " +
	"AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, " +
	"or AZURE_CLIENT_ID alone for a user-assigned managed identity"

// SignIn asks the credential chain for a token and names its holder and tenant. The
// token is read, never logged or returned. A loopback endpoint has no real sign-in.
func (s *Setup) SignIn(ctx context.Context) (SignIn, error) {
	if isLoopbackHost(s.endpoint.Hostname()) {
		return SignIn{Identity: SimulatorIdentity, TenantID: "simulated"}, nil
	}
	scope := strings.TrimRight(s.access.cloud.Services[cloud.ResourceManager].Audience, "/")
	if scope == "" {
		scope = PublicARMEndpoint
	}
	token, err := s.access.credential.GetToken(ctx,
		policy.TokenRequestOptions{Scopes: []string{scope + "/.default"}})
	if err != nil {
		return SignIn{}, fmt.Errorf("no Azure sign-in found: %s: %w", signInHelp, err)
	}
	who, err := identityFromToken(token.Token)
	if err != nil {
		return SignIn{}, fmt.Errorf("read who is signed in: %w", err)
	}
	return SignIn{Identity: who, TenantID: tenantFromToken(token.Token)}, nil
}

// tenantFromToken returns the tid claim of a JWT, or "" when it has none.
func tenantFromToken(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		TenantID string `json:"tid"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return clipLine(claims.TenantID, maxIdentityRunes)
}

// Subscriptions lists the subscriptions the signed-in identity sees, by name.
func (s *Setup) Subscriptions(ctx context.Context) ([]Subscription, error) {
	client, err := armsubscriptions.NewClient(s.access.credential, s.options)
	if err != nil {
		return nil, fmt.Errorf("prepare the subscriptions client: %w", err)
	}
	models, err := drain(ctx, client.NewListPager(nil),
		func(p armsubscriptions.ClientListResponse) []*armsubscriptions.Subscription {
			return p.Value
		})
	if err != nil {
		return nil, describeFailure("list subscriptions", "a subscription", err)
	}
	subs := make([]Subscription, 0, len(models))
	for _, m := range models {
		if m == nil || stringOf(m.SubscriptionID) == "" {
			continue
		}
		sub := Subscription{ID: stringOf(m.SubscriptionID), Name: stringOf(m.DisplayName),
			TenantID: stringOf(m.TenantID)}
		if m.State != nil {
			sub.State = string(*m.State)
		}
		subs = append(subs, sub)
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
	return subs, nil
}

// ResourceGroups lists the names of a subscription's resource groups, sorted.
func (s *Setup) ResourceGroups(ctx context.Context, subscription string) ([]string, error) {
	if err := checkPathName("subscription ID", "the subscription", subscription); err != nil {
		return nil, err
	}
	client, err := armresources.NewResourceGroupsClient(subscription, s.access.credential,
		s.options)
	if err != nil {
		return nil, fmt.Errorf("prepare the resource groups client: %w", err)
	}
	models, err := drain(ctx, client.NewListPager(nil),
		func(p armresources.ResourceGroupsClientListResponse) []*armresources.ResourceGroup {
			return p.Value
		})
	if err != nil {
		return nil, describeFailure("list resource groups of subscription "+subscription,
			"the subscription", err)
	}
	names := make([]string, 0, len(models))
	for _, m := range models {
		if m != nil && stringOf(m.Name) != "" {
			names = append(names, stringOf(m.Name))
		}
	}
	sort.Strings(names)
	return names, nil
}

// ScaleSets lists the scale sets of a subscription, or of one resource group.
func (s *Setup) ScaleSets(ctx context.Context, subscription, resourceGroup string) (
	[]ScaleSet, error) {
	client, err := s.Client(subscription, resourceGroup)
	if err != nil {
		return nil, err
	}
	return client.ListScaleSets(ctx)
}

// ScaleSetIdentities returns the managed identities a scale set carries: its
// system-assigned one and each user-assigned one.
func (s *Setup) ScaleSetIdentities(ctx context.Context, subscription, resourceGroup,
	scaleSet string) ([]Identity, error) {
	if err := checkScaleSetRef(resourceGroup, scaleSet); err != nil {
		return nil, err
	}
	client, err := armcompute.NewVirtualMachineScaleSetsClient(subscription,
		s.access.credential, s.options)
	if err != nil {
		return nil, fmt.Errorf("prepare the scale set client: %w", err)
	}
	resp, err := client.Get(ctx, resourceGroup, scaleSet, nil)
	if err != nil {
		return nil, describeFailure("read scale set "+scaleSet, "resource group "+
			resourceGroup, err)
	}
	return identitiesOf(resp.Identity), nil
}

// identitiesOf lists the identities of a scale set's model, system-assigned first.
func identitiesOf(model *armcompute.VirtualMachineScaleSetIdentity) []Identity {
	if model == nil {
		return nil
	}
	var out []Identity
	if stringOf(model.PrincipalID) != "" {
		out = append(out, Identity{Name: "system-assigned",
			PrincipalID: stringOf(model.PrincipalID), SystemAssigned: true})
	}
	ids := make([]string, 0, len(model.UserAssignedIdentities))
	for id := range model.UserAssignedIdentities {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		identity := Identity{ID: id, Name: lastSegment(id)}
		if v := model.UserAssignedIdentities[id]; v != nil {
			identity.ClientID, identity.PrincipalID = stringOf(v.ClientID), stringOf(v.PrincipalID)
		}
		out = append(out, identity)
	}
	return out
}

// Identities lists the user-assigned managed identities of a subscription.
func (s *Setup) Identities(ctx context.Context, subscription string) ([]Identity, error) {
	client, err := armmsi.NewUserAssignedIdentitiesClient(subscription, s.access.credential,
		s.options)
	if err != nil {
		return nil, fmt.Errorf("prepare the managed identities client: %w", err)
	}
	models, err := drain(ctx, client.NewListBySubscriptionPager(nil),
		func(p armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse) []*armmsi.Identity {
			return p.Value
		})
	if err != nil {
		return nil, describeFailure("list managed identities", "the subscription", err)
	}
	out := make([]Identity, 0, len(models))
	for _, m := range models {
		if m == nil || stringOf(m.ID) == "" {
			continue
		}
		identity := Identity{ID: stringOf(m.ID), Name: stringOf(m.Name)}
		if m.Properties != nil {
			identity.ClientID = stringOf(m.Properties.ClientID)
			identity.PrincipalID = stringOf(m.Properties.PrincipalID)
		}
		out = append(out, identity)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// spotCapability is the resource SKU capability that tells a size can run as Spot (the
// API still calls Spot by its former name, low priority).
const spotCapability = "LowPriorityCapable"

// SpotSizes lists the VM sizes offered in a region that can run as Spot, sorted by name.
// Sizes the subscription is restricted from in that region are left out.
func (s *Setup) SpotSizes(ctx context.Context, subscription, location string) (
	[]VMSize, error) {
	if strings.TrimSpace(location) == "" {
		return nil, errors.New("list Spot VM sizes: no region given; pick a region first")
	}
	client, err := armcompute.NewResourceSKUsClient(subscription, s.access.credential,
		s.options)
	if err != nil {
		return nil, fmt.Errorf("prepare the resource SKUs client: %w", err)
	}
	filter := "location eq '" + strings.ReplaceAll(location, "'", "") + "'"
	options := &armcompute.ResourceSKUsClientListOptions{Filter: &filter}
	models, err := drain(ctx, client.NewListPager(options),
		func(p armcompute.ResourceSKUsClientListResponse) []*armcompute.ResourceSKU {
			return p.Value
		})
	if err != nil {
		return nil, describeFailure("list VM sizes in "+location, "the subscription", err)
	}
	return spotSizesFrom(models, location), nil
}

// spotSizesFrom keeps the unrestricted VM sizes of a region that are Spot-capable.
func spotSizesFrom(models []*armcompute.ResourceSKU, location string) []VMSize {
	var out []VMSize
	for _, m := range models {
		if m == nil || !strings.EqualFold(stringOf(m.ResourceType), "virtualMachines") ||
			!offeredIn(m, location) || restrictedIn(m, location) {
			continue
		}
		caps := capabilities(m)
		if !strings.EqualFold(caps[spotCapability], "true") {
			continue
		}
		out = append(out, VMSize{Name: stringOf(m.Name), VCPUs: caps["vCPUs"],
			Memory: caps["MemoryGB"]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func offeredIn(m *armcompute.ResourceSKU, location string) bool {
	for _, l := range m.Locations {
		if l != nil && strings.EqualFold(*l, location) {
			return true
		}
	}
	return false
}

// restrictedIn tells whether the subscription may not deploy the size in the region.
func restrictedIn(m *armcompute.ResourceSKU, location string) bool {
	for _, r := range m.Restrictions {
		if r == nil || r.Type == nil || *r.Type != armcompute.ResourceSKURestrictionsTypeLocation {
			continue
		}
		for _, v := range r.Values {
			if v != nil && strings.EqualFold(*v, location) {
				return true
			}
		}
	}
	return false
}

func capabilities(m *armcompute.ResourceSKU) map[string]string {
	caps := map[string]string{}
	for _, c := range m.Capabilities {
		if c != nil && c.Name != nil {
			caps[*c.Name] = stringOf(c.Value)
		}
	}
	return caps
}

// lastSegment returns the last part of a resource ID: its name.
func lastSegment(id string) string {
	id = strings.TrimRight(id, "/")
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[i+1:]
	}
	return id
}

// credential returns the token credential the setup signs requests with.
func (s *Setup) credential() azcore.TokenCredential {
	return s.access.credential
}
