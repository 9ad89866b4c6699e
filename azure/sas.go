package azure

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
)

// How instances read a bundle.
const (
	// AccessIdentity: instances read the blobs with the scale set's managed identity, which
	// needs the Storage Blob Data Reader role on the container. The links carry no secret.
	AccessIdentity = "identity"
	// AccessSAS: instances read the blobs through read-only links signed for one blob each.
	AccessSAS = "sas"
)

// DefaultSASValidity is how long a link signed with an account key lasts when no validity
// is asked for. A link that expires breaks every later scale-out and reimage, so it is long.
const DefaultSASValidity = 30 * 24 * time.Hour

// MaxDelegationSASValidity is the longest a user delegation SAS can last: Azure refuses a
// user delegation key valid for more than seven days.
const MaxDelegationSASValidity = 7 * 24 * time.Hour

// sasClockSkew backdates the start of every link, so that a service clock slightly behind
// ours does not reject a link as not yet valid.
const sasClockSkew = 5 * time.Minute

// ErrSASValidity marks a link validity that cannot be signed.
var ErrSASValidity = errors.New("azure: SAS validity out of range")

// sigPattern finds the signature of a SAS in a URL, plain, query-escaped inside another
// URL or header value, or inside JSON, whose encoder writes & as \u0026.
var sigPattern = regexp.MustCompile(`(?i)((?:[?&]|%26|\\u0026)sig(?:=|%3D))[^&\s"'<>\\]*`)

// MaskSAS returns text with the signature of every SAS in it replaced, so that a link can be
// shown or logged: the rest of the link (blob, permissions, expiry) stays readable.
func MaskSAS(text string) string {
	return sigPattern.ReplaceAllString(text, "${1}REDACTED")
}

// maskedError hides any SAS signature or account key that the text of a wrapped error
// may carry, keeping the error itself for errors.Is and errors.As.
type maskedError struct{ err error }

func (e maskedError) Error() string { return MaskSAS(redactSecrets(e.err.Error())) }
func (e maskedError) Unwrap() error { return e.err }

// linkSigner signs read-only links to single blobs, all with the same validity window.
type linkSigner struct {
	sign     func(sas.BlobSignatureValues) (sas.QueryParameters, error)
	protocol sas.Protocol
	start    time.Time
	expiry   time.Time
}

// newLinkSigner prepares signing for the store's credential: the account key when the
// store has one (connection string, emulator), a user delegation key otherwise (Entra ID).
func newLinkSigner(ctx context.Context, store *blobStore, validity time.Duration,
	now time.Time) (*linkSigner, error) {
	validity, err := sasValidity(validity, store.sharedKey != nil)
	if err != nil {
		return nil, err
	}
	s := &linkSigner{
		protocol: linkProtocol(store.endpoint),
		start:    now.UTC().Add(-sasClockSkew).Truncate(time.Second),
		expiry:   now.UTC().Add(validity).Truncate(time.Second),
	}
	if store.sharedKey != nil {
		key := store.sharedKey
		s.sign = func(v sas.BlobSignatureValues) (sas.QueryParameters, error) {
			return v.SignWithSharedKey(key)
		}
		return s, nil
	}
	credential, err := delegationCredential(ctx, store.service, s.start, s.expiry)
	if err != nil {
		return nil, err
	}
	s.sign = func(v sas.BlobSignatureValues) (sas.QueryParameters, error) {
		return v.SignWithUserDelegation(credential)
	}
	return s, nil
}

// sasValidity applies the default and checks the limits of the kind of SAS to be signed.
func sasValidity(asked time.Duration, accountKey bool) (time.Duration, error) {
	switch {
	case asked < 0:
		return 0, fmt.Errorf("%w: SAS validity %s is negative: pass a duration such as 720h",
			ErrSASValidity, asked)
	case asked == 0 && accountKey:
		return DefaultSASValidity, nil
	case asked == 0:
		return MaxDelegationSASValidity, nil
	case asked < time.Hour:
		return 0, fmt.Errorf("%w: SAS validity %s is under an hour: links would expire "+
			"before most scale-outs; pass 1h or more", ErrSASValidity, asked)
	case !accountKey && asked > MaxDelegationSASValidity:
		return 0, fmt.Errorf("%w: a user delegation SAS (signed in with Entra ID) lasts at "+
			"most 168h, %s was asked: pass 168h or less, or let instances read with the "+
			"scale set's managed identity", ErrSASValidity, asked)
	}
	return asked, nil
}

// linkProtocol allows links over plain HTTP only when the storage endpoint is this machine
// (the Azurite emulator serves HTTP only). Anywhere else a link is HTTPS-only, since its
// signature in a plain HTTP request could be read on the network and replayed.
func linkProtocol(endpoint *url.URL) sas.Protocol {
	if endpoint != nil && isLoopbackHost(endpoint.Hostname()) {
		return sas.ProtocolHTTPSandHTTP
	}
	return sas.ProtocolHTTPS
}

// delegationCredential asks the service for a user delegation key valid over the window.
func delegationCredential(ctx context.Context, svc *service.Client,
	start, expiry time.Time) (*service.UserDelegationCredential, error) {
	startText := start.Format(sas.TimeFormat)
	expiryText := expiry.Format(sas.TimeFormat)
	info := service.KeyInfo{Start: &startText, Expiry: &expiryText}
	credential, err := svc.GetUserDelegationCredential(ctx, info, nil)
	if err == nil {
		return credential, nil
	}
	if bloberror.HasCode(err, bloberror.AuthorizationPermissionMismatch,
		bloberror.AuthorizationFailure) {
		return nil, fmt.Errorf("get a user delegation key to sign links: %w (fix: grant "+
			"the signed-in identity Storage Blob Delegator or Storage Blob Data "+
			"Contributor on the account, or use identity access)", err)
	}
	return nil, fmt.Errorf("get a user delegation key to sign links: %w", err)
}

// readLink returns blobURL with a SAS that allows only reading that one blob.
func (s *linkSigner) readLink(blobURL, containerName, blobName string) (string, error) {
	values := sas.BlobSignatureValues{
		Protocol:      s.protocol,
		StartTime:     s.start,
		ExpiryTime:    s.expiry,
		Permissions:   (&sas.BlobPermissions{Read: true}).String(),
		ContainerName: containerName,
		BlobName:      blobName,
	}
	query, err := s.sign(values)
	if err != nil {
		return "", fmt.Errorf("sign a read link for %s/%s: %w", containerName, blobName, err)
	}
	return blobURL + "?" + query.Encode(), nil
}
