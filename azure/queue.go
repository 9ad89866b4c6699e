package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"
)

// Queue limits and defaults.
const (
	// PoisonSuffix is what the Functions host appends to a queue's name for the queue that
	// receives the messages it gave up on.
	PoisonSuffix = "-poison"
	// maxQueueName is Azure's limit on queue names.
	maxQueueName = 63
	// maxTwinnedName is the longest name that can still take PoisonSuffix.
	maxTwinnedName = maxQueueName - len(PoisonSuffix)
	// queueCallTimeout bounds one Get Queue Metadata call, so one slow queue cannot hold
	// back a refresh.
	queueCallTimeout = 15 * time.Second
	// queueParallelism bounds the calls in flight during one refresh.
	queueParallelism = 8
	// countHeader carries the approximate message count of Get Queue Metadata.
	countHeader = "x-ms-approximate-messages-count"
)

// Queue read failures, for errors.Is on QueueDepth.Err.
var (
	// ErrQueueNotFound means the queue does not exist in the account.
	ErrQueueNotFound = errors.New("azure: queue not found")
	// ErrQueueAccessDenied means the account refused the credential or the identity.
	ErrQueueAccessDenied = errors.New("azure: queue access denied")
	// ErrQueueUnreachable means the queue endpoint did not answer.
	ErrQueueUnreachable = errors.New("azure: queue endpoint unreachable")
	// ErrBadQueueName means a configured name breaks Azure's naming rules.
	ErrBadQueueName = errors.New("azure: invalid queue name")
)

// QueueDepth is one queue's reading.
type QueueDepth struct {
	Name string
	// Poison tells that this queue is a poison queue (its name ends in PoisonSuffix),
	// either the twin of a watched queue or named so in the config.
	Poison bool
	// ApproximateCount is the approximate number of messages, never lower than the truth;
	// nil when the queue could not be read.
	ApproximateCount *int64
	// NotCreated tells that a poison twin does not exist yet: the Functions host creates it
	// with the first poison message, so its count is zero and Err is nil.
	NotCreated bool
	// Err says why the queue could not be read, with the fix.
	Err    error
	ReadAt time.Time
}

// authKind is how a QueueReader proves who it is; error messages depend on it.
type authKind int

const (
	authSharedKey authKind = iota
	authSAS
	authEntra
)

// QueueReader reads the depth of queues of one storage account. It is safe for concurrent
// use.
type QueueReader struct {
	service  *azqueue.ServiceClient
	account  string
	endpoint string // without query, for messages
	auth     authKind
	loopback bool
	calls    atomic.Int64
	now      func() time.Time
}

// NewQueueReader checks the options and prepares a reader. It makes no network call; a
// wrong key or a missing role shows on each queue's row when Depths reads it.
func NewQueueReader(opts StorageOptions) (*QueueReader, error) {
	reader := &QueueReader{now: time.Now}
	clientOptions := reader.clientOptions()
	var err error
	if strings.TrimSpace(opts.ConnectionString) != "" {
		err = reader.connectWithString(opts.ConnectionString, clientOptions)
	} else {
		err = reader.connectWithEntra(opts, clientOptions)
	}
	if err != nil {
		return nil, err
	}
	return reader, nil
}

// clientOptions turns retries off, because the next refresh is the retry and the count
// of calls must stay one per queue, and counts every request that goes out.
func (r *QueueReader) clientOptions() *azqueue.ClientOptions {
	return &azqueue.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry:            policy.RetryOptions{MaxRetries: -1},
		PerRetryPolicies: []policy.Policy{callCounter{calls: &r.calls}},
	}}
}

// connectWithString makes a client from a connection string: shared key or SAS.
func (r *QueueReader) connectWithString(raw string, options *azqueue.ClientOptions) error {
	conn, err := ParseConnectionString(raw)
	if err != nil {
		return err
	}
	if conn.QueueEndpoint == "" {
		return connStringError("it names no AccountName or QueueEndpoint, so no queue " +
			"service")
	}
	endpoint, err := url.Parse(conn.QueueEndpoint)
	if err != nil {
		return connStringError("QueueEndpoint is not a URL")
	}
	r.setTarget(endpoint, conn.AccountName)
	if conn.AccountKey != "" {
		r.auth = authSharedKey
		return r.connectWithKey(conn, options)
	}
	r.auth = authSAS
	r.service, err = azqueue.NewServiceClientWithNoCredential(
		conn.QueueEndpoint+"/?"+conn.SharedAccessSignature, options)
	return err
}

func (r *QueueReader) connectWithKey(conn ConnString, options *azqueue.ClientOptions) error {
	key, err := azqueue.NewSharedKeyCredential(conn.AccountName, conn.AccountKey)
	if err != nil {
		return connStringError("AccountKey is not a valid key")
	}
	r.service, err = azqueue.NewServiceClientWithSharedKeyCredential(
		conn.QueueEndpoint+"/", key, options)
	return err
}

// connectWithEntra signs in with DefaultAzureCredential toward the account's endpoint,
// which must be an Azure Storage host or a loopback address.
func (r *QueueReader) connectWithEntra(opts StorageOptions, options *azqueue.ClientOptions) error {
	raw := strings.TrimSpace(opts.QueueEndpoint)
	account := strings.TrimSpace(opts.Account)
	if raw == "" && account == "" {
		return errors.New("no storage account for queues: set a connection string, " +
			"or the account name to sign in with Entra ID")
	}
	if raw == "" {
		if err := checkAccountName(account); err != nil {
			return fmt.Errorf("storage account %q is not a storage account name "+
				"(3 to 24 lower-case letters and digits)", account)
		}
		raw = "https://" + account + ".queue." + defaultSuffix
	}
	endpoint, azureCloud, err := storageSignInTarget("queue endpoint", raw)
	if err != nil {
		return err
	}
	r.setTarget(endpoint, account)
	r.auth = authEntra
	credential, err := newAzureCredential(azureCloud)
	if err != nil {
		return err
	}
	options.InsecureAllowCredentialWithHTTP = r.loopback && endpoint.Scheme == "http"
	r.service, err = azqueue.NewServiceClient(
		strings.TrimRight(endpoint.String(), "/")+"/", credential, options)
	return err
}

// setTarget keeps what messages say about the endpoint: the account (named, or read from
// the endpoint) and the endpoint without its query, where a SAS would be.
func (r *QueueReader) setTarget(endpoint *url.URL, account string) {
	r.endpoint = strings.TrimRight((&url.URL{Scheme: endpoint.Scheme, Host: endpoint.Host,
		Path: endpoint.Path}).String(), "/")
	r.loopback = isLoopbackHost(endpoint.Hostname())
	r.account = account
	if r.account == "" {
		r.account = accountOfEndpoint(endpoint)
	}
}

// Calls returns how many storage requests the reader has sent.
func (r *QueueReader) Calls() int64 {
	return r.calls.Load()
}

// Depths reads each queue and its poison twin with one Get Queue Metadata call each, in
// parallel. Rows come in the order of WatchedQueues; a queue that cannot be read carries
// its error while the others still report.
func (r *QueueReader) Depths(ctx context.Context, queues []string) []QueueDepth {
	rows := WatchedQueues(queues)
	limit := make(chan struct{}, queueParallelism)
	var wg sync.WaitGroup
	for i := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			limit <- struct{}{}
			defer func() { <-limit }()
			r.read(ctx, &rows[i])
		}()
	}
	wg.Wait()
	return rows
}

// read fills one row. The count is read from the response header as a 64-bit number
// rather than from azqueue's response, whose 32-bit field fails on deeper queues.
func (r *QueueReader) read(ctx context.Context, row *QueueDepth) {
	defer func() { row.ReadAt = r.now() }()
	if err := checkQueueName(row.Name); err != nil {
		row.Err = err
		return
	}
	ctx, cancel := context.WithTimeout(ctx, queueCallTimeout)
	defer cancel()
	var raw *http.Response
	ctx = policy.WithCaptureResponse(ctx, &raw)
	_, err := r.service.NewQueueClient(row.Name).GetProperties(ctx, nil)
	if raw != nil && raw.StatusCode == http.StatusOK {
		row.ApproximateCount, row.Err = r.countOf(row.Name, raw)
		return
	}
	if row.Poison && statusOf(err) == http.StatusNotFound {
		zero := int64(0)
		row.ApproximateCount, row.NotCreated = &zero, true
		return
	}
	row.Err = r.describe(ctx, row.Name, err)
}

// countOf parses the count header of a successful answer.
func (r *QueueReader) countOf(queue string, resp *http.Response) (*int64, error) {
	text := strings.TrimSpace(resp.Header.Get(countHeader))
	count, err := strconv.ParseInt(text, 10, 64)
	if err != nil || count < 0 {
		return nil, fmt.Errorf("queue %q in account %q: the service answered without a "+
			"valid %s header (%q); is the endpoint a queue service?", queue, r.account,
			countHeader, text)
	}
	return &count, nil
}

// WatchedQueues returns the rows Depths reports for the configured queues, unread: each
// queue followed by its poison twin, blank and repeated names dropped. An invalid name
// gets no twin.
func WatchedQueues(queues []string) []QueueDepth {
	seen := map[string]bool{}
	var rows []QueueDepth
	add := func(name string) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		rows = append(rows, QueueDepth{Name: name, Poison: strings.HasSuffix(name, PoisonSuffix)})
	}
	for _, name := range queues {
		name = strings.TrimSpace(name)
		add(name)
		// A name Azure rejects gets its error once, not again on a twin.
		if twin, ok := PoisonTwin(name); ok && checkQueueName(name) == nil {
			add(twin)
		}
	}
	return rows
}

// UnreadableDepths returns the rows of WatchedQueues, each carrying err: what a screen
// shows when no reader could be made, such as for a bad connection string.
func UnreadableDepths(queues []string, err error, at time.Time) []QueueDepth {
	rows := WatchedQueues(queues)
	for i := range rows {
		rows[i].Err, rows[i].ReadAt = err, at
	}
	return rows
}

// PoisonTwin returns the name of a queue's poison queue, and false when the queue has
// none: its name already ends in PoisonSuffix, or is too long to take it.
func PoisonTwin(name string) (string, bool) {
	if name == "" || strings.HasSuffix(name, PoisonSuffix) || len(name) > maxTwinnedName {
		return "", false
	}
	return name + PoisonSuffix, true
}

// checkQueueName applies Azure's rules, so a typo in the config gets a precise message
// instead of the service's 400.
func checkQueueName(name string) error {
	problem := queueNameProblem(name)
	if problem == "" {
		return nil
	}
	return &queueError{msg: fmt.Sprintf("queue name %q %s; fix it in the config", name, problem),
		kind: ErrBadQueueName}
}

func queueNameProblem(name string) string {
	switch {
	case len(name) < 3 || len(name) > maxQueueName:
		return "must be 3 to 63 characters long"
	case strings.ToLower(name) != name:
		return "must be lower case: use " + strconv.Quote(strings.ToLower(name))
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "":
		return "may hold only lower-case letters, digits and hyphens"
	case name[0] == '-' || name[len(name)-1] == '-':
		return "must start and end with a letter or digit"
	case strings.Contains(name, "--"):
		return "must not hold two hyphens in a row"
	}
	return ""
}

// callCounter counts every request the pipeline sends, retries included.
type callCounter struct {
	calls *atomic.Int64
}

// Do counts the request and passes it on.
func (c callCounter) Do(req *policy.Request) (*http.Response, error) {
	c.calls.Add(1)
	return req.Next()
}

// queueError is a failure to read one queue: a message with the fix, a kind for errors.Is
// and the cause for errors.As.
type queueError struct {
	msg   string
	kind  error
	cause error
}

// Error returns the message with the fix.
func (e *queueError) Error() string {
	return e.msg
}

// Unwrap returns the kind (ErrQueueNotFound, ...) and the cause.
func (e *queueError) Unwrap() []error {
	return []error{e.kind, e.cause}
}

// describe turns a failed read into a message that names the queue, the account and the
// fix. Nothing of the request URL is kept beyond scheme, host and path: a SAS lives in
// its query.
func (r *QueueReader) describe(ctx context.Context, queue string, err error) error {
	var signIn *SignInError
	var refusal *azcore.ResponseError
	where := fmt.Sprintf("queue %q in account %q", queue, r.account)
	switch {
	case errors.As(err, &signIn):
		return &queueError{msg: where + ": " + signIn.Error(), kind: ErrQueueAccessDenied,
			cause: err}
	case errors.As(err, &refusal):
		return r.refused(where, queue, refusal)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &queueError{msg: fmt.Sprintf("%s: %s did not answer in time — %s", where,
			r.endpoint, r.reachHint()), kind: ErrQueueUnreachable, cause: err}
	case ctx.Err() != nil:
		return &queueError{msg: where + ": the reading was cancelled", kind: ctx.Err(),
			cause: err}
	}
	return &queueError{msg: fmt.Sprintf("%s: cannot reach %s: %s — %s", where, r.endpoint,
		transportCause(err), r.reachHint()), kind: ErrQueueUnreachable, cause: err}
}

// refused describes an error answer of the queue service.
func (r *QueueReader) refused(where, queue string, refusal *azcore.ResponseError) error {
	status := fmt.Sprintf("%d %s", refusal.StatusCode, refusal.ErrorCode)
	switch refusal.StatusCode {
	case http.StatusNotFound:
		return &queueError{msg: fmt.Sprintf("queue %q does not exist in account %q — check "+
			"the name in the config", queue, r.account), kind: ErrQueueNotFound, cause: refusal}
	case http.StatusForbidden, http.StatusUnauthorized:
		return &queueError{msg: fmt.Sprintf("%s: access denied (%s) — %s", where,
			strings.TrimSpace(status), r.deniedHint(refusal.ErrorCode)),
			kind: ErrQueueAccessDenied, cause: refusal}
	}
	hint := "check the queue settings in the config"
	if refusal.StatusCode >= http.StatusInternalServerError {
		hint = "the storage service failed to answer; the next refresh tries again"
	}
	return &queueError{msg: fmt.Sprintf("%s: the service answered %s — %s", where,
		strings.TrimSpace(status), hint), kind: nil, cause: refusal}
}

// deniedHint names the fix of a refusal, which depends on how the reader signs in.
// AuthorizationFailure is what the account's network rules answer; a missing role is
// AuthorizationPermissionMismatch.
func (r *QueueReader) deniedHint(code string) string {
	network := ""
	if code == "AuthorizationFailure" {
		network = "; check that the account's network rules (Networking) allow this machine"
	}
	switch r.auth {
	case authSharedKey:
		if network != "" {
			return strings.TrimPrefix(network, "; ")
		}
		return "the account key was refused: copy a current connection string from the " +
			"account's Access keys"
	case authSAS:
		return "the shared access signature was refused: make one that has not expired and " +
			"allows read (r) on the queue service (q)" + network
	}
	return fmt.Sprintf("grant Storage Queue Data Reader on account %q to the identity "+
		"spotdeck signs in as (az login, managed identity or AZURE_CLIENT_ID)%s",
		r.account, network)
}

// reachHint is the fix for an endpoint that does not answer.
func (r *QueueReader) reachHint() string {
	if r.loopback {
		return "is the storage emulator (Azurite) running on that port?"
	}
	return "check the account name or endpoint, and this machine's network"
}

// transportCause returns the network error without the request URL it usually quotes.
func transportCause(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return clipLine(err.Error(), maxMessageRunes)
}

// statusOf returns the HTTP status of a service's error answer, or 0.
func statusOf(err error) int {
	var refusal *azcore.ResponseError
	if errors.As(err, &refusal) {
		return refusal.StatusCode
	}
	return 0
}
