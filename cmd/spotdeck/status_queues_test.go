package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spotdeck/azure/storagetest"
)

// TestStatusJSONQueuesFromSimAndAzurite reads the fleet from a `spotdeck sim` process and
// the queue depths from real queues on Azurite, as an operator's `status -o json` does:
// each depth must be the number of messages put there.
func TestStatusJSONQueuesFromSimAndAzurite(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	prefix := fmt.Sprintf("st%x", time.Now().UnixNano())
	orders, billing := prefix+"-orders", prefix+"-billing"
	storagetest.CreateQueue(t, conn, orders, 5)
	storagetest.CreateQueue(t, conn, orders+"-poison", 2)
	storagetest.CreateQueue(t, conn, billing, 0)

	endpoint, sub := startSim(t, "50")
	configPath := filepath.Join(t.TempDir(), "config.yaml")
	config := fmt.Sprintf("storage:\n  connectionString: %q\nqueues: [%s, %s]\n", conn,
		orders, billing)
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runSpotdeck(t, "status", "-o", "json", "--config", configPath,
		"--arm-endpoint", endpoint, "--subscription", sub)
	if code != 0 {
		t.Fatalf("status exited %d: %s", code, stderr)
	}
	var doc struct {
		Queues []struct {
			Name             string `json:"name"`
			ApproximateCount *int64 `json:"approximateCount"`
			Poison           bool   `json:"poison"`
		} `json:"queues"`
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("status -o json is not JSON: %v\n%s", err, stdout)
	}
	want := []struct {
		name   string
		count  int64
		poison bool
	}{{orders, 5, false}, {orders + "-poison", 2, true}, {billing, 0, false},
		{billing + "-poison", 0, true}}
	if len(doc.Queues) != len(want) {
		t.Fatalf("queues = %+v, want %d rows", doc.Queues, len(want))
	}
	for i, w := range want {
		q := doc.Queues[i]
		if q.Name != w.name || q.Poison != w.poison || q.ApproximateCount == nil ||
			*q.ApproximateCount != w.count {
			t.Errorf("queue %d = %+v (count %v), want %s with %d, poison %t", i, q,
				q.ApproximateCount, w.name, w.count, w.poison)
		}
	}
	if doc.Events == nil {
		t.Error("status -o json has no events list")
	}
}

// TestStatusWithABadConnectionStringStillShowsTheFleet: a storage setting that cannot be
// used is a message on each queue row, not a failed status.
func TestStatusWithABadConnectionStringStillShowsTheFleet(t *testing.T) {
	endpoint, sub := startSim(t, "50")
	configPath := filepath.Join(t.TempDir(), "config.yaml")
	config := "storage:\n  connectionString: garbage\nqueues: [orders]\n"
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runSpotdeck(t, "status", "-o", "json", "--config", configPath,
		"--arm-endpoint", endpoint, "--subscription", sub)
	if code != 0 {
		t.Fatalf("status exited %d: %s", code, stderr)
	}
	var doc struct {
		ScaleSets []json.RawMessage `json:"scaleSets"`
		Queues    []struct {
			Name  string  `json:"name"`
			Error *string `json:"error"`
		} `json:"queues"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("status -o json is not JSON: %v\n%s", err, stdout)
	}
	if len(doc.ScaleSets) == 0 {
		t.Error("no scale sets: a bad connection string hid the fleet")
	}
	if len(doc.Queues) != 2 {
		t.Fatalf("queues = %+v, want orders and orders-poison", doc.Queues)
	}
	for _, q := range doc.Queues {
		if q.Error == nil || !strings.Contains(*q.Error, "connection string is not valid") ||
			!strings.Contains(*q.Error, configPath) {
			t.Errorf("queue %s error %v, want the connection string problem and the file",
				q.Name, q.Error)
		}
	}
	if stderr != "" {
		t.Errorf("status wrote to stderr although it succeeded: %q", stderr)
	}
}
