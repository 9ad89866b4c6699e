package azure

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// StorageAccounts lists the storage accounts of a subscription with their endpoints.
func (s *Setup) StorageAccounts(ctx context.Context, subscription string) (
	[]StorageAccount, error) {
	client, err := armstorage.NewAccountsClient(subscription, s.access.credential, s.options)
	if err != nil {
		return nil, fmt.Errorf("prepare the storage accounts client: %w", err)
	}
	models, err := drain(ctx, client.NewListPager(nil),
		func(p armstorage.AccountsClientListResponse) []*armstorage.Account { return p.Value })
	if err != nil {
		return nil, describeFailure("list storage accounts", "the subscription", err)
	}
	out := make([]StorageAccount, 0, len(models))
	for _, m := range models {
		if m == nil || stringOf(m.Name) == "" {
			continue
		}
		out = append(out, storageAccountFrom(m))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// storageAccountFrom maps one account, reading its resource group from its ID.
func storageAccountFrom(m *armstorage.Account) StorageAccount {
	account := StorageAccount{Name: stringOf(m.Name), Location: stringOf(m.Location),
		ResourceGroup: resourceGroupOf(stringOf(m.ID))}
	if m.Properties != nil && m.Properties.PrimaryEndpoints != nil {
		endpoints := m.Properties.PrimaryEndpoints
		account.BlobEndpoint = strings.TrimRight(stringOf(endpoints.Blob), "/")
		account.QueueEndpoint = strings.TrimRight(stringOf(endpoints.Queue), "/")
	}
	return account
}

// AccountConnectionString reads the account's first key and builds a connection string
// with the account's own endpoints. The result is a secret: show it to no one, log it
// nowhere, and store it only when the operator chose to.
func (s *Setup) AccountConnectionString(ctx context.Context, subscription string,
	account StorageAccount) (string, error) {
	if account.ResourceGroup == "" || account.Name == "" {
		return "", errors.New("read the account key: the account's name and resource " +
			"group are both needed")
	}
	client, err := armstorage.NewAccountsClient(subscription, s.access.credential, s.options)
	if err != nil {
		return "", fmt.Errorf("prepare the storage accounts client: %w", err)
	}
	resp, err := client.ListKeys(ctx, account.ResourceGroup, account.Name, nil)
	if err != nil {
		return "", describeKeysFailure(account.Name, err)
	}
	key := firstKey(resp.Keys)
	if key == "" {
		return "", fmt.Errorf("storage account %s returned no key; shared key access may "+
			"be turned off: sign in with Entra ID instead", account.Name)
	}
	return connectionStringFor(account, key), nil
}

// describeKeysFailure names the role that may list keys: Reader, the hint for reads,
// does not allow it.
func describeKeysFailure(account string, err error) error {
	operation := "read the keys of storage account " + account
	if isRefusal(err) {
		return fmt.Errorf("%s: refused (%s): grant Storage Account Key Operator Service "+
			"Role (or Storage Account Contributor) on storage account %s, or go back and "+
			"choose Entra ID sign-in", operation, refusalCode(err), account)
	}
	return describeFailure(operation, "storage account "+account, err)
}

func firstKey(keys []*armstorage.AccountKey) string {
	for _, k := range keys {
		if k != nil && stringOf(k.Value) != "" {
			return stringOf(k.Value)
		}
	}
	return ""
}

// connectionStringFor spells the explicit form, which both storage SDKs accept.
func connectionStringFor(account StorageAccount, key string) string {
	protocol := "https"
	if strings.HasPrefix(account.BlobEndpoint, "http://") {
		protocol = "http"
	}
	parts := []string{"DefaultEndpointsProtocol=" + protocol, "AccountName=" + account.Name,
		"AccountKey=" + key}
	if account.BlobEndpoint != "" {
		parts = append(parts, "BlobEndpoint="+account.BlobEndpoint)
	}
	if account.QueueEndpoint != "" {
		parts = append(parts, "QueueEndpoint="+account.QueueEndpoint)
	}
	return strings.Join(parts, ";")
}

// Queues lists the queues of the account, poison queues included, sorted.
func (s *Setup) Queues(ctx context.Context, opts StorageOptions) ([]string, error) {
	reader, err := NewQueueReader(opts)
	if err != nil {
		return nil, err
	}
	var names []string
	pager := reader.service.NewListQueuesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, storageFailure("list queues of account "+reader.account,
				"Storage Queue Data Reader", reader.account, err)
		}
		for _, q := range page.Queues {
			if q != nil && stringOf(q.Name) != "" {
				names = append(names, stringOf(q.Name))
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// Containers lists the blob containers of the account, sorted.
func (s *Setup) Containers(ctx context.Context, opts StorageOptions) ([]string, error) {
	store, err := openBlobStore(opts, "spotdeck")
	if err != nil {
		return nil, err
	}
	account := accountOfEndpoint(store.endpoint)
	var names []string
	pager := store.service.NewListContainersPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, storageFailure("list containers of account "+account,
				"Storage Blob Data Reader", account, err)
		}
		for _, c := range page.ContainerItems {
			if c != nil && stringOf(c.Name) != "" {
				names = append(names, stringOf(c.Name))
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// CreateContainer creates a private blob container; one that already exists is fine.
func (s *Setup) CreateContainer(ctx context.Context, opts StorageOptions, name string) error {
	if err := validateContainer(name); err != nil {
		return err
	}
	store, err := openBlobStore(opts, name)
	if err != nil {
		return err
	}
	_, err = store.container.Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		account := accountOfEndpoint(store.endpoint)
		return storageFailure("create container "+name+" in account "+account,
			"Storage Blob Data Contributor", account, err)
	}
	return nil
}
