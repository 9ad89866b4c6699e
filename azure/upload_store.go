package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
)

// metaSHA256 is the metadata name under which every blob spotdeck writes carries the
// SHA-256 of its content: what makes a blob recognisable without reading it.
const metaSHA256 = "sha256"

// copyPollInterval is how often a pending server-side copy is checked. Copies within one
// account usually finish before the first check.
const copyPollInterval = 500 * time.Millisecond

// blobStore is one container reached with one credential.
type blobStore struct {
	name      string
	endpoint  *url.URL
	service   *service.Client
	container *container.Client
	// sharedKey signs links when the store was opened with an account key; nil otherwise.
	sharedKey *azblob.SharedKeyCredential
	// signedIn tells that requests carry an Entra token, so user delegation keys exist.
	signedIn bool
}

// openBlobStore prepares the clients for a container. It makes no request.
func openBlobStore(opts StorageOptions, containerName string) (*blobStore, error) {
	if strings.TrimSpace(opts.ConnectionString) != "" {
		return storeFromConnString(opts.ConnectionString, containerName)
	}
	endpoint := strings.TrimSpace(opts.BlobEndpoint)
	if endpoint == "" && strings.TrimSpace(opts.Account) != "" {
		if err := checkAccountName(strings.TrimSpace(opts.Account)); err != nil {
			return nil, fmt.Errorf("%w (--account)", err)
		}
		endpoint = "https://" + strings.TrimSpace(opts.Account) + ".blob." + defaultSuffix
	}
	if endpoint == "" {
		return nil, fmt.Errorf("%w: no storage account: pass --account NAME (signs in with "+
			"Entra ID) or --connection-string, or set SPOTDECK_STORAGE_CONNECTION_STRING",
			ErrUploadOptions)
	}
	return storeSignedIn(endpoint, containerName)
}

// storeFromConnString opens a container with a connection string's key or SAS.
func storeFromConnString(raw, containerName string) (*blobStore, error) {
	conn, err := ParseConnectionString(raw)
	if err != nil {
		return nil, err
	}
	if conn.BlobEndpoint == "" {
		return nil, fmt.Errorf("%w: it has no BlobEndpoint and no AccountName to derive "+
			"one from; %s", ErrBadConnectionString, connStringFix)
	}
	endpoint, err := url.Parse(conn.BlobEndpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: BlobEndpoint is not a URL", ErrBadConnectionString)
	}
	options := blobClientOptions(false)
	store := &blobStore{name: containerName, endpoint: endpoint}
	if conn.AccountKey != "" {
		store.sharedKey, err = azblob.NewSharedKeyCredential(conn.AccountName, conn.AccountKey)
		if err != nil {
			return nil, fmt.Errorf("%w: AccountKey is not usable; %s",
				ErrBadConnectionString, connStringFix)
		}
		store.service, err = service.NewClientWithSharedKeyCredential(conn.BlobEndpoint,
			store.sharedKey, options)
	} else {
		store.service, err = service.NewClientWithNoCredential(
			conn.BlobEndpoint+"?"+conn.SharedAccessSignature, options)
	}
	if err != nil {
		return nil, fmt.Errorf("prepare the blob client for %s: %w", endpoint.Host, err)
	}
	store.container = store.service.NewContainerClient(containerName)
	return store, nil
}

// storeSignedIn opens a container with an Entra token. The endpoint must be an Azure
// Storage host or this machine, so that a token never goes anywhere else.
func storeSignedIn(rawEndpoint, containerName string) (*blobStore, error) {
	endpoint, azureCloud, err := storageSignInTarget("blob endpoint", rawEndpoint)
	if err != nil {
		return nil, err
	}
	credential, err := newAzureCredential(azureCloud)
	if err != nil {
		return nil, err
	}
	options := blobClientOptions(endpoint.Scheme == "http")
	options.Cloud = azureCloud
	svc, err := service.NewClient(strings.TrimRight(endpoint.String(), "/"), credential,
		options)
	if err != nil {
		return nil, fmt.Errorf("prepare the blob client for %s: %w", endpoint.Host, err)
	}
	return &blobStore{name: containerName, endpoint: endpoint, service: svc,
		container: svc.NewContainerClient(containerName), signedIn: true}, nil
}

// blobClientOptions are the options every blob client of an upload shares. Plain HTTP
// with a token is allowed only for loopback endpoints, which storageSignInTarget ensures.
func blobClientOptions(allowHTTPToken bool) *service.ClientOptions {
	return &service.ClientOptions{ClientOptions: azcore.ClientOptions{
		InsecureAllowCredentialWithHTTP: allowHTTPToken,
		Telemetry:                       policy.TelemetryOptions{ApplicationID: "spotdeck"},
	}}
}

// ensureContainer creates the container unless it exists. An identity that may write
// blobs but not create containers still gets through when the container is there.
func (s *blobStore) ensureContainer(ctx context.Context) error {
	_, err := s.container.Create(ctx, nil)
	if err == nil || bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return nil
	}
	if _, getErr := s.container.GetProperties(ctx, nil); getErr == nil {
		return nil
	}
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) && ctx.Err() == nil {
		return fmt.Errorf("reach the blob service at %s: %w (fix: check the account name or "+
			"BlobEndpoint, and that this machine can reach it)", s.endpoint.Host, err)
	}
	return fmt.Errorf("create container %s: %w (fix: create it, or grant Storage Blob Data "+
		"Contributor on the account)", s.name, err)
}

// blobProps is what an upload needs to know of an existing blob.
type blobProps struct {
	size       int64
	sha256     string
	md5        []byte
	copyStatus string
	copyDetail string
}

// matches tells whether the blob holds the file: same size and the same recorded SHA-256.
func (p *blobProps) matches(f localFile) bool {
	return p != nil && p.size == f.size && p.sha256 == f.sha256
}

// props reads a blob's properties; nil without error when the blob does not exist.
func (s *blobStore) props(ctx context.Context, name string) (*blobProps, error) {
	resp, err := s.container.NewBlobClient(name).GetProperties(ctx, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read properties of %s/%s: %w", s.name, name, err)
	}
	return &blobProps{
		size:       valueOf(resp.ContentLength),
		sha256:     strings.ToLower(metadataValue(resp.Metadata, metaSHA256)),
		md5:        resp.ContentMD5,
		copyStatus: lowerOf(resp.CopyStatus),
		copyDetail: stringOf(resp.CopyStatusDescription),
	}, nil
}

// isNotFound tells whether err says the blob (or its container) is not there.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return true
	}
	var respErr *azcore.ResponseError
	return errors.As(err, &respErr) && respErr.StatusCode == http.StatusNotFound
}

// valueOf returns the value a pointer holds, or the zero value when the pointer is nil.
func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// metadataValue looks a metadata name up without regard to case: the service returns
// names as HTTP headers, whose case the client library changes.
func metadataValue(metadata map[string]*string, name string) string {
	for key, value := range metadata {
		if strings.EqualFold(key, name) {
			return stringOf(value)
		}
	}
	return ""
}

// readSmall downloads a blob of at most limit bytes; found is false when it is absent.
func (s *blobStore) readSmall(ctx context.Context, name string,
	limit int64) (data []byte, found bool, err error) {
	resp, err := s.container.NewBlobClient(name).DownloadStream(ctx, nil)
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("download %s/%s: %w", s.name, name, err)
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, true, fmt.Errorf("download %s/%s: %w", s.name, name, err)
	}
	if int64(len(data)) > limit {
		return nil, true, fmt.Errorf("%s/%s is larger than %d bytes", s.name, name, limit)
	}
	return data, true, nil
}

// copyWithin copies a blob of this container to another name on the service side and
// waits for the copy to finish. Within one account the copy is authorized by the
// request's own credential, so the source needs no SAS.
func (s *blobStore) copyWithin(ctx context.Context, src, dst string) error {
	source := s.container.NewBlobClient(src).URL()
	resp, err := s.blockBlob(dst).StartCopyFromURL(ctx, source, nil)
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	status := lowerOf(resp.CopyStatus)
	for status == string(blob.CopyStatusTypePending) {
		if err := sleepCtx(ctx, copyPollInterval); err != nil {
			return fmt.Errorf("copy %s to %s: %w", src, dst, err)
		}
		p, err := s.props(ctx, dst)
		if err != nil || p == nil {
			return fmt.Errorf("copy %s to %s: the destination vanished: %w", src, dst, err)
		}
		status = p.copyStatus
	}
	if status != string(blob.CopyStatusTypeSuccess) {
		return fmt.Errorf("copy %s to %s ended %q", src, dst, status)
	}
	return nil
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// blockBlob returns the block blob client for a name in the container.
func (s *blobStore) blockBlob(name string) *blockblob.Client {
	return s.container.NewBlockBlobClient(name)
}

// blobURL returns the plain URL of a blob, its folders kept as slashes: the client library
// escapes them as %2F, which the service accepts but which would name the file the Custom
// Script Extension downloads "<label>%2Fhost.zip". A connection string's SAS rides in the
// clients' URLs; it is cut off here, since these URLs are shown and handed out.
func (s *blobStore) blobURL(name string) string {
	base, err := url.Parse(s.container.URL())
	if err != nil {
		return ""
	}
	base.RawQuery = ""
	segments := strings.Split(name, "/")
	for i, segment := range segments {
		segments[i] = url.PathEscape(segment)
	}
	return strings.TrimRight(base.String(), "/") + "/" + strings.Join(segments, "/")
}
