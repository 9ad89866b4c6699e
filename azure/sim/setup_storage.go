package sim

import (
	"context"
	"net/http"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage"
	storagefake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage/fake"

	"spotdeck/azure"
)

// The Microsoft.Storage provider: one storage account, whose endpoints are a storage
// emulator's (SetStorageAccount), and its key.

// Operation names of the Microsoft.Storage provider.
const (
	OpListStorageAccounts = "AccountsClient.NewListPager"
	OpListStorageKeys     = "AccountsClient.ListKeys"
)

func init() {
	account := subscriptionTemplate + "/resourceGroups/{resourceGroupName}/providers" +
		"/Microsoft.Storage/storageAccounts/{accountName}"
	registerProvider(provider{
		name: "Microsoft.Storage",
		routes: []route{
			newRoute(http.MethodGet, subscriptionTemplate+
				"/providers/Microsoft.Storage/storageAccounts", OpListStorageAccounts),
			newRoute(http.MethodPost, account+"/listKeys", OpListStorageKeys),
		},
		transport: func(s *Sim, _ *http.Request) azure.Transporter {
			return storagefake.NewAccountsServerTransport(&storagefake.AccountsServer{
				NewListPager: s.listStorageAccounts,
				ListKeys:     s.listStorageKeys,
			})
		},
	})
}

func (s *Sim) storageAccountID() string {
	return "/subscriptions/" + FixedSubscriptionID + "/resourceGroups/" + storageAccountGroup +
		"/providers/Microsoft.Storage/storageAccounts/" + StorageAccountName
}

func (s *Sim) listStorageAccounts(*armstorage.AccountsClientListOptions) (
	resp azfake.PagerResponder[armstorage.AccountsClientListResponse]) {
	blob, queue := s.storageEndpoints()
	account := &armstorage.Account{
		ID:       to.Ptr(s.storageAccountID()),
		Name:     to.Ptr(StorageAccountName),
		Type:     to.Ptr("Microsoft.Storage/storageAccounts"),
		Location: to.Ptr(Location),
		Kind:     to.Ptr(armstorage.KindStorageV2),
		Properties: &armstorage.AccountProperties{
			ProvisioningState: to.Ptr(armstorage.ProvisioningStateSucceeded),
			PrimaryEndpoints: &armstorage.Endpoints{
				Blob:  to.Ptr(blob + "/"),
				Queue: to.Ptr(queue + "/"),
			},
		},
	}
	resp.AddPage(http.StatusOK, armstorage.AccountsClientListResponse{
		AccountListResult: armstorage.AccountListResult{Value: []*armstorage.Account{account}},
	}, nil)
	return resp
}

func (s *Sim) listStorageKeys(_ context.Context, resourceGroup, accountName string,
	_ *armstorage.AccountsClientListKeysOptions) (
	resp azfake.Responder[armstorage.AccountsClientListKeysResponse],
	errResp azfake.ErrorResponder) {
	if !s.hasResourceGroup(resourceGroup) {
		errResp.SetError(resourceGroupNotFound(resourceGroup))
		return resp, errResp
	}
	if accountName != StorageAccountName {
		errResp.SetError(notFound("Microsoft.Storage/storageAccounts/"+accountName,
			resourceGroup))
		return resp, errResp
	}
	full := armstorage.KeyPermissionFull
	resp.SetResponse(http.StatusOK, armstorage.AccountsClientListKeysResponse{
		AccountListKeysResult: armstorage.AccountListKeysResult{Keys: []*armstorage.AccountKey{
			{KeyName: to.Ptr("key1"), Value: to.Ptr(storageAccountKey), Permissions: &full},
		}},
	}, nil)
	return resp, errResp
}
