package sim

import (
	"net/http"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"

	"spotdeck/azure"
)

// Resource SKUs: the VM sizes the subscription is offered per region, with the
// capabilities that tell which can run as Spot. Served apart from the scale-set
// provider because the setup wizard alone reads them.

// OpListResourceSKUs lists the resource SKUs (armcompute.ResourceSKUsClient).
const OpListResourceSKUs = "ResourceSKUsClient.NewListPager"

// secondRegion is where some sizes are offered besides Location.
const secondRegion = "northeurope"

func init() {
	registerProvider(provider{
		name: "Microsoft.Compute/skus",
		routes: []route{newRoute(http.MethodGet, subscriptionTemplate+
			"/providers/Microsoft.Compute/skus", OpListResourceSKUs)},
		transport: func(s *Sim, _ *http.Request) azure.Transporter {
			return fake.NewResourceSKUsServerTransport(&fake.ResourceSKUsServer{
				NewListPager: s.listResourceSKUs,
			})
		},
	})
}

// simSKU is one VM size of the simulated offer.
type simSKU struct {
	name, vcpus, memory string
	spot                bool
	// restrictedIn is a region where the subscription may not deploy the size.
	restrictedIn string
}

// offeredSKUs are the sizes of the fleet and a few around them: Standard_B2s is not
// Spot-capable, and Standard_F4s_v2 is restricted in the main region.
var offeredSKUs = []simSKU{
	{name: "Standard_B2s", vcpus: "2", memory: "4", spot: false},
	{name: "Standard_D2as_v5", vcpus: "2", memory: "8", spot: true},
	{name: "Standard_D2s_v5", vcpus: "2", memory: "8", spot: true},
	{name: "Standard_D4as_v5", vcpus: "4", memory: "16", spot: true},
	{name: "Standard_F4s_v2", vcpus: "4", memory: "8", spot: true, restrictedIn: Location},
}

func (s *Sim) listResourceSKUs(opts *armcompute.ResourceSKUsClientListOptions) (
	resp azfake.PagerResponder[armcompute.ResourceSKUsClientListResponse]) {
	region := regionOfFilter(opts)
	var skus []*armcompute.ResourceSKU
	for _, location := range []string{Location, secondRegion} {
		if region != "" && !strings.EqualFold(region, location) {
			continue
		}
		for _, sku := range offeredSKUs {
			skus = append(skus, armResourceSKU(sku, location))
		}
	}
	resp.AddPage(http.StatusOK, armcompute.ResourceSKUsClientListResponse{
		ResourceSKUsResult: armcompute.ResourceSKUsResult{Value: skus},
	}, nil)
	return resp
}

// regionOfFilter reads "location eq 'REGION'", the one filter the API supports.
func regionOfFilter(opts *armcompute.ResourceSKUsClientListOptions) string {
	if opts == nil || opts.Filter == nil {
		return ""
	}
	_, value, found := strings.Cut(*opts.Filter, "eq")
	if !found {
		return ""
	}
	return strings.Trim(strings.TrimSpace(value), "'")
}

func armResourceSKU(sku simSKU, location string) *armcompute.ResourceSKU {
	spot := "False"
	if sku.spot {
		spot = "True"
	}
	out := &armcompute.ResourceSKU{
		Name:         to.Ptr(sku.name),
		ResourceType: to.Ptr("virtualMachines"),
		Tier:         to.Ptr("Standard"),
		Locations:    []*string{to.Ptr(location)},
		Capabilities: []*armcompute.ResourceSKUCapabilities{
			{Name: to.Ptr("vCPUs"), Value: to.Ptr(sku.vcpus)},
			{Name: to.Ptr("MemoryGB"), Value: to.Ptr(sku.memory)},
			{Name: to.Ptr("LowPriorityCapable"), Value: to.Ptr(spot)},
		},
	}
	if strings.EqualFold(sku.restrictedIn, location) {
		restriction := armcompute.ResourceSKURestrictionsTypeLocation
		reason := armcompute.ResourceSKURestrictionsReasonCodeNotAvailableForSubscription
		out.Restrictions = []*armcompute.ResourceSKURestrictions{{
			Type: &restriction, Values: []*string{to.Ptr(location)}, ReasonCode: &reason,
		}}
	}
	return out
}
