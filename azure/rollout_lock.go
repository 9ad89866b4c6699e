package azure

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
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
// frees it within lockSeconds, after which any process may resume the rollout.
const lockSeconds = 30

// lockRenewEvery is how often a held lock is renewed.
const lockRenewEvery = 10 * time.Second

// Metadata of the lock blob, naming who holds it and which process drives the rollout.
const (
	metaHolder  = "holder"
	metaSince   = "since"
	metaProcess = "process"
)

// thisProcess tells this process's locks from another's: an operator's console and
// command line on one machine share a name, but never this token.
var thisProcess = NewLeaseID()

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
	// The record holds the lease ID so that this process can take its lock again after a
	// pause; another process must not, while the lease is live: it would drive the same
	// rollout twice.
	if err := s.refuseLiveHolder(ctx, blobClient, scaleSet); err != nil {
		return nil, err
	}
	client, err := lease.NewBlobClient(blobClient, &lease.BlobClientOptions{LeaseID: &leaseID})
	if err != nil {
		return nil, fmt.Errorf("prepare the rollout lock %s: %w", name, err)
	}
	if _, err := client.AcquireLease(ctx, lockSeconds, nil); err != nil {
		if bloberror.HasCode(err, bloberror.LeaseAlreadyPresent,
			bloberror.LeaseIDMismatchWithLeaseOperation) {
			var metadata map[string]*string
			if resp, err := blobClient.GetProperties(ctx, nil); err == nil {
				metadata = resp.Metadata
			}
			return nil, heldBy(metadata, scaleSet)
		}
		return nil, maskedError{err: fmt.Errorf("take the rollout lock %s/%s: %w",
			s.blobs.name, name, err)}
	}
	meta := map[string]*string{metaHolder: &holder, metaProcess: toPtr(thisProcess),
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

// refuseLiveHolder refuses a lock whose lease another process holds and renews.
func (s *RolloutStore) refuseLiveHolder(ctx context.Context, b *blob.Client,
	scaleSet string) error {
	resp, err := b.GetProperties(ctx, nil)
	if err != nil {
		return maskedError{err: fmt.Errorf("read the rollout lock of %s: %w", scaleSet, err)}
	}
	leased := resp.LeaseState != nil && *resp.LeaseState == lease.StateTypeLeased
	if !leased || metadataValue(resp.Metadata, metaProcess) == thisProcess {
		return nil
	}
	return heldBy(resp.Metadata, scaleSet)
}

// heldBy builds the error that names the holder of a lock and what to do.
func heldBy(metadata map[string]*string, scaleSet string) error {
	holder, since := "another operator", "an unknown time"
	if h := metadataValue(metadata, metaHolder); h != "" {
		holder = h
	}
	if t := metadataValue(metadata, metaSince); t != "" {
		since = t
	}
	return fmt.Errorf("%w: the rollout of scale set %s is being driven by %s (lock held "+
		"since %s); pause, abort or roll it back with the rollout verbs, which ask that "+
		"process; if it has died, the lock frees itself within %d s", ErrRolloutLocked,
		scaleSet, holder, since, lockSeconds)
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

// askedPrefix is the container folder of operations asked of a rollout's driver.
const askedPrefix = "asked/"

// askedOp is an operation one operator asks of the process that drives a rollout.
type askedOp struct {
	RolloutID string    `json:"rolloutId"`
	Verb      string    `json:"verb"`
	Who       string    `json:"who"`
	At        time.Time `json:"at"`
}

// ask leaves an operation for the rollout's driver, which takes it at its next step.
func (s *RolloutStore) ask(ctx context.Context, r Rollout, verb, who string) error {
	data, err := json.Marshal(askedOp{RolloutID: r.ID, Verb: verb, Who: who,
		At: time.Now().UTC()})
	if err != nil {
		return err
	}
	name := askedPrefix + recordName(r.ResourceGroup, r.ScaleSet)
	_, err = s.blobs.blockBlob(name).Upload(ctx, streaming.NopCloser(bytes.NewReader(data)),
		nil)
	if err != nil {
		return maskedError{err: fmt.Errorf("ask the rollout's driver to %s (%s/%s): %w",
			verb, s.blobs.name, name, err)}
	}
	return nil
}

// takeAsked returns the operation asked of the rollout, if any, and removes it. One asked
// of an earlier rollout of the scale set is dropped.
func (s *RolloutStore) takeAsked(ctx context.Context, r Rollout) (*askedOp, error) {
	name := askedPrefix + recordName(r.ResourceGroup, r.ScaleSet)
	data, found, err := s.blobs.readSmall(ctx, name, maxRecordBytes)
	if err != nil || !found {
		return nil, err
	}
	if _, err := s.blobs.container.NewBlobClient(name).Delete(ctx, nil); err != nil &&
		!isNotFound(err) {
		return nil, maskedError{err: fmt.Errorf("take the operation asked in %s/%s: %w",
			s.blobs.name, name, err)}
	}
	var asked askedOp
	if err := json.Unmarshal(data, &asked); err != nil || asked.RolloutID != r.ID {
		return nil, nil
	}
	return &asked, nil
}
