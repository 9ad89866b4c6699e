package azure

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"spotdeck/azure/storagetest"
)

// auditContainer returns the emulator's options and a container name no other test uses;
// the container does not exist yet.
func auditContainer(t *testing.T) (StorageOptions, string) {
	t.Helper()
	conn := storagetest.ConnectionString(t)
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatal(err)
	}
	return StorageOptions{ConnectionString: conn}, "audit-" + hex.EncodeToString(suffix[:])
}

func auditBlobContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestAuditBlobsAppendAndReadOnAzurite(t *testing.T) {
	opts, container := auditContainer(t)
	blobs, err := NewAuditBlobs(opts, container)
	if err != nil {
		t.Fatalf("NewAuditBlobs: %v", err)
	}
	ctx := auditBlobContext(t)
	empty, err := blobs.ReadDay(ctx, "2026-12-03")
	if err != nil || empty != nil {
		t.Fatalf("ReadDay before any append = %q, %v; want nothing (container missing)",
			empty, err)
	}
	first := []byte(`{"id":"1","action":"restart"}` + "\n")
	second := []byte(`{"id":"2","action":"scale"}` + "\n")
	other := []byte(`{"id":"3","action":"delete"}` + "\n")
	for _, step := range []struct {
		day  string
		line []byte
	}{{"2026-12-03", first}, {"2026-12-03", second}, {"2026-12-04", other}} {
		if err := blobs.Append(ctx, step.day, step.line); err != nil {
			t.Fatalf("Append %s: %v", step.day, err)
		}
	}
	day, err := blobs.ReadDay(ctx, "2026-12-03")
	if err != nil {
		t.Fatalf("ReadDay: %v", err)
	}
	if want := append(append([]byte{}, first...), second...); !bytes.Equal(day, want) {
		t.Errorf("day blob = %q, want %q", day, want)
	}
	if next, _ := blobs.ReadDay(ctx, "2026-12-04"); !bytes.Equal(next, other) {
		t.Errorf("next day's blob = %q, want %q", next, other)
	}
	if blobs.store.blobURL("audit/2026-12-03.jsonl") == "" {
		t.Error("the day's blob has no URL")
	}
}

// TestAuditBlobsConcurrentFirstAppends starts several consoles' first appends of the day
// at once: the blob must be created once and keep every line.
func TestAuditBlobsConcurrentFirstAppends(t *testing.T) {
	opts, container := auditContainer(t)
	ctx := auditBlobContext(t)
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			blobs, err := NewAuditBlobs(opts, container)
			if err == nil {
				err = blobs.Append(ctx, "2026-12-05", []byte(fmt.Sprintf("line %d\n", i)))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Append: %v", err)
		}
	}
	blobs, _ := NewAuditBlobs(opts, container)
	day, err := blobs.ReadDay(ctx, "2026-12-05")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(day), "\n"); n != writers {
		t.Errorf("day blob holds %d lines, want %d:\n%s", n, writers, day)
	}
}

func TestAuditBlobsRejectBadInput(t *testing.T) {
	blobs, err := NewAuditBlobs(StorageOptions{ConnectionString: "UseDevelopmentStorage=true"},
		"audit")
	if err != nil {
		t.Fatalf("NewAuditBlobs: %v", err)
	}
	ctx := context.Background()
	tests := []struct {
		name, day string
		line      []byte
		want      string
	}{
		{"path in day", "../bundles/x", []byte("x\n"), "YYYY-MM-DD"},
		{"not a date", "2026-13-01", []byte("x\n"), "YYYY-MM-DD"},
		{"empty line", "2026-12-03", nil, "cannot be appended"},
		{"line too long", "2026-12-03", make([]byte, maxAuditAppend+1), "cannot be appended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := blobs.Append(ctx, tt.day, tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Append err = %v, want it to say %q", err, tt.want)
			}
		})
	}
	if _, err := blobs.ReadDay(ctx, "yesterday"); err == nil {
		t.Error("ReadDay accepted a day that is not a date")
	}
	if _, err := NewAuditBlobs(StorageOptions{ConnectionString: "UseDevelopmentStorage=true"},
		"Bad_Name"); err == nil {
		t.Error("NewAuditBlobs accepted an invalid container name")
	}
}

func TestAuditBlobsFailureKeepsTheKeyOut(t *testing.T) {
	// A storage endpoint that refuses the key; the error must name the target but not
	// the key.
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("x-ms-error-code", "AuthenticationFailed")
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(refusing.Close)
	conn := "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
		devStorageKey + ";BlobEndpoint=" + refusing.URL + "/devstoreaccount1;"
	blobs, err := NewAuditBlobs(StorageOptions{ConnectionString: conn}, "audit")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = blobs.Append(ctx, "2026-12-03", []byte("x\n"))
	if err == nil {
		t.Fatal("Append to a refusing endpoint succeeded")
	}
	assertContainsAll(t, "error", err.Error(), "audit/2026-12-03.jsonl", "container audit",
		"AuthenticationFailed")
	if strings.Contains(err.Error(), devStorageKey) {
		t.Errorf("error %q holds the account key", err)
	}
}
