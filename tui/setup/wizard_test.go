package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/config"
)

func init() {
	lipgloss.SetColorProfile(termenv.Ascii)
}

// The storage secret the fake hands out; no screen and no unchosen file may show it.
const fakeSecret = "AccountName=st1;AccountKey=U0VDUkVUS0VZ;QueueEndpoint=https://q"

// fakeSource answers the wizard from canned values and records the changes asked of it.
type fakeSource struct {
	mu                sync.Mutex
	signInErr         error
	createdContainers []string
	created           []azure.ScaleSetSpec
	access            []azure.AccessResult
	sets              []azure.ScaleSet
}

func newFakeSource() *fakeSource {
	capacity := int64(3)
	return &fakeSource{
		sets: []azure.ScaleSet{{Name: "vmss-a", ResourceGroup: "rg-a", Priority: "spot",
			SKU: "Standard_D2s_v5", Capacity: &capacity, OSType: "linux",
			Location: "westeurope"}},
		access: []azure.AccessResult{
			{Capability: azure.CapReadScaleSets, OK: true, Detail: "listed 1 scale sets"},
			{Capability: azure.CapReadQueues, Detail: "refused (AuthorizationFailure)",
				Grant: "Storage Queue Data Reader on account st1"},
		},
	}
}

func (f *fakeSource) SignIn(context.Context) (azure.SignIn, error) {
	return azure.SignIn{Identity: "alice@contoso.com", TenantID: "tenant-1"}, f.signInErr
}

func (f *fakeSource) Subscriptions(context.Context) ([]azure.Subscription, error) {
	return []azure.Subscription{{ID: "sub-1", Name: "Prod", State: "Enabled"}}, nil
}

func (f *fakeSource) ResourceGroups(context.Context, string) ([]string, error) {
	return []string{"rg-a"}, nil
}

func (f *fakeSource) ScaleSets(context.Context, string, string) ([]azure.ScaleSet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]azure.ScaleSet(nil), f.sets...), nil
}

func (f *fakeSource) ScaleSetIdentities(context.Context, string, string, string) (
	[]azure.Identity, error) {
	return []azure.Identity{{Name: "id-func", ID: "/x/id-func", ClientID: "client-1"}}, nil
}

func (f *fakeSource) StorageAccounts(context.Context, string) ([]azure.StorageAccount, error) {
	return []azure.StorageAccount{{Name: "st1", ResourceGroup: "rg-a",
		BlobEndpoint: "https://st1.blob", QueueEndpoint: "https://st1.queue"}}, nil
}

func (f *fakeSource) AccountConnectionString(context.Context, string,
	azure.StorageAccount) (string, error) {
	return fakeSecret, nil
}

func (f *fakeSource) Queues(context.Context, azure.StorageOptions) ([]string, error) {
	return []string{"jobs", "jobs-poison"}, nil
}

func (f *fakeSource) Containers(context.Context, azure.StorageOptions) ([]string, error) {
	return nil, nil
}

func (f *fakeSource) CreateContainer(_ context.Context, _ azure.StorageOptions,
	name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.createdContainers = append(f.createdContainers, name)
	return nil
}

func (f *fakeSource) Identities(context.Context, string) ([]azure.Identity, error) {
	return []azure.Identity{{Name: "id-func", ID: "/x/id-func", ClientID: "client-1"}}, nil
}

func (f *fakeSource) SpotSizes(context.Context, string, string) ([]azure.VMSize, error) {
	return []azure.VMSize{{Name: "Standard_D2s_v5", VCPUs: "2", Memory: "8"}}, nil
}

func (f *fakeSource) CheckAccess(context.Context, azure.AccessTarget) []azure.AccessResult {
	return f.access
}

func (f *fakeSource) CreateScaleSet(_ context.Context, _ string, spec azure.ScaleSetSpec,
	progress func(string)) (azure.ScaleSet, error) {
	progress("sending the model")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, spec)
	set := azure.ScaleSet{Name: spec.Name, ResourceGroup: spec.ResourceGroup, Priority: "spot"}
	f.sets = append(f.sets, set)
	return set, nil
}

// saver records what the wizard writes.
type saver struct {
	mu      sync.Mutex
	calls   int
	cfg     config.Config
	path    string
	records []audit.Record
}

// audit keeps the audit records of the wizard's changes.
func (s *saver) audit(_ context.Context, r audit.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r)
	return nil
}

// actions lists the recorded actions with their results, "action:result".
func (s *saver) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.records {
		out = append(out, r.Action+":"+r.Result)
	}
	return out
}

func (s *saver) save(path string, cfg config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.cfg, s.path = cfg, path
	return nil
}

// wizard runs the wizard in a test program at a fixed size.
type wizard struct {
	t  *testing.T
	tm *teatest.TestModel
}

func startWizard(t *testing.T, src azure.SetupSource, cfg config.Config, sv *saver) wizard {
	t.Helper()
	m := New(Options{Source: src, Config: cfg, ConfigPath: "/cfg/spotdeck/config.yaml",
		Save: sv.save, Audit: sv.audit})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 50))
	return wizard{t: t, tm: tm}
}

// waitFor waits until the screen has shown every text since the last wait.
func (w wizard) waitFor(texts ...string) {
	w.t.Helper()
	teatest.WaitFor(w.t, w.tm.Output(), func(b []byte) bool {
		for _, text := range texts {
			if !bytes.Contains(b, []byte(text)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// keys sends keys one at a time, with a pause so each render settles.
func (w wizard) keys(keys ...tea.KeyType) {
	for _, k := range keys {
		w.tm.Send(tea.KeyMsg{Type: k})
		time.Sleep(30 * time.Millisecond)
	}
}

func (w wizard) runes(s string) {
	w.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
	time.Sleep(30 * time.Millisecond)
}

func (w wizard) result() Result {
	w.t.Helper()
	return w.tm.FinalModel(w.t, teatest.WithFinalTimeout(5*time.Second)).(*Model).Result()
}

// walkToStorage goes from sign-in to the storage step, watching vmss-a.
func (w wizard) walkToStorage() {
	w.waitFor("step 1 of 8", "alice@contoso.com", "tenant-1")
	w.keys(tea.KeyEnter)
	w.waitFor("Prod", "sub-1")
	w.keys(tea.KeyEnter)
	w.waitFor("Resource group filter", "rg-a")
	w.keys(tea.KeyEnter)
	w.waitFor("Scale sets to watch", "vmss-a", "spot", "Standard_D2s_v5")
	w.runes("x")
	w.keys(tea.KeyEnter, tea.KeyEnter)
	w.waitFor("Storage account", "st1")
}

func TestWizardWritesConfigWithoutSecret(t *testing.T) {
	src, sv := newFakeSource(), &saver{}
	w := startWizard(t, src, config.Config{}, sv)
	w.walkToStorage()
	w.keys(tea.KeyDown, tea.KeyEnter, tea.KeyDown, tea.KeyEnter)
	w.waitFor("Queues to watch", "jobs", "Bundle container")
	w.runes("x")
	w.keys(tea.KeyEnter, tea.KeyEnter)
	w.waitFor("New container name")
	w.keys(tea.KeyEnter, tea.KeyEnter)
	w.waitFor("bundle defaults", "managed identity id-func")
	w.keys(tea.KeyEnter, tea.KeyEnter, tea.KeyEnter, tea.KeyEnter, tea.KeyEnter,
		tea.KeyEnter)
	w.waitFor("refresh and alerts")
	w.keys(tea.KeyEnter, tea.KeyEnter, tea.KeyEnter)
	w.waitFor("access check", "grant Storage Queue Data Reader on account st1",
		"1 check(s) failed")
	w.keys(tea.KeyEnter)
	w.waitFor("Store the storage connection string")
	w.keys(tea.KeyEnter, tea.KeyEnter)
	w.waitFor("Setup complete", "NOT stored")
	w.keys(tea.KeyEnter)
	res := w.result()

	if !res.Saved || !res.OpenConsole || sv.calls != 1 || sv.path != "/cfg/spotdeck/config.yaml" {
		t.Fatalf("result %v, %d saves to %q; want one save and the console", res, sv.calls,
			sv.path)
	}
	checkSavedConfig(t, sv.cfg)
	if res.ConnectionString != fakeSecret {
		t.Errorf("the console of this process did not get the connection string")
	}
	if strings.Join(src.createdContainers, ",") != defaultBucket {
		t.Errorf("created containers %v, want %s after confirmation", src.createdContainers,
			defaultBucket)
	}
	want := AuditCreateContainer + ":ok " + AuditSaveConfig + ":ok"
	if got := strings.Join(sv.actions(), " "); got != want {
		t.Errorf("audit records %s, want %s", got, want)
	}
	for _, r := range sv.records {
		if r.Who != "alice@contoso.com" || strings.Contains(fmt.Sprint(r.Params), "U0VDUkVU") {
			t.Errorf("audit record %+v: wrong identity, or the secret", r)
		}
	}
}

func checkSavedConfig(t *testing.T, cfg config.Config) {
	t.Helper()
	checks := []struct {
		what, got, want string
	}{
		{"subscription", cfg.Subscription, "sub-1"},
		{"scale sets", strings.Join(cfg.ScaleSets, ","), "vmss-a"},
		{"account", cfg.Storage.Account, "st1"},
		{"queues", strings.Join(cfg.Queues, ","), "jobs"},
		{"container", cfg.Storage.Container, defaultBucket},
		{"connection string", cfg.Storage.ConnectionString, ""},
		{"os", cfg.Bundle.OS, "linux"},
		{"refresh", cfg.RefreshInterval().String(), "10s"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("saved %s = %q, want %q", c.what, c.got, c.want)
		}
	}
}

func TestEscCancelsWithoutWriting(t *testing.T) {
	sv := &saver{}
	w := startWizard(t, newFakeSource(), config.Config{}, sv)
	w.walkToStorage()
	w.keys(tea.KeyEsc)
	res := w.result()
	if res.Saved || sv.calls != 0 {
		t.Fatalf("Esc saved (result %v, %d saves); want nothing written", res, sv.calls)
	}
}

func TestShiftTabGoesBack(t *testing.T) {
	w := startWizard(t, newFakeSource(), config.Config{}, &saver{})
	w.waitFor("alice@contoso.com")
	w.keys(tea.KeyEnter)
	w.waitFor("Prod")
	w.keys(tea.KeyEnter)
	w.waitFor("Resource group filter")
	w.keys(tea.KeyShiftTab)
	w.waitFor("step 2 of 8 · subscription", "Prod")
	w.keys(tea.KeyShiftTab)
	w.waitFor("step 1 of 8 · sign-in")
	w.keys(tea.KeyEsc)
	if w.result().Saved {
		t.Fatal("going back and cancelling saved the config")
	}
}

func TestSignInFailureSaysHowToSignIn(t *testing.T) {
	src := newFakeSource()
	src.signInErr = errors.New("no Azure sign-in found: sign in with `az login`")
	w := startWizard(t, src, config.Config{}, &saver{})
	w.waitFor("az login", "Try again")
	w.keys(tea.KeyEsc)
	if w.result().Saved {
		t.Fatal("a failed sign-in saved the config")
	}
}

func TestCreateScaleSetFromWizard(t *testing.T) {
	src, sv := newFakeSource(), &saver{}
	w := startWizard(t, src, config.Config{}, sv)
	w.walkToStorage()
	w.keys(tea.KeyShiftTab)
	w.waitFor("Create a new Spot scale set first?")
	w.keys(tea.KeyEnter)
	w.runes("y")
	w.waitFor("new Spot scale set", "Name", "Region")
	w.keys(tea.KeyEnter, tea.KeyEnter, tea.KeyEnter)
	w.waitFor("VM size (Spot-capable in westeurope)", "Standard_D2s_v5")
	for range 10 {
		w.keys(tea.KeyEnter)
	}
	w.waitFor("Admin password")
	w.keys(tea.KeyEnter)
	w.runes("Correct-Horse-9")
	w.keys(tea.KeyEnter)
	w.waitFor("summary", "vmss-func-spot in rg-a, westeurope", "Delete",
		"-1 (never evicted for price)", "password not shown")
	w.keys(tea.KeyEnter)
	w.waitFor("vmss-func-spot is in the fleet")
	w.keys(tea.KeyEnter)
	w.waitFor("Scale sets to watch", "[•] vmss-func-spot")
	w.keys(tea.KeyEsc)
	w.result()
	if got := strings.Join(sv.actions(), " "); got != AuditCreateScaleSet+":ok" {
		t.Errorf("audit records %s, want the creation", got)
	}
	if len(src.created) != 1 || src.created[0].AdminPassword != "Correct-Horse-9" ||
		src.created[0].EvictionPolicy != azure.EvictionDelete || src.created[0].MaxPrice != -1 {
		t.Fatalf("created %v, want one Spot scale set with Delete and -1", src.created)
	}
}

func TestRerunPreselectsCurrentValues(t *testing.T) {
	cfg := config.Config{Subscription: "sub-1", ScaleSets: []string{"vmss-a"},
		Queues: []string{"jobs"}, Storage: config.Storage{Account: "st1", Container: "c1"},
		Alerts: config.Alerts{MaxDepth: 500}}
	d := draftFrom(cfg)
	if d.subscription != "sub-1" || !contains(d.scaleSets, "vmss-a") || d.account != "st1" ||
		d.maxDepth != "500" || d.container != "c1" || d.mode != modeEntra {
		t.Errorf("draft = %+v, want the config's values", d)
	}
	m := New(Options{Source: newFakeSource(), Config: cfg})
	m.data.scaleSets = newFakeSource().sets
	m.step = stepScaleSets
	m.showForm()
	if view := m.View(); !strings.Contains(view, "[•] vmss-a") {
		t.Errorf("scale set not preselected:\n%s", view)
	}
}

func TestBuildConfigStoresSecretOnlyWhenChosen(t *testing.T) {
	tests := []struct {
		name        string
		mode        string
		storeSecret bool
		want        string
	}{
		{"entra", modeEntra, true, ""},
		{"key, not chosen", modeKey, false, ""},
		{"key, chosen", modeKey, true, fakeSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{Source: newFakeSource()})
			m.d.subscription, m.d.account, m.d.mode = "sub-1", "st1", tt.mode
			m.d.connString, m.d.storeSecret = fakeSecret, tt.storeSecret
			cfg, err := m.buildConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Storage.ConnectionString != tt.want {
				t.Errorf("stored %q, want %q", cfg.Storage.ConnectionString, tt.want)
			}
			if tt.want == "" && strings.Contains(doneView(m), "U0VDUkVUS0VZ") {
				t.Error("the summary shows the key")
			}
		})
	}
}

func TestParsers(t *testing.T) {
	tests := []struct {
		name string
		err  error
		bad  bool
	}{
		{"refresh 10s", validator(parseRefresh)("10s"), false},
		{"refresh 1s", validator(parseRefresh)("1s"), true},
		{"refresh words", validator(parseRefresh)("often"), true},
		{"depth 0", validator(parseDepth)("0"), false},
		{"depth negative", validator(parseDepth)("-1"), true},
		{"port 80", validator(parsePort)("80"), false},
		{"port 0", validator(parsePort)("0"), true},
		{"price -1", validator(parsePrice)("-1"), false},
		{"price 0", validator(parsePrice)("0"), true},
		{"count 1001", validator(parseCount)("1001"), true},
		{"container ok", validContainer("spotdeck-bundles"), false},
		{"container caps", validContainer("Bundles"), true},
		{"container double dash", validContainer("a--b"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.err != nil) != tt.bad {
				t.Errorf("err = %v, want error %t", tt.err, tt.bad)
			}
		})
	}
}

func TestAccessLine(t *testing.T) {
	tests := []struct {
		result azure.AccessResult
		want   string
	}{
		{azure.AccessResult{Capability: "write blobs", OK: true, Detail: "wrote x"},
			"✓ write blobs"},
		{azure.AccessResult{Capability: "write blobs", Grant: "Role on account a"},
			"grant Role on account a"},
		{azure.AccessResult{Capability: "read queue metadata", Skipped: true,
			Detail: "no queues"}, "– read queue metadata"},
		{azure.AccessResult{Capability: "x", Detail: "dial failed"}, "✗ x"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := accessLine(tt.result); !strings.Contains(got, tt.want) {
				t.Errorf("line %q does not contain %q", got, tt.want)
			}
		})
	}
}

// TestRefusedStepKeepsItsReason checks that a step whose answers are refused shows again
// with the reason, rather than silently starting over.
func TestRefusedStepKeepsItsReason(t *testing.T) {
	m := New(Options{Source: newFakeSource(), ConfigPath: "/cfg/config.yaml"})
	m.step = stepCreateDetails
	m.d.create.group, m.d.create.region = "rg-a", "westeurope" // no VM size chosen
	m.complete()
	if m.step != stepCreateDetails || m.err == nil {
		t.Fatalf("step %d, err %v; want the details again with the reason", m.step, m.err)
	}
	m.width = 60
	if view := m.View(); !strings.Contains(view, "VM size: pick one") {
		t.Errorf("the reason is not on screen:\n%s", view)
	}
}

func TestErrorsWrapToTheScreen(t *testing.T) {
	m := New(Options{Source: newFakeSource()})
	m.width = 60
	m.err = errors.New("read the keys of storage account st1: refused (AuthorizationFailed): " +
		"grant Storage Account Key Operator Service Role on storage account st1")
	view := m.View()
	if !strings.Contains(view, "Key Operator") {
		t.Errorf("the end of the error is not on screen:\n%s", view)
	}
	for _, line := range strings.Split(view, "\n") {
		if n := len([]rune(line)); n > 60 {
			t.Errorf("line %q is %d wide, over 60", line, n)
		}
	}
}

func TestPasswordFieldChecksItsLength(t *testing.T) {
	if validPassword("short") == nil || validPassword("Long-enough-12") != nil {
		t.Error("validPassword does not check for 12 characters")
	}
	if required(" ") == nil || required("spotadmin") != nil {
		t.Error("required does not refuse a blank answer")
	}
}

// TestAccessCheckFitsEightyColumns checks, at 80×24, that a failed check shows its whole
// grant and that both choices after it are on screen.
func TestAccessCheckFitsEightyColumns(t *testing.T) {
	m := New(Options{Source: newFakeSource()})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.step = stepAccess
	m.data.access = []azure.AccessResult{{Capability: azure.CapChangeModel,
		Detail: "your roles on subscription 00000000-0000-0000-0000-5907dec50001 do not " +
			"allow Microsoft.Compute/virtualMachineScaleSets/write",
		Grant: "Virtual Machine Contributor on subscription 00000000-0000-0000-0000-5907dec50001"}}
	m.showForm()
	view := m.View()
	for _, want := range []string{"Virtual Machine Contributor", "5907dec50001", "Continue",
		"Check again"} {
		if !strings.Contains(view, want) {
			t.Errorf("access check at 80 columns lacks %q:\n%s", want, view)
		}
	}
	for _, line := range strings.Split(view, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line %q is %d wide, over 80", line, n)
		}
	}
}
