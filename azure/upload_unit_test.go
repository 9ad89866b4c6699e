package azure

import (
	"context"
	"encoding/base64"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

func TestProgressAt(t *testing.T) {
	tests := []struct {
		name          string
		sent, total   int64
		elapsed       time.Duration
		wantRate      float64
		wantRemaining time.Duration
	}{
		{"nothing sent yet", 0, 100, time.Second, 0, 0},
		{"no time passed", 10, 100, 0, 0, 0},
		{"a quarter in one second", 25, 100, time.Second, 25, 3 * time.Second},
		{"half in two seconds", 50 << 20, 100 << 20, 2 * time.Second, 25 << 20, 2 * time.Second},
		{"done", 100, 100, 4 * time.Second, 25, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := progressAt("host.zip", tt.sent, tt.total, tt.elapsed)
			if p.Rate != tt.wantRate || p.Remaining != tt.wantRemaining ||
				p.Bytes != tt.sent || p.Total != tt.total || p.File != "host.zip" {
				t.Errorf("progressAt = %+v, want rate %v, remaining %s", p, tt.wantRate,
					tt.wantRemaining)
			}
		})
	}
}

func TestBlockPlan(t *testing.T) {
	tests := []struct {
		name       string
		blockSize  int64
		fileSize   int64
		staged     []int
		wantLast   int64
		wantToSend int64
	}{
		{"exact multiple", 4, 12, nil, 4, 12},
		{"short last block", 4, 10, nil, 2, 10},
		{"first two staged", 4, 10, []int{0, 1}, 2, 2},
		{"last staged", 4, 10, []int{2}, 2, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count := int((tt.fileSize + tt.blockSize - 1) / tt.blockSize)
			plan := &blockPlan{blockSize: tt.blockSize, staged: map[string]bool{}}
			for i := range count {
				plan.ids = append(plan.ids, blockID(tt.blockSize, i))
			}
			for _, i := range tt.staged {
				plan.staged[plan.ids[i]] = true
			}
			if _, last := plan.span(count-1, tt.fileSize); last != tt.wantLast {
				t.Errorf("last block has %d bytes, want %d", last, tt.wantLast)
			}
			if got := plan.bytesToSend(tt.fileSize); got != tt.wantToSend {
				t.Errorf("bytesToSend = %d, want %d", got, tt.wantToSend)
			}
		})
	}
}

// TestBlockIDs checks the service's rule that the IDs of one blob have the same length,
// and that a different block size never reuses an ID.
func TestBlockIDs(t *testing.T) {
	first := blockID(DefaultBlockSize, 0)
	for _, id := range []string{blockID(DefaultBlockSize, 49999), blockID(minBlockSize, 7)} {
		if len(id) != len(first) {
			t.Errorf("ID %q has another length than %q", id, first)
		}
		if _, err := base64.StdEncoding.DecodeString(id); err != nil {
			t.Errorf("ID %q is not base64: %v", id, err)
		}
	}
	if blockID(minBlockSize, 3) == blockID(DefaultBlockSize, 3) {
		t.Error("block 3 has the same ID for two block sizes")
	}
}

func TestBlobURL(t *testing.T) {
	key := "a2V5LWZvci1zaWduaW5nLW9ubHktaW4tdGhpcy10ZXN0"
	tests := []struct {
		name, conn, blob, want string
	}{
		{"account key", "AccountName=spotdeckdocs;AccountKey=" + key, "b-1/host.zip",
			"https://spotdeckdocs.blob.core.windows.net/bundles/b-1/host.zip"},
		{"connection string SAS left out",
			"BlobEndpoint=https://spotdeckdocs.blob.core.windows.net;" +
				"SharedAccessSignature=sv=2025-01-05&sig=secret", "b-1/app.zip",
			"https://spotdeckdocs.blob.core.windows.net/bundles/b-1/app.zip"},
		{"emulator path", "AccountName=devstoreaccount1;AccountKey=" + key +
			";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1", "sha256/ab",
			"http://127.0.0.1:10000/devstoreaccount1/bundles/sha256/ab"},
		{"escaped name", "AccountName=spotdeckdocs;AccountKey=" + key, "b-1/a b#.zip",
			"https://spotdeckdocs.blob.core.windows.net/bundles/b-1/a%20b%23.zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := storeFromConnString(tt.conn, "bundles")
			if err != nil {
				t.Fatal(err)
			}
			if got := store.blobURL(tt.blob); got != tt.want {
				t.Errorf("blobURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUploadOptionsDefaults(t *testing.T) {
	got, err := UploadOptions{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.Access != AccessIdentity || got.BlockSize != DefaultBlockSize ||
		got.Concurrency != DefaultUploadConcurrency {
		t.Errorf("defaults = access %q, block %d, concurrency %d", got.Access, got.BlockSize,
			got.Concurrency)
	}
}

func TestValidateContainer(t *testing.T) {
	tests := []struct {
		name  string
		valid bool
	}{
		{"bundles", true}, {"abc", true}, {"my-bundles-2", true},
		{strings.Repeat("a", 63), true}, {strings.Repeat("a", 64), false},
		{"ab", false}, {"Bundles", false}, {"-bundles", false}, {"bundles-", false},
		{"my--bundles", false}, {"my_bundles", false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validateContainer(tt.name); (err == nil) != tt.valid {
				t.Errorf("validateContainer(%q) = %v, want valid %t", tt.name, err, tt.valid)
			}
		})
	}
}

func TestPrepareSignerRefusesSASConnectionString(t *testing.T) {
	store, err := storeFromConnString("BlobEndpoint=https://spotdeckdocs.blob.core.windows.net;"+
		"SharedAccessSignature=sv=2025-01-05&sig=secret", "bundles")
	if err != nil {
		t.Fatal(err)
	}
	u := &uploader{store: store, opts: UploadOptions{Access: AccessSAS}}
	err = u.prepareSigner(t.Context())
	if err == nil || !strings.Contains(err.Error(), "AccountKey") ||
		strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v, want a refusal that names AccountKey and hides the SAS", err)
	}
}

// TestEnsureContainerUnreachable checks that a blob service nobody answers at is reported
// as such, not as a missing role.
func TestEnsureContainerUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	endpoint := &url.URL{Scheme: "http", Host: addr, Path: "/devstoreaccount1"}
	noRetry := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: -1}}}
	client, err := container.NewClientWithNoCredential(endpoint.String()+"/bundles", noRetry)
	if err != nil {
		t.Fatal(err)
	}
	store := &blobStore{name: "bundles", endpoint: endpoint, container: client}
	err = store.ensureContainer(context.Background())
	if err == nil || !strings.Contains(err.Error(), "reach the blob service at "+addr) ||
		!strings.Contains(err.Error(), "BlobEndpoint") {
		t.Fatalf("err = %v, want one saying the service cannot be reached", err)
	}
}
