package sim

import (
	"net/http"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	msifake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi/fake"

	"spotdeck/azure"
)

// The Microsoft.ManagedIdentity provider: the user-assigned identity a new scale set can
// carry to read bundles without a SAS link.

// OpListIdentities lists the subscription's user-assigned identities.
const OpListIdentities = "UserAssignedIdentitiesClient.NewListBySubscriptionPager"

// IdentityName is the user-assigned identity of the simulated subscription.
const IdentityName = "id-spotdeck-func"

// Fixed IDs of the simulated identity.
const (
	identityClientID    = "00000000-0000-0000-0000-5907dec5000c"
	identityPrincipalID = "00000000-0000-0000-0000-5907dec5000d"
)

func init() {
	registerProvider(provider{
		name: "Microsoft.ManagedIdentity",
		routes: []route{newRoute(http.MethodGet, subscriptionTemplate+
			"/providers/Microsoft.ManagedIdentity/userAssignedIdentities", OpListIdentities)},
		transport: func(s *Sim, _ *http.Request) azure.Transporter {
			return msifake.NewUserAssignedIdentitiesServerTransport(
				&msifake.UserAssignedIdentitiesServer{
					NewListBySubscriptionPager: s.listIdentities,
				})
		},
	})
}

// IdentityID returns the resource ID of the simulated user-assigned identity.
func IdentityID() string {
	return "/subscriptions/" + FixedSubscriptionID + "/resourceGroups/" + functionsGroup +
		"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + IdentityName
}

func (s *Sim) listIdentities(*armmsi.UserAssignedIdentitiesClientListBySubscriptionOptions) (
	resp azfake.PagerResponder[armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse]) {
	identity := &armmsi.Identity{
		ID:       to.Ptr(IdentityID()),
		Name:     to.Ptr(IdentityName),
		Type:     to.Ptr("Microsoft.ManagedIdentity/userAssignedIdentities"),
		Location: to.Ptr(Location),
		Properties: &armmsi.UserAssignedIdentityProperties{
			ClientID:    to.Ptr(identityClientID),
			PrincipalID: to.Ptr(identityPrincipalID),
			TenantID:    to.Ptr(simulatedTenantID),
		},
	}
	resp.AddPage(http.StatusOK, armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse{
		UserAssignedIdentitiesListResult: armmsi.UserAssignedIdentitiesListResult{
			Value: []*armmsi.Identity{identity},
		},
	}, nil)
	return resp
}
