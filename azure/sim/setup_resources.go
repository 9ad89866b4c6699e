package sim

import (
	"net/http"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	resfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
	subfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions/fake"

	"spotdeck/azure"
)

// The Microsoft.Resources provider: the subscription list and the subscription's
// resource groups, which the setup wizard offers to choose from.

// Operation names of the Microsoft.Resources provider.
const (
	OpListSubscriptions  = "Client.NewListPager"
	OpListResourceGroups = "ResourceGroupsClient.NewListPager"
)

// SubscriptionName is the display name of the simulated subscription.
const SubscriptionName = "Spot fleet (simulated)"

func init() {
	registerProvider(provider{
		name: "Microsoft.Resources",
		routes: []route{
			newRoute(http.MethodGet, "/subscriptions", OpListSubscriptions),
			newRoute(http.MethodGet, subscriptionTemplate+"/resourcegroups",
				OpListResourceGroups),
		},
		transport: resourcesTransport,
	})
}

func resourcesTransport(s *Sim, req *http.Request) azure.Transporter {
	op, _ := req.Context().Value(runtime.CtxAPINameKey{}).(string)
	if op == OpListResourceGroups {
		return resfake.NewResourceGroupsServerTransport(&resfake.ResourceGroupsServer{
			NewListPager: s.listResourceGroups,
		})
	}
	return subfake.NewServerTransport(&subfake.Server{
		NewListPager: s.listSubscriptions,
	})
}

func (s *Sim) listSubscriptions(*armsubscriptions.ClientListOptions) (
	resp azfake.PagerResponder[armsubscriptions.ClientListResponse]) {
	state := armsubscriptions.SubscriptionStateEnabled
	resp.AddPage(http.StatusOK, armsubscriptions.ClientListResponse{
		SubscriptionListResult: armsubscriptions.SubscriptionListResult{
			Value: []*armsubscriptions.Subscription{{
				ID:             to.Ptr("/subscriptions/" + FixedSubscriptionID),
				SubscriptionID: to.Ptr(FixedSubscriptionID),
				DisplayName:    to.Ptr(SubscriptionName),
				TenantID:       to.Ptr(simulatedTenantID),
				State:          &state,
			}},
		},
	}, nil)
	return resp
}

func (s *Sim) listResourceGroups(*armresources.ResourceGroupsClientListOptions) (
	resp azfake.PagerResponder[armresources.ResourceGroupsClientListResponse]) {
	groups := make([]*armresources.ResourceGroup, 0, len(resourceGroups))
	for _, name := range resourceGroups {
		groups = append(groups, &armresources.ResourceGroup{
			ID:       to.Ptr("/subscriptions/" + FixedSubscriptionID + "/resourceGroups/" + name),
			Name:     to.Ptr(name),
			Location: to.Ptr(Location),
			Type:     to.Ptr("Microsoft.Resources/resourceGroups"),
			Properties: &armresources.ResourceGroupProperties{
				ProvisioningState: to.Ptr(provisioningSucceeded),
			},
		})
	}
	resp.AddPage(http.StatusOK, armresources.ResourceGroupsClientListResponse{
		ResourceGroupListResult: armresources.ResourceGroupListResult{Value: groups},
	}, nil)
	return resp
}
