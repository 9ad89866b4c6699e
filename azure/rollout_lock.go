package azure

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
)

// lockSeconds is the lease's lifetime. A rollout renews it well before; a crashed one
// frees it within a minute, and its own resume takes it back at once with the same ID.
const lockSeconds = 60

// lockRenewEvery is how often a held lock is renewed.
const lockRenewEvery = 20 * time.Second

// Metadata of the lock blob, naming who holds it.
const (
	metaHolder = "holder"
	metaSince  = "since"
)

// RolloutLock is the lease that keeps two operators from rolling out to one scale set.
type RolloutLock struct {
	client *lease.BlobClient
	blob   *blob.Client
	name   string
	stop   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error
}

// NewLeaseID returns a fresh lock ID for a new rollout's record.
func NewLeaseID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Lock takes the scale set's lock with the rollout's lease ID and keeps renewing it until
// Release. The same ID takes a lock it already holds, so a resumed rollout gets it back
// after a crash. Held by another ID, it fails with ErrRolloutLocked naming the holder and
// since when.
func (s *RolloutStore) Lock(ctx context.Context, resourceGroup, scaleSet, leaseID,
	holder string) (*RolloutLock, error) {
	name := locksPrefix + strings.TrimSuffix(recordName(resourceGroup, scaleSet), ".json")
	if err := s.blobs.ensureContainer(ctx); err != nil {
		return nil, err
	}
	blobClient := s.blobs.container.NewBlobClient(name)
	if err := s.ensureLockBlob(ctx, name); err != nil {
		return nil, err
	}
	client, err := lease.NewBlobClient(blobClient, &lease.BlobClientOptions{LeaseID: &leaseID})
	if err != nil {
		return nil, fmt.Errorf("prepare the rollout lock %s: %w", name, err)
	}
	if _, err := client.AcquireLease(ctx, lockSeconds, nil); err != nil {
		if bloberror.HasCode(err, bloberror.LeaseAlreadyPresent,
			bloberror.LeaseIDMismatchWithLeaseOperation) {
			return nil, s.heldBy(ctx, blobClient, scaleSet)
		}
		return nil, maskedError{err: fmt.Errorf("take the rollout lock %s/%s: %w",
			s.blobs.name, name, err)}
	}
	meta := map[string]*string{metaHolder: &holder,
		metaSince: toPtr(time.Now().UTC().Format(time.RFC3339))}
	_, err = blobClient.SetMetadata(ctx, meta, &blob.SetMetadataOptions{
		AccessConditions: &blob.AccessConditions{LeaseAccessConditions: &blob.LeaseAccessConditions{
			LeaseID: &leaseID}}})
	if err != nil {
		return nil, fmt.Errorf("name the holder of the rollout lock %s: %w", name, err)
	}
	l := &RolloutLock{client: client, blob: blobClient, name: name, stop: make(chan struct{})}
	go l.keepAlive()
	return l, nil
}

// ensureLockBlob creates the empty lock blob unless it exists; an existing one may be
// leased, so it is never overwritten.
func (s *RolloutStore) ensureLockBlob(ctx context.Context, name string) error {
	props, err := s.blobs.props(ctx, name)
	if err != nil || props != nil {
		return err
	}
	body := streaming.NopCloser(bytes.NewReader(nil))
	_, err = s.blobs.blockBlob(name).Upload(ctx, body, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.LeaseIDMissing) {
		return maskedError{err: fmt.Errorf("create the rollout lock %s: %w", name, err)}
	}
	return nil
}

// heldBy builds the error that names the holder of a lock.
func (s *RolloutStore) heldBy(ctx context.Context, b *blob.Client, scaleSet string) error {
	holder, since := "another operator", "an unknown time"
	if resp, err := b.GetProperties(ctx, nil); err == nil {
		if h := metadataValue(resp.Metadata, metaHolder); h != "" {
			holder = h
		}
		if t := metadataValue(resp.Metadata, metaSince); t != "" {
			since = t
		}
	}
	return fmt.Errorf("%w: scale set %s is locked by %s since %s; wait for that rollout to "+
		"end, or resume it with spotdeck rollout resume --scale-set %s", ErrRolloutLocked,
		scaleSet, holder, since, scaleSet)
}

// keepAlive renews the lease until Release.
func (l *RolloutLock) keepAlive() {
	ticker := time.NewTicker(lockRenewEvery)
	defer ticker.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ticker.C:
			ctx, cancel := context.WithTimeout(context.Background(), lockRenewEvery)
			_, err := l.client.RenewLease(ctx, nil)
			cancel()
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
		}
	}
}

// Err returns the error of the latest renewal, nil while the lock holds.
func (l *RolloutLock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return fmt.Errorf("renew the rollout lock %s: %w", l.name, l.err)
	}
	return nil
}

// Release stops the renewals and frees the lock for the next rollout.
func (l *RolloutLock) Release(ctx context.Context) error {
	l.once.Do(func() { close(l.stop) })
	if _, err := l.client.ReleaseLease(ctx, nil); err != nil {
		return fmt.Errorf("release the rollout lock %s: %w", l.name, err)
	}
	return nil
}

// Stop ends the renewals without releasing: the lock lapses within a minute unless the
// same rollout takes it again. It is for a process that leaves a rollout paused or halted.
func (l *RolloutLock) Stop() {
	l.once.Do(func() { close(l.stop) })
}
