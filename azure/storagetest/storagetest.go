// Package storagetest gives tests the storage emulator to run against.
package storagetest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"
)

// EnvVar names the variable that scripts/test.sh sets to the running Azurite's full
// connection string.
const EnvVar = "SPOTDECK_TEST_STORAGE"

// ConnectionString returns the connection string of the test storage emulator. Without one
// the test is skipped, except in CI (CI=true), where a missing emulator must fail the run
// rather than pass it silently.
func ConnectionString(t testing.TB) string {
	t.Helper()
	conn := os.Getenv(EnvVar)
	if conn != "" {
		return conn
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set in CI: run the tests through scripts/test.sh", EnvVar)
	}
	t.Skipf("%s is not set: start Azurite: run scripts/test.sh", EnvVar)
	return ""
}

// CreateQueue creates a queue on the emulator holding count messages, and deletes it when
// the test ends. Every test of the project shares one emulator: give names unique to the
// run.
func CreateQueue(t testing.TB, conn, name string, count int) {
	t.Helper()
	ctx := context.Background()
	service, err := azqueue.NewServiceClientFromConnectionString(conn, nil)
	if err != nil {
		t.Fatalf("emulator client: %v", err)
	}
	if _, err := service.CreateQueue(ctx, name, nil); err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	t.Cleanup(func() { _, _ = service.DeleteQueue(context.Background(), name, nil) })
	queue := service.NewQueueClient(name)
	for i := range count {
		if _, err := queue.EnqueueMessage(ctx, fmt.Sprint(i), nil); err != nil {
			t.Fatalf("enqueue to %s: %v", name, err)
		}
	}
}
