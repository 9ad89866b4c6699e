package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
)

// The access check makes one harmless call for each thing spotdeck does, so that a
// missing role shows during setup, with the role to grant and where, rather than in the
// middle of an incident.

// Capabilities the access check covers, in the order it reports them.
const (
	CapReadScaleSets = "read scale sets"
	CapChangeModel   = "change a scale-set model"
	CapReadQueues    = "read queue metadata"
	CapWriteBlobs    = "write blobs"
	CapLeaseBlobs    = "take a blob lease"
	CapReadActivity  = "read the Activity Log"
)

// AccessTarget is what the access check checks against.
type AccessTarget struct {
	Subscription  string
	ResourceGroup string
	// ScaleSets are the watched scale sets; the first one's group scopes the model check.
	ScaleSets []ScaleSet
	Storage   StorageOptions
	// Account names the storage account in messages.
	Account   string
	Queues    []string
	Container string
}

// AccessResult is the outcome of one capability's check.
type AccessResult struct {
	Capability string
	OK         bool
	// Skipped tells nothing was configured to check (no queues, no container).
	Skipped bool
	// Detail says what was called, or why it failed.
	Detail string
	// Grant is the role to grant and its scope when the check was refused, e.g.
	// "Storage Blob Data Contributor on account stfunc".
	Grant string
}

// accessCheckBlob is the blob the write and lease checks create and delete again.
const accessCheckBlob = "spotdeck-access-check.txt"

// CheckAccess runs every check; each one's failure is reported, never returned.
func (s *Setup) CheckAccess(ctx context.Context, target AccessTarget) []AccessResult {
	results := []AccessResult{
		s.checkReadScaleSets(ctx, target),
		s.checkChangeModel(ctx, target),
		s.checkReadQueues(ctx, target),
	}
	results = append(results, s.checkBlobs(ctx, target)...)
	return append(results, s.checkActivity(ctx, target))
}

// armScope names where an ARM role is granted: the scale sets' group, or the subscription.
func (t AccessTarget) armScope() (path, words string) {
	group := t.ResourceGroup
	if len(t.ScaleSets) > 0 && t.ScaleSets[0].ResourceGroup != "" {
		group = t.ScaleSets[0].ResourceGroup
	}
	path = "/subscriptions/" + t.Subscription
	if group == "" {
		return path, "subscription " + t.Subscription
	}
	return path + "/resourceGroups/" + group, "resource group " + group
}

func (s *Setup) checkReadScaleSets(ctx context.Context, t AccessTarget) AccessResult {
	res := AccessResult{Capability: CapReadScaleSets}
	_, words := t.armScope()
	client, err := s.Client(t.Subscription, t.ResourceGroup)
	if err == nil {
		var sets []ScaleSet
		sets, err = client.ListScaleSets(ctx)
		res.Detail = fmt.Sprintf("listed %d scale sets", len(sets))
	}
	return res.judge(err, "Reader on "+words)
}

func (s *Setup) checkChangeModel(ctx context.Context, t AccessTarget) AccessResult {
	res := AccessResult{Capability: CapChangeModel}
	scope, words := t.armScope()
	grant := "Virtual Machine Contributor on " + words
	perms, err := s.permissions(ctx, scope)
	if err != nil {
		return res.judge(err, grant)
	}
	const action = "Microsoft.Compute/virtualMachineScaleSets/write"
	if !perms.allows(action) {
		res.Detail = "your roles on " + words + " do not allow " + action
		res.Grant = grant
		return res
	}
	res.OK, res.Detail = true, "allowed on "+words
	return res
}

func (s *Setup) checkReadQueues(ctx context.Context, t AccessTarget) AccessResult {
	res := AccessResult{Capability: CapReadQueues}
	if len(t.Queues) == 0 {
		res.Skipped, res.Detail = true, "no queues to watch"
		return res
	}
	reader, err := NewQueueReader(t.Storage)
	if err == nil {
		_, err = reader.service.NewQueueClient(t.Queues[0]).GetProperties(ctx, nil)
		res.Detail = "read the metadata of queue " + t.Queues[0]
	}
	return res.judge(err, t.storageGrant("Storage Queue Data Reader"))
}

// checkBlobs writes a small blob, takes and releases a lease on it, and deletes it.
func (s *Setup) checkBlobs(ctx context.Context, t AccessTarget) []AccessResult {
	write := AccessResult{Capability: CapWriteBlobs}
	lease := AccessResult{Capability: CapLeaseBlobs}
	if t.Container == "" {
		write.Skipped, write.Detail = true, "no bundle container"
		lease.Skipped, lease.Detail = true, "no bundle container"
		return []AccessResult{write, lease}
	}
	grant := t.storageGrant("Storage Blob Data Contributor")
	store, err := openBlobStore(t.Storage, t.Container)
	if err != nil {
		return []AccessResult{write.judge(err, grant), lease.judge(err, grant)}
	}
	probe := store.container.NewBlockBlobClient(accessCheckBlob)
	_, err = probe.UploadBuffer(ctx, []byte("spotdeck access check\n"),
		&blockblob.UploadBufferOptions{})
	write.Detail = "wrote " + accessCheckBlob + " in container " + t.Container
	write = write.judge(err, grant)
	if err != nil {
		lease.Detail = "no blob to lease: the write was refused"
		return []AccessResult{write, lease.judge(err, grant)}
	}
	lease.Detail = "took and released a lease on " + accessCheckBlob
	lease = lease.judge(leaseOnce(ctx, probe.BlobClient()), grant)
	// The probe is removed even when the lease failed; a leftover is harmless but untidy.
	_, _ = probe.Delete(ctx, &blob.DeleteOptions{})
	return []AccessResult{write, lease}
}

// leaseOnce takes the shortest lease Azure grants and releases it at once.
func leaseOnce(ctx context.Context, b *blob.Client) error {
	client, err := lease.NewBlobClient(b, nil)
	if err != nil {
		return err
	}
	if _, err := client.AcquireLease(ctx, 15, nil); err != nil {
		return err
	}
	_, err = client.ReleaseLease(ctx, nil)
	return err
}

func (s *Setup) checkActivity(ctx context.Context, t AccessTarget) AccessResult {
	res := AccessResult{Capability: CapReadActivity}
	client, err := s.Client(t.Subscription, t.ResourceGroup)
	if err == nil {
		var log *ActivityLog
		log, err = client.Activity()
		if err == nil {
			_, err = log.Evictions(ctx, time.Now().Add(-time.Hour))
		}
		res.Detail = "read the last hour of the Activity Log"
	}
	return res.judge(err, "Monitoring Reader on subscription "+t.Subscription)
}

// storageGrant names the data role on the account, or the key when a connection string
// is in use: a refused connection string needs a valid key, not a role.
func (t AccessTarget) storageGrant(role string) string {
	if strings.TrimSpace(t.Storage.ConnectionString) != "" {
		return "a valid account key for " + t.accountName() +
			" (the connection string was refused)"
	}
	return role + " on account " + t.accountName()
}

func (t AccessTarget) accountName() string {
	if t.Account != "" {
		return t.Account
	}
	return "(unnamed account)"
}

// judge turns a call's error into the result: a refusal names the grant; any other
// failure keeps its message, since no role would fix it.
func (r AccessResult) judge(err error, grant string) AccessResult {
	if err == nil {
		r.OK = true
		return r
	}
	if isRefusal(err) {
		r.Grant = grant
		r.Detail = "refused (" + refusalCode(err) + ")"
		return r
	}
	r.Detail = clipLine(err.Error(), maxARMMessageRunes)
	return r
}

// isRefusal tells whether Azure answered 403: the identity lacks a role.
func isRefusal(err error) bool {
	var respErr *azcore.ResponseError
	return errors.As(err, &respErr) && respErr.StatusCode == http.StatusForbidden
}

func refusalCode(err error) string {
	if code := ErrorCode(err); code != "" {
		return code
	}
	return "403"
}

// storageFailure describes a failed storage call; a refusal names the role to grant.
func storageFailure(operation, role, account string, err error) error {
	if isRefusal(err) {
		return fmt.Errorf("%s: refused (%s): grant %s on account %s, or use the account "+
			"key", operation, refusalCode(err), role, account)
	}
	return fmt.Errorf("%s: %w", operation, err)
}
