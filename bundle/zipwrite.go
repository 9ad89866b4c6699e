package bundle

import (
	"archive/zip"
	"bufio"
	"bytes"
	stdflate "compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// deflateLevel is klauspost's level 5: within a few percent of Info-ZIP -6 in size on host
// builds, at several times its speed.
const deflateLevel = 5

// smallFile is the size up to which a file is read whole before compressing: it saves a
// second read when the file turns out not to compress.
const smallFile = 256 << 10

// spillAt is how much compressed data one entry keeps in memory before moving to a temp file.
const spillAt = 512 << 10

// maxWorkers caps the compressing goroutines: memory grows with them, and past a few cores the
// serial writing of the zip limits the gain anyway.
const maxWorkers = 8

// windowPerWorker is how many packed entries may wait per worker, so that a large entry does
// not leave the other workers idle while it is compressed.
const windowPerWorker = 3

// spillBufferSize buffers writes to a spill file.
const spillBufferSize = 256 << 10

// dosDate1980 is 1980-01-01 in MS-DOS date form, the earliest a zip can hold; every entry
// gets it so that zips do not depend on when the inputs were touched.
const dosDate1980 = 1<<5 | 1

// Zip versions written into headers: 2.0 (deflate), 4.5 (zip64).
const (
	zipVersion20 = 20
	zipVersion45 = 45
	uint32max    = 1<<32 - 1
)

// packed is one entry compressed and waiting to be written in order.
type packed struct {
	hdr zip.FileHeader
	// data holds the entry's bytes as they go in the zip, unless spill or reread is used.
	data  []byte
	spill *os.File
	// reread means the entry is stored uncompressed, copied again from its input.
	reread bool
	err    error
}

// release deletes the spill file, if any.
func (p *packed) release() {
	if p.spill != nil {
		p.spill.Close()
		os.Remove(p.spill.Name())
		p.spill = nil
	}
}

// zipWriter writes deterministic zips, compressing entries on every core.
type zipWriter struct {
	// tmpDir receives the spill files; it is on the output's file system.
	tmpDir string
	// onRead is told of input bytes as the compressors read them; it is called from
	// several goroutines at once.
	onRead func(n int64)
	// onProgress is called from write's goroutine after each entry and while a large
	// entry is being compressed, so that progress can be reported from there.
	onProgress func()
}

// progressEvery is how often onProgress is called while write waits for an entry.
const progressEvery = 100 * time.Millisecond

// write writes the entries of src as a zip to w.
func (zw *zipWriter) write(ctx context.Context, w io.Writer, src *source) error {
	out := zip.NewWriter(w)
	workers, window := pipelineShape()
	// One compressor per worker: each holds about a megabyte of tables, too much to
	// allocate per entry, and a sync.Pool loses them at every collection.
	compressors := make([]*flate.Writer, workers)
	for i := range compressors {
		compressors[i], _ = flate.NewWriter(io.Discard, deflateLevel)
	}
	err := inOrder(ctx, len(src.entries), workers, window,
		func(worker, i int) packed { return zw.pack(ctx, compressors[worker], src.entries[i]) },
		func(i int, p packed) error {
			defer p.release()
			if err := writePacked(out, src.entries[i], &p); err != nil {
				return fmt.Errorf("%s: %w%s", src.where(src.entries[i].name), err,
					damagedFix(err))
			}
			zw.onProgress()
			return nil
		},
		func(p packed) { p.release() }, zw.onProgress)
	if err != nil {
		return err
	}
	return out.Close()
}

// pipelineShape returns how many goroutines compress and how many packed entries may wait.
// Each waiting entry holds at most about 2*spillAt (a buffer's growth) plus smallFile bytes,
// which bounds memory whatever the input size.
func pipelineShape() (workers, window int) {
	workers = min(runtime.GOMAXPROCS(0), maxWorkers)
	return workers, windowPerWorker * workers
}

// inOrder runs work on items 0..n-1 with workers goroutines and hands the results to emit in
// item order. work is told which worker (0..workers-1) runs it, so it can use that worker's
// own tools. At most window results wait at once, which bounds memory; results never handed
// to emit go to drop. idle is called, like emit from the caller's goroutine, every
// progressEvery that passes waiting for the next result.
func inOrder[T any](ctx context.Context, n, workers, window int, work func(int, int) T,
	emit func(int, T) error, drop func(T), idle func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]chan T, n)
	for i := range results {
		results[i] = make(chan T, 1)
	}
	slots := make(chan struct{}, window)
	jobs := make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() { dispatch(ctx, n, slots, jobs) })
	for w := range workers {
		wg.Go(func() {
			for i := range jobs {
				results[i] <- work(w, i)
			}
		})
	}
	err := collect(ctx, results, slots, emit, idle)
	cancel()
	wg.Wait()
	for _, ch := range results {
		select {
		case r := <-ch:
			drop(r)
		default:
		}
	}
	return err
}

// dispatch hands out item numbers as window slots free up, then closes jobs.
func dispatch(ctx context.Context, n int, slots chan struct{}, jobs chan<- int) {
	defer close(jobs)
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			return
		}
	}
}

// collect emits the results in order, freeing a window slot after each, and calls idle
// while it waits.
func collect[T any](ctx context.Context, results []chan T, slots chan struct{},
	emit func(int, T) error, idle func()) error {
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for i := 0; i < len(results); {
		select {
		case r := <-results[i]:
			err := emit(i, r)
			<-slots
			if err != nil {
				return err
			}
			i++
		case <-tick.C:
			idle()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// pack compresses one entry.
func (zw *zipWriter) pack(ctx context.Context, fw *flate.Writer, e entry) packed {
	p := packed{hdr: zipHeader(e)}
	if e.isDir() {
		return p
	}
	if err := ctx.Err(); err != nil {
		p.err = err
		return p
	}
	if e.size <= smallFile {
		p.err = zw.packSmall(&p, fw, e)
	} else {
		p.err = zw.packLarge(&p, fw, e)
	}
	return p
}

// packSmall reads a small entry whole and keeps whichever of stored or deflated is smaller.
func (zw *zipWriter) packSmall(p *packed, fw *flate.Writer, e entry) error {
	raw, err := readSmall(counted(e.open, zw.onRead), smallFile)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(len(raw) / 2)
	if err := deflateTo(fw, &buf, bytes.NewReader(raw)); err != nil {
		return err
	}
	p.hdr.CRC32 = crc32.ChecksumIEEE(raw)
	p.hdr.UncompressedSize64 = uint64(len(raw))
	if buf.Len() < len(raw) {
		p.hdr.Method = zip.Deflate
		p.data = buf.Bytes()
	} else {
		p.data = raw
	}
	p.hdr.CompressedSize64 = uint64(len(p.data))
	return nil
}

// packLarge streams a large entry through the compressor into memory, then a spill file.
// When deflate does not pay, the entry is stored and copied again from its input at write
// time, so nothing large is ever held whole.
func (zw *zipWriter) packLarge(p *packed, fw *flate.Writer, e entry) error {
	rc, err := counted(e.open, zw.onRead)()
	if err != nil {
		return err
	}
	defer rc.Close()
	crc := crc32.NewIEEE()
	counted := &countWriter{w: crc}
	sink := &spillBuffer{dir: zw.tmpDir}
	err = deflateTo(fw, sink, io.TeeReader(rc, counted))
	p.spill = sink.file
	if err == nil {
		err = sink.flush()
	}
	if err != nil {
		return err
	}
	p.hdr.CRC32 = crc.Sum32()
	p.hdr.UncompressedSize64 = uint64(counted.n)
	if sink.size < counted.n {
		p.hdr.Method = zip.Deflate
		p.hdr.CompressedSize64 = uint64(sink.size)
		p.data = sink.buf.Bytes()
	} else {
		p.release()
		p.reread = true
		p.hdr.CompressedSize64 = uint64(counted.n)
	}
	setZip64(&p.hdr)
	return nil
}

// damagedFix is the fix for an input that cannot be read back: a zip damaged in transit or
// on disk. Other errors (a full disk, a file changed meanwhile) say their own fix.
func damagedFix(err error) string {
	var corrupt stdflate.CorruptInputError
	if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &corrupt) {
		return " (fix: the input zip is damaged: download or zip it again)"
	}
	return ""
}

// deflateTo compresses r into w with the compressor fw.
func deflateTo(fw *flate.Writer, w io.Writer, r io.Reader) error {
	fw.Reset(w)
	if _, err := io.Copy(fw, r); err != nil {
		return err
	}
	return fw.Close()
}

// zipHeader returns the fixed part of an entry's header: name, mode, time and versions.
func zipHeader(e entry) zip.FileHeader {
	fh := zip.FileHeader{
		Name:           e.name,
		CreatorVersion: zipVersion20,
		ReaderVersion:  zipVersion20,
		Method:         zip.Store,
		// CreateRaw writes these fields as they are; Modified would be ignored.
		ModifiedDate: dosDate1980,
		ModifiedTime: 0,
	}
	fh.SetMode(e.mode)
	if !isASCII(e.name) && utf8.ValidString(e.name) {
		fh.Flags |= 0x800 // the name is UTF-8
	}
	return fh
}

// setZip64 raises the reader version of entries that need zip64 sizes.
func setZip64(fh *zip.FileHeader) {
	if fh.UncompressedSize64 >= uint32max || fh.CompressedSize64 >= uint32max {
		fh.ReaderVersion = zipVersion45
	}
}

// isASCII tells whether s holds only 7-bit characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// writePacked writes one packed entry into the zip.
func writePacked(out *zip.Writer, e entry, p *packed) error {
	if p.err != nil {
		return p.err
	}
	// The zip writer keeps the header until Close: give it a copy of its own, or it keeps
	// the whole packed entry, data included, alive.
	hdr := new(zip.FileHeader)
	*hdr = p.hdr
	w, err := out.CreateRaw(hdr)
	if err != nil || e.isDir() {
		return err
	}
	switch {
	case p.reread:
		return copyStored(w, e, &p.hdr)
	case p.spill != nil:
		if _, err := p.spill.Seek(0, io.SeekStart); err != nil {
			return err
		}
		_, err = io.Copy(w, p.spill)
		return err
	default:
		_, err = w.Write(p.data)
		return err
	}
}

// copyStored copies an entry uncompressed, checking that it did not change since it was
// packed: the header holding its size and checksum is already written.
func copyStored(w io.Writer, e entry, fh *zip.FileHeader) error {
	rc, err := e.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	crc := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(w, crc), rc)
	if err != nil {
		return err
	}
	if uint64(n) != fh.UncompressedSize64 || crc.Sum32() != fh.CRC32 {
		return fmt.Errorf("file changed while the bundle was built: build again")
	}
	return nil
}

// counted wraps an opener so that every byte read is told to onRead.
func counted(open func() (io.ReadCloser, error),
	onRead func(int64)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			return nil, err
		}
		return &countReader{ReadCloser: rc, onRead: onRead}, nil
	}
}

// countReader tells onRead of the bytes read through it.
type countReader struct {
	io.ReadCloser
	onRead func(int64)
}

// Read passes the read on and counts it.
func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if n > 0 {
		c.onRead(int64(n))
	}
	return n, err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

// Write passes p on and counts it.
func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// spillBuffer keeps written bytes in memory up to spillAt, then moves them to a temp file.
type spillBuffer struct {
	dir  string
	buf  bytes.Buffer
	file *os.File
	// toFile buffers writes to file: the compressor writes in small pieces.
	toFile *bufio.Writer
	size   int64
}

// Write appends p, spilling to disk when memory would exceed spillAt.
func (s *spillBuffer) Write(p []byte) (int, error) {
	if s.file == nil && s.buf.Len()+len(p) > spillAt {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	var n int
	var err error
	if s.toFile != nil {
		n, err = s.toFile.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.size += int64(n)
	return n, err
}

// spill moves the buffered bytes to a new temp file.
func (s *spillBuffer) spill() error {
	f, err := os.CreateTemp(s.dir, "entry-*.deflate")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	s.file = f
	s.toFile = bufio.NewWriterSize(f, spillBufferSize)
	if _, err := s.toFile.Write(s.buf.Bytes()); err != nil {
		return err
	}
	s.buf = bytes.Buffer{}
	return nil
}

// flush writes out what the file buffer holds.
func (s *spillBuffer) flush() error {
	if s.toFile == nil {
		return nil
	}
	return s.toFile.Flush()
}
