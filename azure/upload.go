package azure

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Defaults of UploadOptions.
const (
	// DefaultBlockSize is the size of the blocks a large file is sent in. Files up to this
	// size go up in one request.
	DefaultBlockSize = 8 << 20
	// DefaultUploadConcurrency is how many blocks of one file are in flight at once.
	DefaultUploadConcurrency = 4
)

// Bounds of UploadOptions.BlockSize: Azure takes blocks up to 4000 MiB, but past 100 MiB a
// failed block costs more to resend than the fewer requests save.
const (
	minBlockSize = 64 << 10
	maxBlockSize = 100 << 20
)

// storePrefix is the folder of the content store: every file ever uploaded to the
// container, named by its SHA-256, so an unchanged file is copied on the service side
// instead of being sent again.
const storePrefix = "sha256/"

// Errors of UploadBundle; callers test for them with errors.Is.
var (
	// ErrUploadOptions marks options or arguments that cannot work, before any request.
	ErrUploadOptions = errors.New("azure: bad upload options")
	// ErrLabelConflict marks a container that already holds a different bundle under the
	// same label.
	ErrLabelConflict = errors.New("azure: label already uploaded with other content")
	// ErrBlobCheck marks a blob that does not match the local file after it was written.
	ErrBlobCheck = errors.New("azure: uploaded blob does not match")
)

// containerPattern is Azure's rule for container names, less the double-dash rule that
// validateContainer checks apart.
var containerPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// UploadOptions tunes UploadBundle. The zero value uploads for identity access with the
// default block size and concurrency.
type UploadOptions struct {
	// Progress, when set, is called as bytes go out and as each file is settled; never
	// concurrently.
	Progress func(UploadProgress)
	// Access is AccessIdentity (or "") or AccessSAS: how instances will read the bundle.
	Access string
	// SASValidity is how long SAS links last; zero means DefaultSASValidity with an account
	// key, MaxDelegationSASValidity when signed in with Entra ID.
	SASValidity time.Duration
	// BlockSize is the block size for large files; zero means DefaultBlockSize.
	BlockSize int64
	// Concurrency is how many blocks are sent at once; zero means DefaultUploadConcurrency.
	Concurrency int

	// blobWritten, when set, is called after each blob of the label folder is written and
	// checked. Tests observe the order of writes through it.
	blobWritten func(blob string)
}

// UploadProgress reports how far an upload has come. Bytes and Total count only the bytes
// that must be sent: files already in the container are not part of them.
type UploadProgress struct {
	Bytes, Total int64
	// File is the bundle file being worked on.
	File string
	// Rate is the bytes per second sent so far, zero before the first byte.
	Rate float64
	// Remaining estimates the time left; zero when unknown.
	Remaining time.Duration
}

// How a bundle file reached its blob.
const (
	// FileSent: its bytes were uploaded (or the rest of them, after an interruption).
	FileSent = "sent"
	// FileCopied: a file with the same SHA-256 was in the container's content store and
	// was copied on the service side; no bytes were sent.
	FileCopied = "copied"
	// FileKept: the blob was already in place with the same SHA-256.
	FileKept = "kept"
)

// UploadedFile is one file of an uploaded bundle.
type UploadedFile struct {
	Name   string
	SHA256 string
	Size   int64
	// Blob is the blob name inside the container: <label>/<name>.
	Blob string
	// URL is the link instances read. With SAS access it carries a signature: pass it
	// through MaskSAS before showing or logging it.
	URL string
	// How is FileSent, FileCopied or FileKept.
	How string
	// BytesSent counts the bytes of this file sent by this upload.
	BytesSent int64
}

// UploadResult is where an uploaded bundle is and how instances will read it.
type UploadResult struct {
	Label     string
	Container string
	// Access is AccessIdentity or AccessSAS.
	Access string
	// Files lists the bundle's files in the order they were settled; manifest.json is last.
	Files []UploadedFile
	// BytesSent counts every byte this upload sent.
	BytesSent int64
	// SASExpiry is when the links stop working; zero with identity access.
	SASExpiry time.Time
}

// File returns the uploaded file with the given name.
func (r UploadResult) File(name string) (UploadedFile, bool) {
	for _, f := range r.Files {
		if f.Name == name {
			return f, true
		}
	}
	return UploadedFile{}, false
}

// Names returns the names of the files that reached their blob the given way.
func (r UploadResult) Names(how string) []string {
	var names []string
	for _, f := range r.Files {
		if f.How == how {
			names = append(names, f.Name)
		}
	}
	return names
}

// UploadBundle uploads the built bundle in dir (a DIR/<label> folder holding manifest.json)
// to <container>/<label>/ and returns the links instances will read. Files whose SHA-256 is
// already in the container are copied on the service side, large files go up in parallel
// blocks, each blob is checked after it is written, and manifest.json goes last, so a
// bundle is visible only once complete. Rerun after an interruption, it sends only what is
// missing. The container is created when it does not exist.
func UploadBundle(ctx context.Context, opts StorageOptions, dir, container string,
	up UploadOptions) (UploadResult, error) {
	up, err := up.withDefaults()
	if err != nil {
		return UploadResult{}, err
	}
	if err := validateContainer(container); err != nil {
		return UploadResult{}, err
	}
	local, err := readLocalBundle(dir)
	if err != nil {
		return UploadResult{}, err
	}
	store, err := openBlobStore(opts, container)
	if err != nil {
		return UploadResult{}, err
	}
	u := &uploader{store: store, opts: up, bundle: local}
	res, err := u.run(ctx)
	if err != nil {
		return UploadResult{}, maskedError{err: err}
	}
	return res, nil
}

// withDefaults fills in the zero values and rejects the impossible ones.
func (o UploadOptions) withDefaults() (UploadOptions, error) {
	switch o.Access {
	case "":
		o.Access = AccessIdentity
	case AccessIdentity, AccessSAS:
	default:
		return o, fmt.Errorf("%w: access %q is unknown: use %q or %q",
			ErrUploadOptions, o.Access, AccessIdentity, AccessSAS)
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.BlockSize < minBlockSize || o.BlockSize > maxBlockSize {
		return o, fmt.Errorf("%w: block size %d is out of range: use %d to %d bytes",
			ErrUploadOptions, o.BlockSize, minBlockSize, maxBlockSize)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultUploadConcurrency
	}
	if o.Concurrency < 1 || o.Concurrency > 64 {
		return o, fmt.Errorf("%w: concurrency %d is out of range: use 1 to 64",
			ErrUploadOptions, o.Concurrency)
	}
	return o, nil
}

// validateContainer applies Azure's container naming rules, so a bad name fails here
// with the rule rather than as a 400 from the service.
func validateContainer(name string) error {
	if containerPattern.MatchString(name) && !containsDoubleDash(name) {
		return nil
	}
	return fmt.Errorf("%w: container name %q is not valid: use 3 to 63 lower-case letters, "+
		"digits and single dashes, starting and ending with a letter or digit (--container)",
		ErrUploadOptions, name)
}

func containsDoubleDash(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == '-' && s[i-1] == '-' {
			return true
		}
	}
	return false
}

// labelBlob is the blob name of a bundle file inside the container.
func labelBlob(label, name string) string {
	return label + "/" + name
}

// storeBlob is the content store's blob name for a SHA-256.
func storeBlob(sha256Hex string) string {
	return storePrefix + sha256Hex
}
