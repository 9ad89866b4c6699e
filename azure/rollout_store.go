package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"spotdeck/bundle"
)

// Blob folders of the bundle container that rollouts use.
const (
	rolloutsPrefix = "rollouts/"
	locksPrefix    = "locks/"
)

// maxRecordBytes bounds a rollout record read back; the log is capped, so a record stays
// far below it.
const maxRecordBytes = 4 << 20

// RolloutStore keeps rollout records in a local folder and in the bundle container, where
// another machine finds them, and reads the bundles a rollout sends.
type RolloutStore struct {
	blobs    *blobStore
	localDir string
}

var (
	_ RolloutSaver = (*RolloutStore)(nil)
	_ BundleSource = (*RolloutStore)(nil)
)

// OpenRolloutStore prepares the store for a container; localDir receives the local copies
// (normally $XDG_STATE_HOME/spotdeck/rollouts). It makes no request.
func OpenRolloutStore(opts StorageOptions, container, localDir string) (*RolloutStore, error) {
	if err := validateContainer(container); err != nil {
		return nil, err
	}
	if strings.TrimSpace(localDir) == "" {
		return nil, errors.New("no local folder for rollout records")
	}
	store, err := openBlobStore(opts, container)
	if err != nil {
		return nil, err
	}
	return &RolloutStore{blobs: store, localDir: localDir}, nil
}

// recordName is a scale set's record name, the same locally and in the container.
func recordName(resourceGroup, scaleSet string) string {
	return strings.ToLower(resourceGroup + "." + scaleSet + ".json")
}

// Save writes the record locally first, then to the container.
func (s *RolloutStore) Save(ctx context.Context, r Rollout) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the rollout record: %w", err)
	}
	name := recordName(r.ResourceGroup, r.ScaleSet)
	if err := writeFileAtomic(filepath.Join(s.localDir, name), data); err != nil {
		return err
	}
	body := streaming.NopCloser(bytes.NewReader(data))
	_, err = s.blobs.blockBlob(rolloutsPrefix+name).Upload(ctx, body, &blockblob.UploadOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: toPtr("application/json")}})
	if err != nil {
		return maskedError{err: fmt.Errorf("save the rollout record to %s/%s%s: %w",
			s.blobs.name, rolloutsPrefix, name, err)}
	}
	return nil
}

func toPtr[T any](v T) *T { return &v }

// writeFileAtomic replaces a file so that a crash leaves the old or the new record, never
// half of one.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create the rollout folder %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write the rollout record %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write the rollout record %s: %w", path, err)
	}
	return nil
}

// Load returns the newest record of a scale set, from the container or the local copy,
// whichever was updated last. No record at all gives ErrNoRollout.
func (s *RolloutStore) Load(ctx context.Context, resourceGroup, scaleSet string) (Rollout,
	error) {
	name := recordName(resourceGroup, scaleSet)
	remote, remoteErr := s.loadRemote(ctx, name)
	local, localErr := loadLocal(filepath.Join(s.localDir, name))
	switch {
	case remote != nil && local != nil && local.Updated.After(remote.Updated):
		return *local, nil
	case remote != nil:
		return *remote, nil
	case local != nil:
		return *local, nil
	}
	if err := errors.Join(remoteErr, localErr); err != nil {
		return Rollout{}, err
	}
	return Rollout{}, fmt.Errorf("%w for scale set %s: start one with spotdeck rollout "+
		"start --scale-set %s", ErrNoRollout, scaleSet, scaleSet)
}

func (s *RolloutStore) loadRemote(ctx context.Context, name string) (*Rollout, error) {
	data, found, err := s.blobs.readSmall(ctx, rolloutsPrefix+name, maxRecordBytes)
	if err != nil || !found {
		return nil, err
	}
	return decodeRecord(data, s.blobs.name+"/"+rolloutsPrefix+name)
}

func loadLocal(path string) (*Rollout, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the rollout record %s: %w", path, err)
	}
	return decodeRecord(data, path)
}

func decodeRecord(data []byte, where string) (*Rollout, error) {
	var r Rollout
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("the rollout record %s is damaged (%v): delete it to start "+
			"over", where, err)
	}
	return &r, nil
}

// RolloutKey names a scale set in the map Summaries returns.
func RolloutKey(resourceGroup, scaleSet string) string {
	return strings.ToLower(resourceGroup + "/" + scaleSet)
}

// Summaries returns the running rollouts of the container's records, by RolloutKey, for
// the status output. Finished rollouts are left out.
func (s *RolloutStore) Summaries(ctx context.Context) (map[string]RolloutSummary, error) {
	out := map[string]RolloutSummary{}
	pager := s.blobs.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{
		Prefix: toPtr(rolloutsPrefix)})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if isNotFound(err) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list rollout records in %s: %w", s.blobs.name, err)
		}
		for _, item := range page.Segment.BlobItems {
			if item == nil || item.Name == nil {
				continue
			}
			r, err := s.loadRemote(ctx, strings.TrimPrefix(*item.Name, rolloutsPrefix))
			if err != nil || r == nil || r.Finished() {
				continue
			}
			out[RolloutKey(r.ResourceGroup, r.ScaleSet)] = r.Summary()
		}
	}
	return out, nil
}

// ReadManifest reads and checks the uploaded manifest of a label.
func (s *RolloutStore) ReadManifest(ctx context.Context, label string) (bundle.Manifest,
	error) {
	blobName := labelBlob(label, bundle.ManifestName)
	data, found, err := s.blobs.readSmall(ctx, blobName, maxManifestBytes)
	if err != nil {
		return bundle.Manifest{}, fmt.Errorf("read the manifest of bundle %s: %w", label, err)
	}
	if !found {
		return bundle.Manifest{}, fmt.Errorf("bundle %s has no manifest in container %s "+
			"(%s is missing): it was never uploaded, or its upload did not finish", label,
			s.blobs.name, blobName)
	}
	var m bundle.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return bundle.Manifest{}, fmt.Errorf("the manifest %s/%s is not valid JSON: %v",
			s.blobs.name, blobName, err)
	}
	if m.Label != "" && m.Label != label {
		return bundle.Manifest{}, fmt.Errorf("the manifest %s/%s names label %s, not %s",
			s.blobs.name, blobName, m.Label, label)
	}
	return m, nil
}

// FileLinks checks that each file of the label is in the container with the size the
// manifest gives, and returns the links instances download: plain URLs for managed
// identity access, read-only SAS links otherwise.
func (s *RolloutStore) FileLinks(ctx context.Context, label string, names []string,
	access string, validity time.Duration) ([]string, time.Time, error) {
	var signer *linkSigner
	if access == AccessSAS {
		var err error
		signer, err = newLinkSigner(ctx, s.blobs, validity, time.Now())
		if err != nil {
			return nil, time.Time{}, err
		}
	}
	links := make([]string, 0, len(names))
	for _, name := range names {
		blobName := labelBlob(label, name)
		props, err := s.blobs.props(ctx, blobName)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("bundle %s: %s is not readable: %w", label,
				name, err)
		}
		if props == nil {
			return nil, time.Time{}, fmt.Errorf("bundle %s: %s/%s is missing", label,
				s.blobs.name, blobName)
		}
		link := s.blobs.blobURL(blobName)
		if signer != nil {
			if link, err = signer.readLink(link, s.blobs.name, blobName); err != nil {
				return nil, time.Time{}, err
			}
		}
		links = append(links, link)
	}
	if signer == nil {
		return links, time.Time{}, nil
	}
	return links, signer.expiry, nil
}
