package azure

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"spotdeck/bundle"
)

func TestMaskSAS(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"signature last",
			"https://a.blob.core.windows.net/c/b?sv=2025-01-05&sp=r&sig=abc%2Bdef%3D",
			"https://a.blob.core.windows.net/c/b?sv=2025-01-05&sp=r&sig=REDACTED"},
		{"signature first", "https://h/c/b?sig=abc&se=2026-01-01",
			"https://h/c/b?sig=REDACTED&se=2026-01-01"},
		{"upper case", "https://h/c/b?SIG=abc", "https://h/c/b?SIG=REDACTED"},
		{"escaped inside another URL", "x?source=https%3A%2F%2Fh%2Fb%3Fsp%3Dr%26sig%3Dabc%2B",
			"x?source=https%3A%2F%2Fh%2Fb%3Fsp%3Dr%26sig%3DREDACTED"},
		{"in a sentence", `get "https://h/b?sp=r&sig=abc" failed`,
			`get "https://h/b?sp=r&sig=REDACTED" failed`},
		{"inside JSON", `{"u": "https://h/b?sp=r\u0026sig=abc%2B\u0026se=1"}`,
			`{"u": "https://h/b?sp=r\u0026sig=REDACTED\u0026se=1"}`},
		{"no SAS", "https://h/c/b", "https://h/c/b"},
		{"signature-like word", "https://h/c/design=1", "https://h/c/design=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskSAS(tt.in); got != tt.want {
				t.Errorf("MaskSAS(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSASValidity(t *testing.T) {
	tests := []struct {
		name       string
		asked      time.Duration
		accountKey bool
		want       time.Duration
		wantErr    string
	}{
		{"key default", 0, true, DefaultSASValidity, ""},
		{"delegation default", 0, false, MaxDelegationSASValidity, ""},
		{"key long", 90 * 24 * time.Hour, true, 90 * 24 * time.Hour, ""},
		{"delegation at limit", 168 * time.Hour, false, 168 * time.Hour, ""},
		{"delegation over limit", 169 * time.Hour, false, 0, "168h or less"},
		{"negative", -time.Hour, true, 0, "negative"},
		{"too short", 10 * time.Minute, true, 0, "1h or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sasValidity(tt.asked, tt.accountKey)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrSASValidity) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrSASValidity with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("sasValidity = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestReadLinkScope signs offline with an account key and checks what the link allows.
func TestReadLinkScope(t *testing.T) {
	key := "a2V5LWZvci1zaWduaW5nLW9ubHktaW4tdGhpcy10ZXN0"
	tests := []struct {
		name, conn, wantProtocol string
	}{
		{"azure is https only", "AccountName=spotdeckdocs;AccountKey=" + key, "https"},
		{"loopback allows http", "AccountName=devstoreaccount1;AccountKey=" + key +
			";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1", "https,http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := storeFromConnString(tt.conn, "bundles")
			if err != nil {
				t.Fatal(err)
			}
			signer, err := newLinkSigner(context.Background(), store, 0, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			link, err := signer.readLink(store.blobURL("l/app.zip"), "bundles", "l/app.zip")
			if err != nil {
				t.Fatal(err)
			}
			q := parseQuery(t, link)
			for param, want := range map[string]string{"sp": "r", "sr": "b",
				"spr": tt.wantProtocol} {
				if got := q.Get(param); got != want {
					t.Errorf("%s = %q, want %q in %s", param, got, want, MaskSAS(link))
				}
			}
			expiry, err := time.Parse(time.RFC3339, q.Get("se"))
			if err != nil || expiry.Sub(time.Now()) < DefaultSASValidity-time.Minute {
				t.Errorf("expiry %q, want about %s from now", q.Get("se"), DefaultSASValidity)
			}
		})
	}
}

func parseQuery(t *testing.T, link string) url.Values {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// TestSASLinksAgainstEmulator downloads every file of an uploaded bundle through its link
// with a plain HTTP GET, and checks that a tampered or expired link is refused.
func TestSASLinksAgainstEmulator(t *testing.T) {
	opts := testStorage(t)
	ctx := testContext(t)
	name := newTestContainer(t)
	b := writeTestBundle(t, t.TempDir(), "linked", bundleFiles(20, 21, 64<<10, 32<<10))
	res, err := UploadBundle(ctx, opts, b.dir, name, UploadOptions{Access: AccessSAS})
	if err != nil {
		t.Fatal(err)
	}
	if res.SASExpiry.Sub(time.Now()) < DefaultSASValidity-time.Minute {
		t.Errorf("SASExpiry = %s, want about %s from now", res.SASExpiry, DefaultSASValidity)
	}
	for fileName, data := range b.files {
		f, _ := res.File(fileName)
		status, body := httpGet(t, f.URL)
		if status != http.StatusOK || sha256Hex(body) != sha256Hex(data) {
			t.Errorf("%s: GET gave %d and %d bytes, want 200 and the file's bytes",
				fileName, status, len(body))
		}
	}
	manifest, _ := res.File(bundle.ManifestName)
	refused := []struct {
		what, link string
		// private tells that any refusal will do: Azure answers an anonymous read of a
		// private container with 404, the emulator with 403.
		private bool
	}{
		{"tampered", strings.Replace(manifest.URL, "sig=", "sig=AAAA", 1), false},
		{"expired", expiredLink(t, opts, name, manifest.Blob), false},
		{"without SAS", strings.Split(manifest.URL, "?")[0], true},
	}
	for _, tt := range refused {
		t.Run(tt.what, func(t *testing.T) {
			status, _ := httpGet(t, tt.link)
			if status != http.StatusForbidden && !(tt.private && status == http.StatusNotFound) {
				t.Errorf("GET with a %s link gave %d, want 403", tt.what, status)
			}
		})
	}
}

// expiredLink signs a link whose validity ended an hour ago.
func expiredLink(t *testing.T, opts StorageOptions, containerName, blobName string) string {
	t.Helper()
	store, err := openBlobStore(opts, containerName)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := newLinkSigner(context.Background(), store, time.Hour,
		time.Now().Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	link, err := signer.readLink(store.blobURL(blobName), containerName, blobName)
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// httpGet fetches a link the way an instance would, with no credential but the link.
func httpGet(t *testing.T, link string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatalf("GET %s: %v", MaskSAS(link), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", MaskSAS(link), err)
	}
	return resp.StatusCode, body
}
