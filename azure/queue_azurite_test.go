package azure_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"spotdeck/azure"
	"spotdeck/azure/storagetest"
)

// otherKey is a valid base64 key that is not the emulator's.
const otherKey = "b3RoZXIta2V5LXRoYXQtaXMtbm90LXRoZS1lbXVsYXRvcnM="

// queueFixture creates queues on the emulator with the given number of messages each and
// deletes them when the test ends. Names get a prefix unique to the run, because every
// test of the project shares one emulator.
type queueFixture struct {
	t       *testing.T
	service *azqueue.ServiceClient
	prefix  string
}

func newQueueFixture(t *testing.T, conn string) *queueFixture {
	t.Helper()
	service, err := azqueue.NewServiceClientFromConnectionString(conn, nil)
	if err != nil {
		t.Fatalf("emulator client: %v", err)
	}
	return &queueFixture{t: t, service: service,
		prefix: fmt.Sprintf("t%x", time.Now().UnixNano())}
}

// name returns the queue name of the run for a short name.
func (f *queueFixture) name(short string) string {
	return f.prefix + "-" + short
}

// create makes the queue and puts count messages in it.
func (f *queueFixture) create(short string, count int) {
	f.t.Helper()
	ctx := context.Background()
	name := f.name(short)
	if _, err := f.service.CreateQueue(ctx, name, nil); err != nil {
		f.t.Fatalf("create queue %s: %v", name, err)
	}
	f.t.Cleanup(func() { _, _ = f.service.DeleteQueue(context.Background(), name, nil) })
	f.put(short, count)
}

// put adds count messages to a queue made by create.
func (f *queueFixture) put(short string, count int) {
	f.t.Helper()
	queue := f.service.NewQueueClient(f.name(short))
	for i := range count {
		if _, err := queue.EnqueueMessage(context.Background(), fmt.Sprint(i), nil); err != nil {
			f.t.Fatalf("enqueue to %s: %v", f.name(short), err)
		}
	}
}

func TestDepthsAgainstAzurite(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	fixture := newQueueFixture(t, conn)
	fixture.create("orders", 7)
	fixture.create("orders-poison", 2)
	fixture.create("billing", 0)
	reader, err := azure.NewQueueReader(azure.StorageOptions{ConnectionString: conn})
	if err != nil {
		t.Fatalf("NewQueueReader: %v", err)
	}
	queues := []string{fixture.name("orders"), fixture.name("billing"), fixture.name("missing")}
	rows := reader.Depths(context.Background(), queues)

	tests := []struct {
		short      string
		count      int64 // -1: none
		notCreated bool
		wantErr    string
	}{
		{short: "orders", count: 7},
		{short: "orders-poison", count: 2},
		{short: "billing", count: 0},
		{short: "billing-poison", count: 0, notCreated: true},
		{short: "missing", count: -1, wantErr: fmt.Sprintf("queue %q does not exist in "+
			"account \"devstoreaccount1\" — check the name in the config",
			fixture.name("missing"))},
		{short: "missing-poison", count: 0, notCreated: true},
	}
	if len(rows) != len(tests) {
		t.Fatalf("got %d rows, want %d", len(rows), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.short, func(t *testing.T) {
			row := rows[i]
			checkAzuriteRow(t, row, fixture.name(tt.short), tt.count, tt.wantErr)
			if row.NotCreated != tt.notCreated {
				t.Errorf("NotCreated = %t, want %t", row.NotCreated, tt.notCreated)
			}
			if tt.wantErr != "" && !errors.Is(row.Err, azure.ErrQueueNotFound) {
				t.Errorf("error %v is not ErrQueueNotFound", row.Err)
			}
		})
	}
	if reader.Calls() != int64(len(rows)) {
		t.Errorf("%d storage calls for %d rows, want one per row", reader.Calls(), len(rows))
	}
}

// checkAzuriteRow checks a row's name, its count (-1 for none) and its error.
func checkAzuriteRow(t *testing.T, row azure.QueueDepth, name string, count int64,
	wantErr string) {
	t.Helper()
	if row.Name != name {
		t.Fatalf("row %q, want %q", row.Name, name)
	}
	if row.Poison != strings.HasSuffix(name, "-poison") {
		t.Errorf("Poison = %t", row.Poison)
	}
	switch {
	case count < 0 && row.ApproximateCount != nil:
		t.Errorf("count = %d, want none", *row.ApproximateCount)
	case count >= 0 && (row.ApproximateCount == nil || *row.ApproximateCount != count):
		t.Errorf("count = %v (error %v), want %d", row.ApproximateCount, row.Err, count)
	}
	if wantErr == "" && row.Err != nil {
		t.Errorf("unexpected error: %v", row.Err)
	}
	if wantErr != "" && (row.Err == nil || !strings.Contains(row.Err.Error(), wantErr)) {
		t.Errorf("error = %v, want it to contain %q", row.Err, wantErr)
	}
	if row.ReadAt.IsZero() {
		t.Error("ReadAt is not set")
	}
}

func TestDepthsFollowTheQueueOnAzurite(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	fixture := newQueueFixture(t, conn)
	fixture.create("jobs", 0)
	fixture.create("jobs-poison", 0)
	reader, err := azure.NewQueueReader(azure.StorageOptions{ConnectionString: conn})
	if err != nil {
		t.Fatalf("NewQueueReader: %v", err)
	}
	steps := []struct {
		name            string
		put, putPoison  int
		want, wantTwins int64
	}{
		{"empty", 0, 0, 0, 0},
		{"work arrives", 25, 0, 25, 0},
		{"more work and a poison message", 10, 1, 35, 1},
	}
	for i, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			fixture.put("jobs", step.put)
			fixture.put("jobs-poison", step.putPoison)
			rows := reader.Depths(context.Background(), []string{fixture.name("jobs")})
			checkAzuriteRow(t, rows[0], fixture.name("jobs"), step.want, "")
			checkAzuriteRow(t, rows[1], fixture.name("jobs-poison"), step.wantTwins, "")
			if want := int64(2 * (i + 1)); reader.Calls() != want {
				t.Errorf("%d calls after %d refreshes, want %d", reader.Calls(), i+1, want)
			}
		})
	}
}

func TestDepthsWithAWrongKeyOnAzurite(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	fixture := newQueueFixture(t, conn)
	fixture.create("locked", 3)
	parsed, err := azure.ParseConnectionString(conn)
	if err != nil {
		t.Fatalf("the test connection string does not parse: %v", err)
	}
	wrong := "AccountName=" + parsed.AccountName + ";AccountKey=" + otherKey +
		";QueueEndpoint=" + parsed.QueueEndpoint
	reader, err := azure.NewQueueReader(azure.StorageOptions{ConnectionString: wrong})
	if err != nil {
		t.Fatalf("NewQueueReader: %v", err)
	}
	rows := reader.Depths(context.Background(), []string{fixture.name("locked")})
	for _, row := range rows {
		t.Run(row.Name, func(t *testing.T) {
			checkAzuriteRow(t, row, row.Name, -1, "the account key was refused")
			if !errors.Is(row.Err, azure.ErrQueueAccessDenied) {
				t.Errorf("error %v is not ErrQueueAccessDenied", row.Err)
			}
			if strings.Contains(row.Err.Error(), otherKey) {
				t.Errorf("error leaks the key: %v", row.Err)
			}
		})
	}
}

// BenchmarkDepths measures one refresh of two queues and their twins against the
// emulator, and reports the storage calls each refresh makes.
func BenchmarkDepths(b *testing.B) {
	conn := storagetest.ConnectionString(b)
	service, err := azqueue.NewServiceClientFromConnectionString(conn, nil)
	if err != nil {
		b.Fatal(err)
	}
	prefix := fmt.Sprintf("b%x", time.Now().UnixNano())
	queues := []string{prefix + "-a", prefix + "-b"}
	for _, name := range queues {
		if _, err := service.CreateQueue(context.Background(), name, nil); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _, _ = service.DeleteQueue(context.Background(), name, nil) })
	}
	reader, err := azure.NewQueueReader(azure.StorageOptions{ConnectionString: conn})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		reader.Depths(context.Background(), queues)
	}
	b.ReportMetric(float64(reader.Calls())/float64(b.N), "calls/refresh")
}
