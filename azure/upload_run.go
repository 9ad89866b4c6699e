package azure

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"spotdeck/bundle"
)

// maxManifestBytes bounds the download of a manifest already in the container.
const maxManifestBytes = 4 << 20

// uploader carries one UploadBundle call.
type uploader struct {
	store   *blobStore
	opts    UploadOptions
	bundle  localBundle
	signer  *linkSigner
	tracker *uploadTracker
}

// filePlan is what must happen to one file, decided before any byte is sent.
type filePlan struct {
	file localFile
	how  string
	// blocks is set for files sent in blocks; nil for files sent in one request.
	blocks *blockPlan
	toSend int64
	sent   atomic.Int64
}

// remoteManifest is a manifest.json already under the label in the container.
type remoteManifest struct {
	found  bool
	sha256 string
}

// run uploads the bundle; the signer is prepared first, so that a link that cannot be
// signed stops the upload before any byte is sent.
func (u *uploader) run(ctx context.Context) (UploadResult, error) {
	if u.opts.Access == AccessSAS {
		if err := u.prepareSigner(ctx); err != nil {
			return UploadResult{}, err
		}
	}
	if err := u.store.ensureContainer(ctx); err != nil {
		return UploadResult{}, err
	}
	remote, err := u.checkLabel(ctx)
	if err != nil {
		return UploadResult{}, err
	}
	plans, err := u.planFiles(ctx)
	if err != nil {
		return UploadResult{}, err
	}
	u.tracker = newUploadTracker(u.opts.Progress, u.bytesToSend(plans, remote))
	res := UploadResult{Label: u.label(), Container: u.store.name, Access: u.opts.Access}
	for _, p := range plans {
		f, err := u.settle(ctx, p)
		if err != nil {
			return UploadResult{}, err
		}
		res.Files = append(res.Files, f)
	}
	manifest, err := u.settleManifest(ctx, remote)
	if err != nil {
		return UploadResult{}, err
	}
	res.Files = append(res.Files, manifest)
	res.BytesSent = u.tracker.bytesSent()
	return res, u.addLinks(&res)
}

// label is the bundle's label, the folder of its blobs.
func (u *uploader) label() string {
	return u.bundle.manifest.Label
}

// prepareSigner sets up SAS signing; a store opened with a SAS cannot sign.
func (u *uploader) prepareSigner(ctx context.Context) error {
	if u.store.sharedKey == nil && !u.store.signedIn {
		return fmt.Errorf("%w: a connection string with a SharedAccessSignature cannot sign "+
			"links: use one with an AccountKey, sign in with --account, or let instances "+
			"read with the scale set's managed identity", ErrUploadOptions)
	}
	signer, err := newLinkSigner(ctx, u.store, u.opts.SASValidity, time.Now())
	if err != nil {
		return err
	}
	u.signer = signer
	return nil
}

// checkLabel looks for a manifest already under the label. The same files mean an earlier
// upload of this bundle finished; other files mean the label names another bundle, which
// must not be overwritten while instances may be reading it.
func (u *uploader) checkLabel(ctx context.Context) (remoteManifest, error) {
	name := labelBlob(u.label(), bundle.ManifestName)
	data, found, err := u.store.readSmall(ctx, name, maxManifestBytes)
	if err != nil || !found {
		return remoteManifest{}, err
	}
	var theirs bundle.Manifest
	if err := json.Unmarshal(data, &theirs); err != nil ||
		!slices.Equal(theirs.Files, u.bundle.manifest.Files) {
		return remoteManifest{}, fmt.Errorf("%w: %s/%s holds a different bundle (fix: build "+
			"with another --label, or delete that folder if no instance uses it)",
			ErrLabelConflict, u.store.name, u.label())
	}
	sum := sha256.Sum256(data)
	return remoteManifest{found: true, sha256: hex.EncodeToString(sum[:])}, nil
}

// planFiles decides for every file whether it is kept, copied or sent.
func (u *uploader) planFiles(ctx context.Context) ([]*filePlan, error) {
	plans := make([]*filePlan, 0, len(u.bundle.files))
	for _, f := range u.bundle.files {
		p, err := u.planFile(ctx, f)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// planFile looks for the file under the label, then in the content store, then for
// blocks an interrupted upload left staged.
func (u *uploader) planFile(ctx context.Context, f localFile) (*filePlan, error) {
	p := &filePlan{file: f}
	placed, err := u.store.props(ctx, labelBlob(u.label(), f.name))
	if err != nil {
		return nil, err
	}
	if placed.matches(f) {
		p.how = FileKept
		return p, nil
	}
	stored, err := u.store.props(ctx, storeBlob(f.sha256))
	if err != nil {
		return nil, err
	}
	if stored.matches(f) {
		p.how = FileCopied
		return p, nil
	}
	p.how, p.toSend = FileSent, f.size
	if f.size > u.opts.BlockSize {
		if p.blocks, err = u.planBlocks(ctx, f); err != nil {
			return nil, err
		}
		p.toSend = p.blocks.bytesToSend(f.size)
	}
	return p, nil
}

// bytesToSend adds up what the plans and the manifest will send.
func (u *uploader) bytesToSend(plans []*filePlan, remote remoteManifest) int64 {
	var total int64
	for _, p := range plans {
		total += p.toSend
	}
	if !remote.found {
		total += u.bundle.manifestFile.size
	}
	return total
}

// settle puts one file in place under the label: kept as is, or copied from the content
// store after sending it there when it was missing.
func (u *uploader) settle(ctx context.Context, p *filePlan) (UploadedFile, error) {
	name := labelBlob(u.label(), p.file.name)
	out := UploadedFile{Name: p.file.name, SHA256: p.file.sha256, Size: p.file.size,
		Blob: name, How: p.how}
	u.tracker.note(p.file.name)
	if p.how == FileKept {
		return out, nil
	}
	if p.how == FileSent {
		if err := u.sendToStore(ctx, p); err != nil {
			return out, err
		}
	}
	if err := u.store.copyWithin(ctx, storeBlob(p.file.sha256), name); err != nil {
		return out, err
	}
	if err := u.verify(ctx, name, p.file); err != nil {
		return out, err
	}
	u.written(name)
	out.BytesSent = p.sent.Load()
	return out, nil
}

// sendToStore uploads a file to the content store and checks the blob.
func (u *uploader) sendToStore(ctx context.Context, p *filePlan) error {
	name := storeBlob(p.file.sha256)
	var err error
	if p.blocks == nil {
		err = u.putWhole(ctx, name, p.file, &p.sent)
	} else {
		err = u.putBlocks(ctx, name, p)
	}
	if err != nil {
		return fmt.Errorf("upload %s: %w", p.file.name, err)
	}
	return u.verify(ctx, name, p.file)
}

// settleManifest writes manifest.json under the label, last of all, unless the same
// bundle's manifest is already there.
func (u *uploader) settleManifest(ctx context.Context,
	remote remoteManifest) (UploadedFile, error) {
	f := u.bundle.manifestFile
	name := labelBlob(u.label(), f.name)
	out := UploadedFile{Name: f.name, SHA256: f.sha256, Size: f.size, Blob: name}
	u.tracker.note(f.name)
	if remote.found {
		out.How, out.SHA256 = FileKept, remote.sha256
		return out, nil
	}
	var sent atomic.Int64
	if err := u.putWhole(ctx, name, f, &sent); err != nil {
		return out, fmt.Errorf("upload %s: %w", f.name, err)
	}
	if err := u.verify(ctx, name, f); err != nil {
		return out, err
	}
	u.written(name)
	out.How, out.BytesSent = FileSent, sent.Load()
	return out, nil
}

// verify reads a blob back and compares size, recorded SHA-256 and Content-MD5 with the
// local file.
func (u *uploader) verify(ctx context.Context, name string, f localFile) error {
	p, err := u.store.props(ctx, name)
	if err != nil {
		return err
	}
	switch {
	case p == nil:
		return fmt.Errorf("%w: %s/%s is missing after it was written", ErrBlobCheck,
			u.store.name, name)
	case p.size != f.size:
		return fmt.Errorf("%w: %s/%s has %d bytes, %s has %d", ErrBlobCheck, u.store.name,
			name, p.size, f.name, f.size)
	case p.sha256 != f.sha256:
		return fmt.Errorf("%w: %s/%s records SHA-256 %q, %s has %s", ErrBlobCheck,
			u.store.name, name, p.sha256, f.name, f.sha256)
	case !bytes.Equal(p.md5, f.md5):
		return fmt.Errorf("%w: %s/%s has another Content-MD5 than %s", ErrBlobCheck,
			u.store.name, name, f.name)
	}
	return nil
}

// written tells the test hook that a blob of the label folder is in place.
func (u *uploader) written(name string) {
	if u.opts.blobWritten != nil {
		u.opts.blobWritten(name)
	}
}

// addLinks fills in the URL of every file: plain for identity access, signed for SAS.
func (u *uploader) addLinks(res *UploadResult) error {
	for i := range res.Files {
		f := &res.Files[i]
		f.URL = u.store.blobURL(f.Blob)
		if u.signer == nil {
			continue
		}
		link, err := u.signer.readLink(f.URL, u.store.name, f.Blob)
		if err != nil {
			return err
		}
		f.URL = link
	}
	if u.signer != nil {
		res.SASExpiry = u.signer.expiry
	}
	return nil
}
