package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// ErrNoSubscription is returned by NewClient when no subscription ID is configured.
var ErrNoSubscription = errors.New(
	"azure: no subscription ID: pass --subscription or set AZURE_SUBSCRIPTION_ID")

// Transporter sends one HTTP request. It has the shape of the SDK's policy.Transporter,
// so callers outside this package can hand in a transport without importing the SDK;
// *http.Client satisfies it.
type Transporter interface {
	Do(req *http.Request) (*http.Response, error)
}

// ClientOptions configures a Client.
type ClientOptions struct {
	// SubscriptionID is the subscription to read. Required.
	SubscriptionID string
	// ResourceGroup limits ListScaleSets to one resource group; "" reads the subscription.
	ResourceGroup string
	// ARMEndpoint is the Resource Manager base URL; "" means the Azure public cloud. A
	// loopback address (the simulated subscription, tests) gets a static fake token.
	ARMEndpoint string
	// Transport replaces the HTTP transport; nil uses the SDK's default. The endpoint
	// still decides the credential, so pair a test transport with a loopback endpoint.
	Transport Transporter
}

// Client reads scale sets and their instances from Azure Resource Manager. It is safe for
// concurrent use.
type Client struct {
	subscriptionID string
	resourceGroup  string
	endpoint       *url.URL
	// credential and armOptions are kept so other adapters of this package can reach the
	// same endpoint with the same guard.
	credential azcore.TokenCredential
	armOptions *arm.ClientOptions
	scaleSets  *armcompute.VirtualMachineScaleSetsClient
	instances  *armcompute.VirtualMachineScaleSetVMsClient
}

var _ FleetReader = (*Client)(nil)

// Short names for the SDK's models and page types keep the pager code readable.
type (
	scaleSetModel  = armcompute.VirtualMachineScaleSet
	instanceModel  = armcompute.VirtualMachineScaleSetVM
	allSetsPage    = armcompute.VirtualMachineScaleSetsClientListAllResponse
	groupSetsPage  = armcompute.VirtualMachineScaleSetsClientListResponse
	instancesPage  = armcompute.VirtualMachineScaleSetVMsClientListResponse
	instanceFilter = armcompute.VirtualMachineScaleSetVMsClientListOptions
)

// NewClient checks the options and prepares a Client. It makes no network call.
func NewClient(opts ClientOptions) (*Client, error) {
	subscription := strings.TrimSpace(opts.SubscriptionID)
	if subscription == "" {
		return nil, ErrNoSubscription
	}
	if err := checkPathName("subscription ID", "--subscription", subscription); err != nil {
		return nil, err
	}
	group := strings.TrimSpace(opts.ResourceGroup)
	if err := checkPathName("resource group", "--resource-group", group); err != nil {
		return nil, err
	}
	endpoint, err := parseEndpoint(opts.ARMEndpoint)
	if err != nil {
		return nil, err
	}
	access, err := accessFor(endpoint)
	if err != nil {
		return nil, err
	}
	options := armOptionsFor(endpoint, access, opts.Transport)
	factory, err := armcompute.NewClientFactory(subscription, access.credential, options)
	if err != nil {
		return nil, fmt.Errorf("prepare the Azure compute client for %s: %w", endpoint, err)
	}
	return &Client{
		subscriptionID: subscription,
		resourceGroup:  group,
		endpoint:       endpoint,
		credential:     access.credential,
		armOptions:     options,
		scaleSets:      factory.NewVirtualMachineScaleSetsClient(),
		instances:      factory.NewVirtualMachineScaleSetVMsClient(),
	}, nil
}

// checkPathName rejects a name that would change the request path it is placed in.
func checkPathName(what, flag, name string) error {
	if strings.ContainsAny(name, "/?#%\\ \t\r\n") {
		return fmt.Errorf("%s %q contains a character Azure names never have; check %s",
			what, name, flag)
	}
	return nil
}

func armOptionsFor(endpoint *url.URL, access armAccess, transport Transporter) *arm.ClientOptions {
	options := &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud:                           access.cloud,
			InsecureAllowCredentialWithHTTP: access.allowHTTP,
			PerCallPolicies:                 []policy.Policy{hostGuard{endpoint: endpoint}},
			Telemetry:                       policy.TelemetryOptions{ApplicationID: "spotdeck"},
		},
		// Registering a resource provider changes the subscription; a reader must not.
		DisableRPRegistration: true,
	}
	if transport != nil {
		options.Transport = transport
	}
	return options
}

// SubscriptionID returns the subscription the client reads.
func (c *Client) SubscriptionID() string {
	return c.subscriptionID
}

// Endpoint returns the Resource Manager base URL the client calls, e.g.
// "https://management.azure.com".
func (c *Client) Endpoint() string {
	return c.endpoint.String()
}

// ListScaleSets returns the scale sets of the subscription, or of the configured resource
// group, in one paged call.
func (c *Client) ListScaleSets(ctx context.Context) ([]ScaleSet, error) {
	models, err := c.readScaleSetModels(ctx)
	if err != nil {
		operation, roleScope := c.scaleSetScope()
		return nil, describeFailure(operation, roleScope, err)
	}
	sets := make([]ScaleSet, 0, len(models))
	for _, model := range models {
		if model != nil {
			sets = append(sets, ScaleSetFromSDK(model))
		}
	}
	return sets, nil
}

// readScaleSetModels pages through the subscription's or the resource group's list.
func (c *Client) readScaleSetModels(ctx context.Context) ([]*scaleSetModel, error) {
	if c.resourceGroup == "" {
		pager := c.scaleSets.NewListAllPager(nil)
		return drain(ctx, pager, func(p allSetsPage) []*scaleSetModel { return p.Value })
	}
	pager := c.scaleSets.NewListPager(c.resourceGroup, nil)
	return drain(ctx, pager, func(p groupSetsPage) []*scaleSetModel { return p.Value })
}

// scaleSetScope names the scale-set read for error messages, and where Reader is needed.
func (c *Client) scaleSetScope() (operation, roleScope string) {
	subscription := "subscription " + c.subscriptionID
	if c.resourceGroup == "" {
		return "read scale sets in " + subscription, "the subscription"
	}
	group := "resource group " + c.resourceGroup
	return "read scale sets in " + group + " of " + subscription, group
}

// ListInstances returns the instances of one scale set, each with its instance view, in
// one paged call: the instance view comes expanded in the list, never per instance.
func (c *Client) ListInstances(ctx context.Context,
	resourceGroup, scaleSet string) ([]Instance, error) {
	operation := fmt.Sprintf("read instances of scale set %s in resource group %s",
		scaleSet, resourceGroup)
	if err := checkScaleSetRef(resourceGroup, scaleSet); err != nil {
		return nil, fmt.Errorf("%s: %w", operation, err)
	}
	options := &instanceFilter{Expand: to.Ptr("instanceView")}
	pager := c.instances.NewListPager(resourceGroup, scaleSet, options)
	models, err := drain(ctx, pager, func(p instancesPage) []*instanceModel { return p.Value })
	if err != nil {
		return nil, describeFailure(operation, "resource group "+resourceGroup, err)
	}
	instances := make([]Instance, 0, len(models))
	for _, model := range models {
		if model != nil {
			instances = append(instances, InstanceFromSDK(model))
		}
	}
	return instances, nil
}

func checkScaleSetRef(resourceGroup, scaleSet string) error {
	if resourceGroup == "" || scaleSet == "" {
		return errors.New("both the resource group and the scale set name are required")
	}
	if err := checkPathName("resource group", "its name", resourceGroup); err != nil {
		return err
	}
	return checkPathName("scale set", "its name", scaleSet)
}

// drain reads every page of a pager and gathers the items of each page.
func drain[Page, Item any](ctx context.Context, pager *runtime.Pager[Page],
	items func(Page) []Item) ([]Item, error) {
	var all []Item
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, items(page)...)
	}
	return all, nil
}
