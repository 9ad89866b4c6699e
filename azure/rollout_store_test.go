package azure

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"spotdeck/azure/storagetest"
)

func openTestRolloutStore(t *testing.T, container string) *RolloutStore {
	t.Helper()
	conn := storagetest.ConnectionString(t)
	store, err := OpenRolloutStore(StorageOptions{ConnectionString: conn}, container,
		t.TempDir())
	if err != nil {
		t.Fatalf("open the rollout store: %v", err)
	}
	if err := store.blobs.ensureContainer(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store
}

func TestRolloutStoreSaveLoad(t *testing.T) {
	ctx := context.Background()
	store := openTestRolloutStore(t, "rollout-records")
	r := Rollout{ID: "1", ScaleSet: "vmss-a", ResourceGroup: "rg", Label: "v8",
		State: RolloutChecking, Updated: time.Now().UTC(),
		Batches: []RolloutBatch{{Index: 1, Instances: []RolloutInstance{{ID: "0",
			State: InstanceHealthy}}}}}
	if err := store.Save(ctx, r); err != nil {
		t.Fatalf("save: %v", err)
	}
	// Another machine sees the record through the container alone.
	other, err := OpenRolloutStore(StorageOptions{ConnectionString: storagetest.
		ConnectionString(t)}, "rollout-records", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := other.Load(ctx, "rg", "vmss-a")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if got.State != RolloutChecking || len(got.Batches) != 1 || got.Label != "v8" {
		t.Errorf("loaded %+v, want the saved record", got)
	}
	summaries, err := other.Summaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := summaries[RolloutKey("rg", "vmss-a")]; s.State != RolloutChecking || s.Batch != 1 {
		t.Errorf("summary %+v, want checking in batch 1", s)
	}
	if _, err := other.Load(ctx, "rg", "nothing"); !errors.Is(err, ErrNoRollout) {
		t.Errorf("load of a missing record: %v, want ErrNoRollout", err)
	}
}

func TestRolloutLock(t *testing.T) {
	ctx := context.Background()
	store := openTestRolloutStore(t, "rollout-locks")
	first := NewLeaseID()
	lock, err := store.Lock(ctx, "rg", "vmss-b", first, "alice@host1")
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	_, err = store.Lock(ctx, "rg", "vmss-b", NewLeaseID(), "bob@host2")
	if !errors.Is(err, ErrRolloutLocked) || !strings.Contains(err.Error(), "alice@host1") ||
		!strings.Contains(err.Error(), "since") {
		t.Fatalf("second operator got %v, want a lock error naming alice and since when", err)
	}
	// Another process is refused even with the rollout's own lease ID while the lease
	// lives: it would drive the rollout a second time.
	saved := thisProcess
	thisProcess = NewLeaseID()
	_, err = store.Lock(ctx, "rg", "vmss-b", first, "alice@host3")
	thisProcess = saved
	if !errors.Is(err, ErrRolloutLocked) || !strings.Contains(err.Error(), "being driven") {
		t.Fatalf("another process with the same lease ID got %v, want a lock error", err)
	}
	// This process takes its own lock back, as after a pause.
	again, err := store.Lock(ctx, "rg", "vmss-b", first, "alice@host1")
	if err != nil {
		t.Fatalf("relock with the same ID: %v", err)
	}
	lock.Stop()
	if err := again.Release(ctx); err != nil {
		t.Fatalf("release: %v", err)
	}
	next, err := store.Lock(ctx, "rg", "vmss-b", NewLeaseID(), "bob@host2")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	if err := next.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRolloutStoreBundleChecks(t *testing.T) {
	ctx := context.Background()
	store := openTestRolloutStore(t, "rollout-bundles")
	_, err := store.ReadManifest(ctx, "v404")
	if err == nil || !strings.Contains(err.Error(), "has no manifest") {
		t.Errorf("missing manifest: %v", err)
	}
	_, _, err = store.FileLinks(ctx, "v404", []string{"host.zip"}, AccessSAS, 0)
	if err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Errorf("missing file: %v", err)
	}
}
