package azure

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPoisonTwin(t *testing.T) {
	name56 := strings.Repeat("a", 56)
	tests := []struct {
		name     string
		wantTwin string
		wantOK   bool
	}{
		{"orders", "orders-poison", true},
		{"orders-poison", "", false},
		{name56, name56 + "-poison", true},
		{name56 + "b", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			twin, ok := PoisonTwin(tt.name)
			if twin != tt.wantTwin || ok != tt.wantOK {
				t.Errorf("PoisonTwin(%q) = %q, %t; want %q, %t", tt.name, twin, ok,
					tt.wantTwin, tt.wantOK)
			}
			if ok && len(twin) > maxQueueName {
				t.Errorf("twin %q is longer than Azure allows", twin)
			}
		})
	}
}

func TestWatchedQueues(t *testing.T) {
	long := strings.Repeat("q", 60)
	tests := []struct {
		name   string
		queues []string
		want   []string // names, a trailing "!" marks a poison row
	}{
		{"each queue then its twin", []string{"orders", "billing"},
			[]string{"orders", "orders-poison!", "billing", "billing-poison!"}},
		{"twin listed too is read once", []string{"orders", "orders-poison"},
			[]string{"orders", "orders-poison!"}},
		{"poison queue alone has no twin", []string{"orders-poison"},
			[]string{"orders-poison!"}},
		{"blank and padded names", []string{" orders ", "", "orders"},
			[]string{"orders", "orders-poison!"}},
		{"too long for a twin", []string{long}, []string{long}},
		{"nothing configured", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, row := range WatchedQueues(tt.queues) {
				label := row.Name
				if row.Poison {
					label += "!"
				}
				got = append(got, label)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckQueueName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string
	}{
		{"orders", ""},
		{"a1-b2", ""},
		{strings.Repeat("a", 63), ""},
		{"ab", "3 to 63"},
		{strings.Repeat("a", 64), "3 to 63"},
		{"Orders", `use "orders"`},
		{"orders_v2", "only lower-case letters, digits and hyphens"},
		{"-orders", "start and end"},
		{"orders-", "start and end"},
		{"or--ders", "two hyphens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkQueueName(tt.name)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("rejected a valid name: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadQueueName) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want ErrBadQueueName mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// queueServiceStub answers Get Queue Metadata for an account "stubacct" the way the
// storage service does, from a table of queue name to status, error code and count. It
// counts the requests per queue.
type queueServiceStub struct {
	answers map[string]stubAnswer
	mu      sync.Mutex
	hits    map[string]int
}

type stubAnswer struct {
	status int
	code   string
	count  string // the count header; "" leaves it out
	stall  bool   // answer only when the client gives up
}

func (s *queueServiceStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/stubacct/")
	s.mu.Lock()
	s.hits[name]++
	s.mu.Unlock()
	if r.Method != http.MethodGet || r.URL.Query().Get("comp") != "metadata" {
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	answer, ok := s.answers[name]
	if !ok {
		answer = stubAnswer{status: http.StatusNotFound, code: "QueueNotFound"}
	}
	if answer.stall {
		<-r.Context().Done()
		return
	}
	if answer.code != "" {
		w.Header().Set("x-ms-error-code", answer.code)
	}
	if answer.count != "" {
		w.Header().Set(countHeader, answer.count)
	}
	w.WriteHeader(answer.status)
}

// stubReader serves the stub and returns a reader of it, signed with a shared key.
func stubReader(t *testing.T, stub *queueServiceStub) *QueueReader {
	t.Helper()
	stub.hits = map[string]int{}
	server := httptest.NewServer(stub)
	t.Cleanup(server.Close)
	reader, err := NewQueueReader(StorageOptions{ConnectionString: "AccountName=stubacct;" +
		"AccountKey=" + fakeAccountKey + ";QueueEndpoint=" + server.URL + "/stubacct"})
	if err != nil {
		t.Fatalf("NewQueueReader: %v", err)
	}
	return reader
}

func TestDepthsReportsEachRow(t *testing.T) {
	stub := &queueServiceStub{answers: map[string]stubAnswer{
		"deep":              {status: http.StatusOK, count: "5000000000"},
		"deep-poison":       {status: http.StatusOK, count: "3"},
		"locked":            {status: http.StatusForbidden, code: "AuthenticationFailed"},
		"locked-poison":     {status: http.StatusForbidden, code: "AuthenticationFailed"},
		"firewalled":        {status: http.StatusForbidden, code: "AuthorizationFailure"},
		"firewalled-poison": {status: http.StatusForbidden, code: "AuthorizationFailure"},
		"broken":            {status: http.StatusServiceUnavailable, code: "ServerBusy"},
		"broken-poison":     {status: http.StatusOK, count: "0"},
		"nocount-poison":    {status: http.StatusOK},
	}}
	reader := stubReader(t, stub)
	fixed := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	reader.now = func() time.Time { return fixed }
	queues := []string{"deep", "missing", "locked", "firewalled", "broken", "nocount-poison",
		"Bad_Name"}
	rows := reader.Depths(context.Background(), queues)

	tests := []struct {
		name       string
		wantCount  int64 // -1: no count
		notCreated bool
		wantKind   error
		wantText   string
	}{
		{name: "deep", wantCount: 5000000000},
		{name: "deep-poison", wantCount: 3},
		{name: "missing", wantCount: -1, wantKind: ErrQueueNotFound, wantText: `queue ` +
			`"missing" does not exist in account "stubacct" — check the name in the config`},
		{name: "missing-poison", wantCount: 0, notCreated: true},
		{name: "locked", wantCount: -1, wantKind: ErrQueueAccessDenied,
			wantText: "account key was refused"},
		{name: "locked-poison", wantCount: -1, wantKind: ErrQueueAccessDenied,
			wantText: "403 AuthenticationFailed"},
		{name: "firewalled", wantCount: -1, wantKind: ErrQueueAccessDenied,
			wantText: "network rules"},
		{name: "firewalled-poison", wantCount: -1, wantKind: ErrQueueAccessDenied,
			wantText: "network rules"},
		{name: "broken", wantCount: -1, wantText: "503 ServerBusy — the storage service " +
			"failed to answer"},
		{name: "broken-poison", wantCount: 0},
		{name: "nocount-poison", wantCount: -1, wantText: "without a valid " + countHeader},
		{name: "Bad_Name", wantCount: -1, wantKind: ErrBadQueueName, wantText: "lower case"},
	}
	if len(rows) != len(tests) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(tests), rows)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertRow(t, rows[i], tt.name, tt.wantCount, tt.wantKind, tt.wantText)
			if rows[i].NotCreated != tt.notCreated {
				t.Errorf("NotCreated = %t, want %t", rows[i].NotCreated, tt.notCreated)
			}
			if !rows[i].ReadAt.Equal(fixed) {
				t.Errorf("ReadAt = %v, want the reader's clock %v", rows[i].ReadAt, fixed)
			}
		})
	}
}

// assertRow checks one row's name, count (-1 for none) and error.
func assertRow(t *testing.T, row QueueDepth, name string, count int64, kind error,
	text string) {
	t.Helper()
	if row.Name != name {
		t.Fatalf("row %q, want %q", row.Name, name)
	}
	if row.Poison != strings.HasSuffix(name, PoisonSuffix) {
		t.Errorf("Poison = %t for %q", row.Poison, name)
	}
	switch {
	case count < 0 && row.ApproximateCount != nil:
		t.Errorf("count = %d, want none", *row.ApproximateCount)
	case count >= 0 && (row.ApproximateCount == nil || *row.ApproximateCount != count):
		t.Errorf("count = %v (err %v), want %d", row.ApproximateCount, row.Err, count)
	}
	if text == "" {
		if row.Err != nil {
			t.Errorf("unexpected error: %v", row.Err)
		}
		return
	}
	if row.Err == nil || !strings.Contains(row.Err.Error(), text) {
		t.Errorf("error = %v, want it to contain %q", row.Err, text)
		return
	}
	if kind != nil && !errors.Is(row.Err, kind) {
		t.Errorf("error %v is not %v", row.Err, kind)
	}
	assertNoSecret(t, row.Err.Error())
}

func TestDepthsMakesOneCallPerQueue(t *testing.T) {
	stub := &queueServiceStub{answers: map[string]stubAnswer{
		"orders":         {status: http.StatusOK, count: "12"},
		"orders-poison":  {status: http.StatusOK, count: "1"},
		"billing":        {status: http.StatusServiceUnavailable, code: "ServerBusy"},
		"billing-poison": {status: http.StatusInternalServerError, code: "InternalError"},
	}}
	reader := stubReader(t, stub)
	for refresh := 1; refresh <= 3; refresh++ {
		rows := reader.Depths(context.Background(), []string{"orders", "billing"})
		if want := int64(refresh * len(rows)); reader.Calls() != want {
			t.Fatalf("after refresh %d: %d calls, want %d", refresh, reader.Calls(), want)
		}
	}
	for name, hits := range stub.hits {
		if hits != 3 {
			t.Errorf("queue %s got %d requests in 3 refreshes; errors must not be retried",
				name, hits)
		}
	}
}

func TestDepthsWhenTheServiceIsUnreachable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	endpoint := closed.URL + "/stubacct"
	closed.Close()
	stalling := &queueServiceStub{answers: map[string]stubAnswer{"slow-poison": {stall: true}}}
	tests := []struct {
		name     string
		conn     func(t *testing.T) string
		timeout  time.Duration
		wantText string
	}{
		{"nothing listens", func(*testing.T) string {
			return "QueueEndpoint=" + endpoint + ";SharedAccessSignature=sv=1&sig=" +
				fakeSASSignature
		}, time.Minute, "is the storage emulator (Azurite) running"},
		{"no answer in time", func(t *testing.T) string {
			stalling.hits = map[string]int{}
			server := httptest.NewServer(stalling)
			t.Cleanup(server.Close)
			return "QueueEndpoint=" + server.URL + "/stubacct;SharedAccessSignature=sig=" +
				fakeSASSignature
		}, 200 * time.Millisecond, "did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader, err := NewQueueReader(StorageOptions{ConnectionString: tt.conn(t)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			rows := reader.Depths(ctx, []string{"slow-poison"})
			assertRow(t, rows[0], "slow-poison", -1, ErrQueueUnreachable, tt.wantText)
		})
	}
}

func TestDeniedHintNamesTheFix(t *testing.T) {
	tests := []struct {
		auth authKind
		code string
		want []string
	}{
		{authEntra, "AuthorizationPermissionMismatch",
			[]string{`grant Storage Queue Data Reader on account "acct1"`}},
		{authEntra, "AuthorizationFailure",
			[]string{"Storage Queue Data Reader", "network rules"}},
		{authSharedKey, "AuthenticationFailed", []string{"Access keys"}},
		{authSharedKey, "AuthorizationFailure", []string{"network rules"}},
		{authSAS, "AuthenticationFailed", []string{"not expired", "read (r)"}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			reader := &QueueReader{account: "acct1", auth: tt.auth}
			hint := reader.deniedHint(tt.code)
			for _, want := range tt.want {
				if !strings.Contains(hint, want) {
					t.Errorf("hint %q lacks %q", hint, want)
				}
			}
		})
	}
}

func TestNewQueueReaderChecksOptions(t *testing.T) {
	tests := []struct {
		name     string
		opts     StorageOptions
		wantKind error
		wantText string
	}{
		{"nothing set", StorageOptions{}, nil, "no storage account"},
		{"malformed connection string", StorageOptions{ConnectionString: "AccountName=" +
			"acct1;QueueEndpoint=http://127.0.0.1:1/acct1"}, ErrBadConnectionString,
			"neither AccountKey nor SharedAccessSignature"},
		{"connection string for blobs only", StorageOptions{ConnectionString: "BlobEndpoint=" +
			"https://acct1.blob.core.windows.net;SharedAccessSignature=sig=" + fakeSASSignature},
			ErrBadConnectionString, "no queue service"},
		{"bad account name", StorageOptions{Account: "My_Account"}, nil, "My_Account"},
		{"untrusted endpoint", StorageOptions{QueueEndpoint: "https://queues.example.com"},
			ErrUntrustedEndpoint, "queues.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewQueueReader(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantText)
			}
			if tt.wantKind != nil && !errors.Is(err, tt.wantKind) {
				t.Errorf("error %v is not %v", err, tt.wantKind)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestNewQueueReaderPicksTheEndpoint(t *testing.T) {
	tests := []struct {
		name                  string
		opts                  StorageOptions
		endpoint, account     string
		auth                  authKind
		wantLoopback, withKey bool
	}{
		{name: "account signs in with Entra", opts: StorageOptions{Account: "acct1"},
			endpoint: "https://acct1.queue.core.windows.net", account: "acct1", auth: authEntra},
		{name: "sovereign endpoint", opts: StorageOptions{
			QueueEndpoint: "https://acct2.queue.core.usgovcloudapi.net/"},
			endpoint: "https://acct2.queue.core.usgovcloudapi.net", account: "acct2",
			auth: authEntra},
		{name: "emulator shortcut", opts: StorageOptions{ConnectionString: "UseDevelopment" +
			"Storage=true", Account: "ignored"},
			endpoint: "http://127.0.0.1:10001/devstoreaccount1", account: "devstoreaccount1",
			auth: authSharedKey, wantLoopback: true},
		{name: "signature keeps its query out of messages", opts: StorageOptions{
			ConnectionString: "QueueEndpoint=https://acct3.queue.core.windows.net;" +
				"SharedAccessSignature=sig=" + fakeSASSignature},
			endpoint: "https://acct3.queue.core.windows.net", account: "acct3", auth: authSAS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader, err := NewQueueReader(tt.opts)
			if err != nil {
				t.Fatalf("NewQueueReader: %v", err)
			}
			if reader.endpoint != tt.endpoint || reader.account != tt.account ||
				reader.auth != tt.auth || reader.loopback != tt.wantLoopback {
				t.Errorf("endpoint %q account %q auth %d loopback %t; want %q %q %d %t",
					reader.endpoint, reader.account, reader.auth, reader.loopback,
					tt.endpoint, tt.account, tt.auth, tt.wantLoopback)
			}
			if reader.Calls() != 0 {
				t.Errorf("NewQueueReader made %d calls, want none", reader.Calls())
			}
		})
	}
}

func TestUnreadableDepths(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	_, cause := ParseConnectionString("AccountName=acct1")
	rows := UnreadableDepths([]string{"orders", "jobs-poison"}, cause, at)
	want := []string{"orders", "orders-poison", "jobs-poison"}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, row := range rows {
		t.Run(want[i], func(t *testing.T) {
			assertRow(t, row, want[i], -1, ErrBadConnectionString, "AccountKey")
			if !row.ReadAt.Equal(at) {
				t.Errorf("ReadAt = %v, want %v", row.ReadAt, at)
			}
		})
	}
}
