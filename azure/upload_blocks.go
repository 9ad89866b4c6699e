package azure

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"golang.org/x/sync/errgroup"
)

// maxBlocks is the most blocks one block blob can have.
const maxBlocks = 50000

// blockPlan lists the blocks of a file and those an earlier, interrupted upload already
// staged. Block IDs depend only on the block size and position, and the blob is named by
// the file's SHA-256, so a staged block with the right ID and size holds the right bytes
// (the service checked each block's MD5 when it was staged).
type blockPlan struct {
	blockSize int64
	ids       []string
	staged    map[string]bool
}

// blockID names block i for a block size; all IDs of a blob must have the same length.
func blockID(blockSize int64, i int) string {
	raw := fmt.Sprintf("spotdeck-%012d-%06d", blockSize, i)
	return base64.StdEncoding.EncodeToString([]byte(raw))
}

// span returns the offset and length of block i in a file of size bytes.
func (b *blockPlan) span(i int, size int64) (offset, length int64) {
	offset = int64(i) * b.blockSize
	return offset, min(b.blockSize, size-offset)
}

// bytesToSend adds up the blocks not staged yet.
func (b *blockPlan) bytesToSend(size int64) int64 {
	var n int64
	for i, id := range b.ids {
		if !b.staged[id] {
			_, length := b.span(i, size)
			n += length
		}
	}
	return n
}

// planBlocks cuts a file into blocks and finds those already staged on its store blob.
func (u *uploader) planBlocks(ctx context.Context, f localFile) (*blockPlan, error) {
	bs := u.opts.BlockSize
	count := int((f.size + bs - 1) / bs)
	if count > maxBlocks {
		return nil, fmt.Errorf("%w: %s needs %d blocks of %d bytes, over Azure's %d: "+
			"use a larger block size", ErrUploadOptions, f.name, count, bs, maxBlocks)
	}
	plan := &blockPlan{blockSize: bs, ids: make([]string, count), staged: map[string]bool{}}
	index := make(map[string]int, count)
	for i := range plan.ids {
		plan.ids[i] = blockID(bs, i)
		index[plan.ids[i]] = i
	}
	name := storeBlob(f.sha256)
	list, err := u.store.blockBlob(name).GetBlockList(ctx, blockblob.BlockListTypeUncommitted,
		nil)
	if isNotFound(err) {
		return plan, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list staged blocks of %s/%s: %w", u.store.name, name, err)
	}
	for _, block := range list.UncommittedBlocks {
		if block == nil {
			continue
		}
		i, ours := index[stringOf(block.Name)]
		if _, length := plan.span(i, f.size); ours && valueOf(block.Size) == length {
			plan.staged[plan.ids[i]] = true
		}
	}
	return plan, nil
}

// putWhole sends a file in one request; the service checks the body against its MD5.
func (u *uploader) putWhole(ctx context.Context, name string, f localFile,
	sent *atomic.Int64) error {
	file, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer file.Close()
	body := streaming.NopCloser(io.NewSectionReader(file, 0, f.size))
	_, err = u.store.blockBlob(name).Upload(ctx, body, &blockblob.UploadOptions{
		Metadata:                blobMetadata(f),
		HTTPHeaders:             blobHeaders(f),
		TransactionalValidation: blob.TransferValidationTypeMD5(f.md5),
	})
	if err != nil {
		return err
	}
	sent.Add(f.size)
	u.tracker.add(f.name, f.size)
	return nil
}

// putBlocks stages the missing blocks of a file in parallel, then commits them all. An
// interruption leaves the staged blocks on the service for the next run to skip.
func (u *uploader) putBlocks(ctx context.Context, name string, p *filePlan) error {
	file, err := os.Open(p.file.path)
	if err != nil {
		return err
	}
	defer file.Close()
	client := u.store.blockBlob(name)
	group, groupCtx := errgroup.WithContext(ctx)
	group.SetLimit(u.opts.Concurrency)
	for i, id := range p.blocks.ids {
		if p.blocks.staged[id] {
			continue
		}
		if groupCtx.Err() != nil {
			break
		}
		offset, length := p.blocks.span(i, p.file.size)
		group.Go(func() error {
			return u.stageBlock(groupCtx, client, file, id, offset, length, p)
		})
	}
	if err := group.Wait(); err != nil {
		return err
	}
	_, err = client.CommitBlockList(ctx, p.blocks.ids, &blockblob.CommitBlockListOptions{
		Metadata:    blobMetadata(p.file),
		HTTPHeaders: blobHeaders(p.file),
	})
	return err
}

// stageBlock sends one block with its MD5, which the service checks.
func (u *uploader) stageBlock(ctx context.Context, client *blockblob.Client, file *os.File,
	id string, offset, length int64, p *filePlan) error {
	sum := md5.New()
	if _, err := io.Copy(sum, io.NewSectionReader(file, offset, length)); err != nil {
		return fmt.Errorf("read %s: %w", p.file.path, err)
	}
	body := streaming.NopCloser(io.NewSectionReader(file, offset, length))
	_, err := client.StageBlock(ctx, id, body, &blockblob.StageBlockOptions{
		TransactionalValidation: blob.TransferValidationTypeMD5(sum.Sum(nil)),
	})
	if err != nil {
		return err
	}
	p.sent.Add(length)
	u.tracker.add(p.file.name, length)
	return nil
}

// blobMetadata records the file's SHA-256 on its blob.
func blobMetadata(f localFile) map[string]*string {
	sha := f.sha256
	return map[string]*string{metaSHA256: &sha}
}

// blobHeaders gives the blob its media type and whole-content MD5.
func blobHeaders(f localFile) *blob.HTTPHeaders {
	kind := contentType(f.name)
	return &blob.HTTPHeaders{BlobContentType: &kind, BlobContentMD5: f.md5}
}
