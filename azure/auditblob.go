package azure

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/appendblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// The team's audit log lives beside the bundles: one append blob per UTC day, so that
// every operator's console appends to the same file without a lease and a day is read in
// one request.
const (
	auditFolder  = "audit/"
	auditDayForm = "2006-01-02"
	// maxAuditAppend is the largest block an append blob accepts in one request.
	maxAuditAppend = 4 << 20
	// maxAuditDay bounds what ReadDay downloads: a day of records is far smaller.
	maxAuditDay = 64 << 20
)

// AuditBlobs appends audit records to append blobs named audit/YYYY-MM-DD.jsonl in a
// container. It satisfies the audit package's sink interface.
type AuditBlobs struct {
	store *blobStore
}

// NewAuditBlobs prepares the audit blobs of a container. It makes no request; the
// container is created on the first append when it is missing.
func NewAuditBlobs(opts StorageOptions, container string) (*AuditBlobs, error) {
	if err := validateContainer(container); err != nil {
		return nil, err
	}
	store, err := openBlobStore(opts, container)
	if err != nil {
		return nil, err
	}
	return &AuditBlobs{store: store}, nil
}

// String names where the records go, for messages.
func (a *AuditBlobs) String() string {
	return "container " + a.store.name + " on " + a.store.endpoint.Host
}

// auditBlobName returns the blob of one day after checking the day's form, so that no
// caller can name another blob.
func auditBlobName(day string) (string, error) {
	if _, err := time.Parse(auditDayForm, day); err != nil {
		return "", fmt.Errorf("audit day %q is not a date of the form YYYY-MM-DD", day)
	}
	return auditFolder + day + ".jsonl", nil
}

// Append adds line, which should end in a newline, to the day's blob, creating the blob
// and the container when they are missing. Appends from several consoles interleave
// whole: each is one block.
func (a *AuditBlobs) Append(ctx context.Context, day string, line []byte) error {
	name, err := auditBlobName(day)
	if err != nil {
		return err
	}
	if len(line) == 0 || len(line) > maxAuditAppend {
		return fmt.Errorf("audit line of %d bytes cannot be appended (1 to %d)", len(line),
			maxAuditAppend)
	}
	client := a.store.container.NewAppendBlobClient(name)
	err = appendLine(ctx, client, line)
	if isNotFound(err) {
		err = a.createAndAppend(ctx, client, line, err)
	}
	if err != nil {
		return a.failure("append to", name, err)
	}
	return nil
}

// createAndAppend creates what the first append found missing and appends again.
func (a *AuditBlobs) createAndAppend(ctx context.Context, client *appendblob.Client,
	line []byte, missing error) error {
	if bloberror.HasCode(missing, bloberror.ContainerNotFound) {
		if err := a.store.ensureContainer(ctx); err != nil {
			return err
		}
	}
	// If-None-Match: * keeps a console that lost the race from wiping the records
	// another one has just appended: Create would otherwise replace the blob.
	anyETag := azcore.ETagAny
	_, err := client.Create(ctx, &appendblob.CreateOptions{
		AccessConditions: &blob.AccessConditions{
			ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &anyETag},
		},
	})
	if err != nil && !bloberror.HasCode(err, bloberror.BlobAlreadyExists) {
		return err
	}
	return appendLine(ctx, client, line)
}

func appendLine(ctx context.Context, client *appendblob.Client, line []byte) error {
	_, err := client.AppendBlock(ctx, streaming.NopCloser(bytes.NewReader(line)), nil)
	return err
}

// ReadDay returns the day's blob, or nil without error when the day has none.
func (a *AuditBlobs) ReadDay(ctx context.Context, day string) ([]byte, error) {
	name, err := auditBlobName(day)
	if err != nil {
		return nil, err
	}
	data, found, err := a.store.readSmall(ctx, name, maxAuditDay)
	if err != nil {
		return nil, a.failure("read", name, err)
	}
	if !found {
		return nil, nil
	}
	return data, nil
}

// failure describes a storage error with any key or signature in it redacted: a SAS
// from a connection string rides in the request URL the client library quotes.
func (a *AuditBlobs) failure(verb, name string, err error) error {
	return fmt.Errorf("%s audit blob %s in %s: %s", verb, name, a, redactSecrets(err.Error()))
}
