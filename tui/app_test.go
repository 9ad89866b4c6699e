package tui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"spotdeck/azure"
	"spotdeck/events"
	"spotdeck/tui/instances"
	"spotdeck/tui/watch"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var testNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// fakeReader stands in for Azure: it returns a fixed fleet and counts calls.
type fakeReader struct {
	mu        sync.Mutex
	sets      []azure.ScaleSet
	instances map[string][]azure.Instance
	err       error
	calls     int
}

func (f *fakeReader) ListScaleSets(context.Context) ([]azure.ScaleSet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return append([]azure.ScaleSet(nil), f.sets...), nil
}

func (f *fakeReader) ListInstances(_ context.Context, _, name string) ([]azure.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.instances[name], nil
}

func ptr[T any](v T) *T { return &v }

func sampleReader() *fakeReader {
	created := testNow.Add(-3 * time.Hour)
	return &fakeReader{
		sets: []azure.ScaleSet{
			{ID: "/a", Name: "vmss-func-win", ResourceGroup: "rg-functions",
				Location: "westeurope", SKU: "Standard_D2s_v5", Capacity: ptr(int64(3)),
				Priority: "spot", EvictionPolicy: "delete", MaxPrice: ptr(-1.0),
				UpgradeMode: "manual", HasCustomScript: true, HasHealthExtension: true,
				Label: "v7", Zones: []string{"1", "2", "3"}, ProvisioningState: "succeeded"},
			{ID: "/b", Name: "vmss-func-linux", ResourceGroup: "rg-functions"},
		},
		instances: map[string][]azure.Instance{
			"vmss-func-win": {
				{ID: "0", Name: "vmss-func-win_0", Zone: "1", Power: "running",
					Health: "healthy", Provisioning: "succeeded", LatestModel: ptr(true),
					Extension: azure.ExtensionStatus{State: "succeeded"}, Created: &created},
				{ID: "1", Name: "vmss-func-win_1", Zone: "2", Power: "running",
					Health: "unhealthy", Provisioning: "succeeded", LatestModel: ptr(false),
					Extension: azure.ExtensionStatus{State: "failed",
						Message: "install.ps1 exited with 1"}, Created: &created},
				// An instance read without instance view: nothing may look healthy.
				{ID: "2", Name: "vmss-func-win_2"},
			},
		},
	}
}

// loaded returns a console of the given size that has read the fleet once.
func loaded(t *testing.T, r *fakeReader, width, height int) Model {
	t.Helper()
	m := New(Options{Reader: r, Refresh: 10 * time.Second,
		Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: width, Height: height})
	return step(t, m, readFleetCmd(m.opts, m.gen)())
}

// step applies one message, then runs the commands it returns that answer at once (not
// timers), feeding their messages back, a few levels deep.
func step(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	return stepDepth(m, msg, 4)
}

func stepDepth(m Model, msg tea.Msg, depth int) Model {
	next, cmd := m.Update(msg)
	m = next.(Model)
	if depth == 0 {
		// Too deep to follow now: the command's message waits in late instead.
		if cmd != nil {
			go func() {
				select {
				case late <- cmd():
				default:
				}
			}()
		}
		return m
	}
	for _, out := range quickMessages(cmd) {
		m = stepDepth(m, out, depth-1)
	}
	return m
}

// quickMessages runs cmd, opening batches, and returns the messages that came at once.
func quickMessages(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := runQuick(cmd)
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, quickMessages(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// late receives the messages of commands that did not answer at once (timers, background
// work), so a test can wait for them.
var late = make(chan tea.Msg, 4096)

// runQuick runs a command and returns its message if it answers at once; a slower one's
// message goes to late when it comes.
func runQuick(cmd tea.Cmd) tea.Msg {
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if _, isQuit := msg.(tea.QuitMsg); isQuit {
			return nil
		}
		return msg
	case <-time.After(50 * time.Millisecond):
		go func() {
			msg := <-done
			select {
			case late <- msg:
			default:
			}
		}()
		return nil
	}
}

func press(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		m = step(t, m, msg)
	}
	return m
}

func TestScaleSetsScreenShowsFleet(t *testing.T) {
	m := loaded(t, sampleReader(), 100, 24)
	view := m.View()
	for _, want := range []string{"vmss-func-win", "vmss-func-linux", "2/3", "1/3",
		"updated 0s ago", "max price -1 (no eviction for price)", "✓ v7"} {
		if !strings.Contains(view, want) {
			t.Errorf("scale sets view lacks %q:\n%s", want, view)
		}
	}
}

func TestEnterOpensInstancesAndEscGoesBack(t *testing.T) {
	m := press(t, loaded(t, sampleReader(), 100, 24), "enter")
	view := m.View()
	for _, want := range []string{"spotdeck ▸ scale sets ▸ vmss-func-win", "✗ unhealthy",
		"◐ behind", "? unknown"} {
		if !strings.Contains(view, want) {
			t.Errorf("instances view lacks %q:\n%s", want, view)
		}
	}
	// The details under the table follow the cursor.
	if view := press(t, m, "down").View(); !strings.Contains(view, "install.ps1 exited with 1") {
		t.Errorf("details of instance 1 lack its script message:\n%s", view)
	}
	back := press(t, m, "esc").View()
	if !strings.Contains(back, "vmss-func-linux") || strings.Contains(back, "▸ vmss-func-win") {
		t.Errorf("esc did not return to the scale sets:\n%s", back)
	}
}

func TestInstanceWithoutInstanceViewIsNeverRunning(t *testing.T) {
	m := press(t, loaded(t, sampleReader(), 100, 24), "enter")
	row := rowOf(m.View(), "2")
	if row == "" {
		t.Fatalf("no row for instance 2:\n%s", m.View())
	}
	if strings.Contains(row, "running") || strings.Contains(row, "healthy") {
		t.Errorf("instance without instance view reads %q; want unknown values", row)
	}
	if strings.Count(row, "unknown") < 3 {
		t.Errorf("instance without instance view should read unknown: %q", row)
	}
}

func TestFailedRefreshKeepsDataMarkedStale(t *testing.T) {
	r := sampleReader()
	m := loaded(t, r, 100, 24)
	r.err = errors.New("read scale sets: AuthorizationFailed (403)")
	m = step(t, m, readFleetCmd(m.opts, m.gen)())
	view := m.View()
	for _, want := range []string{
		"vmss-func-win", "⚠ stale", "✗ read scale sets: AuthorizationFailed",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("after a failed refresh the view lacks %q:\n%s", want, view)
		}
	}
}

func TestFirstReadFailureSaysWhatToDo(t *testing.T) {
	r := sampleReader()
	r.err = errors.New("no route to management endpoint")
	view := loaded(t, r, 80, 24).View()
	if !strings.Contains(view, "Could not read the fleet") || !strings.Contains(view, "Press r") {
		t.Errorf("first failure view:\n%s", view)
	}

	// A long message keeps its end, where the fix is, at 80 columns.
	r.err = errors.New(`read scale sets in subscription 00000000-0000-0000-0000-000000000001: ` +
		`Get "http://127.0.0.1:1/subscriptions/00000000-0000-0000-0000-000000000001/providers` +
		`/Microsoft.Compute/virtualMachineScaleSets?api-version=2025-04-01": dial tcp ` +
		`127.0.0.1:1: connect: connection refused — check --arm-endpoint and the network`)
	view = loaded(t, r, 80, 24).View()
	if !strings.Contains(view, "check --arm-endpoint and the network") {
		t.Errorf("first failure view cut the message:\n%s", view)
	}
	for _, l := range strings.Split(view, "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %q is %d wide", l, w)
		}
	}
}

func TestFilterNarrowsRows(t *testing.T) {
	m := press(t, loaded(t, sampleReader(), 100, 24), "/", "l", "i", "n", "enter")
	view := m.View()
	if strings.Contains(view, "vmss-func-win ") || !strings.Contains(view, "vmss-func-linux") {
		t.Errorf("filter 'lin' should leave only the linux set:\n%s", view)
	}
	// While the prompt is open, q is text, not quit.
	m = press(t, m, "/", "q")
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Error("q quit the console while the filter prompt was open")
		}
	}
}

func TestHelpListsKeys(t *testing.T) {
	view := press(t, loaded(t, sampleReader(), 80, 24), "?").View()
	for _, want := range []string{"Keys of scale sets", "enter", "filter rows", "refresh now"} {
		if !strings.Contains(view, want) {
			t.Errorf("help lacks %q:\n%s", want, view)
		}
	}
}

func TestRefreshKeyReadsAgain(t *testing.T) {
	r := sampleReader()
	m := loaded(t, r, 80, 24)
	before := r.calls
	press(t, m, "r")
	if r.calls <= before {
		t.Errorf("r made no new reading: calls %d → %d", before, r.calls)
	}
}

func TestViewFitsTerminal(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 15}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := loaded(t, sampleReader(), size[0], size[1])
			for _, view := range []string{m.View(), press(t, m, "enter").View()} {
				lines := strings.Split(view, "\n")
				if len(lines) != size[1] {
					t.Errorf("view has %d lines, want %d", len(lines), size[1])
				}
				for _, l := range lines {
					if w := ansi.StringWidth(l); w > size[0] {
						t.Errorf("line %q is %d wide, over %d", l, w, size[0])
					}
				}
			}
		})
	}
}

func TestHeaderKeepsFreshnessAtNarrowWidths(t *testing.T) {
	r := sampleReader()
	m := New(Options{Reader: r, Refresh: 10 * time.Second, Scope: "demo (simulated)",
		Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())
	r.err = errors.New("connection reset")
	m = step(t, m, readFleetCmd(m.opts, m.gen)())
	for _, keys := range [][]string{nil, {"w"}, {"w", "e"}} {
		header := strings.Split(press(t, m, keys...).View(), "\n")[0]
		if w := ansi.StringWidth(header); w > 80 {
			t.Errorf("after %v the header is %d wide, over 80: %q", keys, w, header)
		}
		if !strings.Contains(header, "⚠ stale") || !strings.Contains(header, "ago") {
			t.Errorf("after %v the header lost the stale mark or the age: %q", keys, header)
		}
	}
}

func TestGoldenScreens(t *testing.T) {
	m := loaded(t, sampleReader(), 80, 24)
	golden(t, "scalesets_80x24", m.View())
	golden(t, "instances_80x24", press(t, m, "enter").View())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./tui -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// rowOf returns the table row whose first column is id.
func rowOf(view, id string) string {
	for _, l := range strings.Split(view, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == id {
			return l
		}
	}
	return ""
}

// BenchmarkInstancesView draws one frame of a 5,000-instance scale set.
func BenchmarkInstancesView(b *testing.B) {
	r := sampleReader()
	big := make([]azure.Instance, 5000)
	created := testNow.Add(-time.Hour)
	for i := range big {
		big[i] = azure.Instance{ID: fmt.Sprint(i), Name: fmt.Sprintf("vmss-func-win_%d", i),
			Zone: fmt.Sprint(i%3 + 1), Power: "running", Health: "healthy",
			Provisioning: "succeeded", LatestModel: ptr(i%7 != 0),
			Extension: azure.ExtensionStatus{State: "succeeded"}, Created: &created}
	}
	r.instances["vmss-func-win"] = big
	t := &testing.T{}
	m := press(t, loaded(t, r, 120, 40), "enter")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}

func TestEvictionBetweenReadingsReachesTimelineAndStore(t *testing.T) {
	r := sampleReader()
	store, err := events.Open(filepath.Join(t.TempDir(), "events.jsonl"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Reader: r, Refresh: 10 * time.Second, Events: store,
		Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())

	// Instance 0 of the Spot scale set is deallocated between two readings.
	evicted := r.instances["vmss-func-win"][0]
	evicted.Power = "deallocated"
	r.instances["vmss-func-win"] = append([]azure.Instance{evicted},
		r.instances["vmss-func-win"][1:]...)
	m = step(t, m, readFleetCmd(m.opts, m.gen)())

	view := press(t, m, "e").View()
	if !strings.Contains(view, "eviction (suspected)") || !strings.Contains(view, "running →") {
		t.Errorf("timeline lacks the suspected eviction:\n%s", view)
	}
	want := "evictions: 1 in the last hour · by hour (last 6 h): 0 0 0 0 0 1 · " +
		"24 h: 1, by zone 1: 1"
	if view := m.View(); !strings.Contains(view, want) {
		t.Errorf("scale set details lack the eviction counts %q:\n%s", want, view)
	}
	// A console started later shows it too.
	again, err := events.Open(store.Path(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	later := New(Options{Reader: r, Events: again, Now: func() time.Time { return testNow }})
	later = step(t, later, tea.WindowSizeMsg{Width: 100, Height: 24})
	later = step(t, later, loadEventsCmd(again, testNow)())
	later = step(t, later, readFleetCmd(later.opts, later.gen)())
	if view := press(t, later, "e").View(); !strings.Contains(view, "eviction (suspected)") {
		t.Errorf("a restarted console does not show the earlier eviction:\n%s", view)
	}
}

type fakeActivity struct{ evs []azure.ActivityEviction }

func (f fakeActivity) Evictions(context.Context, time.Time) ([]azure.ActivityEviction, error) {
	return f.evs, nil
}

func TestActivityLogConfirmsEviction(t *testing.T) {
	act := fakeActivity{evs: []azure.ActivityEviction{{Time: testNow.Add(-time.Minute),
		ScaleSet: "vmss-func-win", InstanceID: "7", Simulated: true}}}
	m := loaded(t, sampleReader(), 100, 24)
	m.opts.Activity = act
	m = step(t, m, readActivityCmd(act, testNow.Add(-time.Hour), time.Second, m.opts.Now)())
	view := press(t, m, "e").View()
	if !strings.Contains(view, "eviction (simulated)") {
		t.Errorf("timeline lacks the simulated eviction from the Activity Log:\n%s", view)
	}
}

func TestEvictionLoggedBeforeTheReadingIsOneEvent(t *testing.T) {
	r := sampleReader()
	act := fakeActivity{evs: []azure.ActivityEviction{{Time: testNow.Add(-time.Minute),
		ScaleSet: "vmss-func-win", InstanceID: "0"}}}
	m := loaded(t, r, 100, 24)
	m = step(t, m, readActivityCmd(act, testNow.Add(-time.Hour), time.Second, m.opts.Now)())

	// The next reading sees the instance the Activity Log already named deleted.
	r.instances["vmss-func-win"] = r.instances["vmss-func-win"][1:]
	m = step(t, m, readFleetCmd(m.opts, m.gen)())

	var evictions []events.Event
	for _, e := range m.events {
		if e.Kind == events.KindEviction {
			evictions = append(evictions, e)
		}
	}
	if len(evictions) != 1 {
		t.Fatalf("%d eviction events, want 1: %+v", len(evictions), evictions)
	}
	if e := evictions[0]; e.Evidence != events.EvidenceConfirmed || e.Zone != "1" {
		t.Errorf("eviction %+v, want confirmed, in zone 1 as the reading saw", e)
	}
}

// countingActivity counts the reads of the Activity Log.
type countingActivity struct {
	mu    sync.Mutex
	reads int
}

func (c *countingActivity) Evictions(context.Context, time.Time) ([]azure.ActivityEviction,
	error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return nil, nil
}

func (c *countingActivity) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// TestActivityLogIsReadOnlyOnItsOwnTick checks that the Activity Log, whose read limits
// are tight, is read once at the start and then only on its once-a-minute tick: neither
// the fleet's refreshes nor the refresh key read it.
func TestActivityLogIsReadOnlyOnItsOwnTick(t *testing.T) {
	act := &countingActivity{}
	m := New(Options{Reader: sampleReader(), Refresh: 10 * time.Second, Activity: act,
		Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	for _, msg := range quickMessages(m.Init()) {
		m = step(t, m, msg)
	}
	for range 5 {
		m = step(t, m, refreshMsg{gen: m.gen})
		m = press(t, m, "r")
	}
	if n := act.count(); n != 1 {
		t.Fatalf("Activity Log read %d times by the start and ten refreshes, want 1", n)
	}
	if activityEvery < time.Minute {
		t.Errorf("Activity Log tick every %v, want a minute at least", activityEvery)
	}
	m = step(t, m, activityTickMsg{})
	if n := act.count(); n != 2 {
		t.Errorf("Activity Log read %d times after its tick, want 2", n)
	}
}

// fakeQueues returns the same depths each reading, and counts readings.
type fakeQueues struct {
	mu     sync.Mutex
	counts map[string]int64
	reads  int
}

func (f *fakeQueues) Depths(_ context.Context, names []string) []azure.QueueDepth {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var out []azure.QueueDepth
	for _, n := range names {
		c := f.counts[n]
		out = append(out, azure.QueueDepth{Name: n, ApproximateCount: &c, ReadAt: testNow})
		twin := f.counts[n+"-poison"]
		out = append(out, azure.QueueDepth{Name: n + "-poison", Poison: true,
			ApproximateCount: &twin, ReadAt: testNow})
	}
	return out
}

func TestWatchScreenShowsFleetQueuesAndAlerts(t *testing.T) {
	q := &fakeQueues{counts: map[string]int64{"orders": 1204, "orders-poison": 3}}
	m := New(Options{Reader: sampleReader(), Queues: q, QueueNames: []string{"orders"},
		Thresholds: azure.QueueThresholds{MaxDepth: 1000}, StartOnWatch: true,
		Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())
	m = step(t, m, readQueuesCmd(m.opts)())
	view := m.View()
	for _, want := range []string{"spotdeck ▸ scale sets ▸ watch", "vmss-func-win", "2/3",
		"orders", "≈1,204", "orders-poison", "≈3", "queue-alert", "LATEST EVENTS"} {
		if !strings.Contains(view, want) {
			t.Errorf("watch view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, ": queue orders") {
		t.Errorf("the queue alert's line starts with an empty scale-set name:\n%s", view)
	}
	// A raised alert is one event, not one per refresh.
	m = step(t, m, readQueuesCmd(m.opts)())
	if n := strings.Count(press(t, m, "e").View(), "queue-alert"); n != 1 {
		t.Errorf("queue alert recorded %d times over two readings, want once", n)
	}
	if q.reads != 2 {
		t.Errorf("queues read %d times, want one per reading (2)", q.reads)
	}
}

func TestSparkline(t *testing.T) {
	if got := watch.Sparkline([]float64{0, 1, 2, 4, 8}); got != "▁▁▂▄█" {
		t.Errorf("Sparkline = %q", got)
	}
	if got := watch.Sparkline([]float64{0, 0}); got != "▁▁" {
		t.Errorf("Sparkline of zeros = %q", got)
	}
}

// BenchmarkWatchView draws one frame of the watch screen with queues and events.
func BenchmarkWatchView(b *testing.B) {
	q := &fakeQueues{counts: map[string]int64{"orders": 1204, "payments": 7}}
	t := &testing.T{}
	m := New(Options{Reader: sampleReader(), Queues: q, QueueNames: []string{"orders", "payments"},
		StartOnWatch: true, Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())
	for i := 0; i < 60; i++ {
		m = step(t, m, readQueuesCmd(m.opts)())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}

func TestLabelCellShowsDrift(t *testing.T) {
	tests := []struct{ instance, model, want string }{
		{"v7", "v7", "v7"},
		{"v7", "v8", "◐ v7 → v8"},
		{"", "v8", "? → v8"},
		{"", "", "-"},
	}
	for _, tt := range tests {
		if got := instances.LabelCell(tt.instance, tt.model); got != tt.want {
			t.Errorf("LabelCell(%q, %q) = %q, want %q", tt.instance, tt.model, got, tt.want)
		}
	}
}

type fakeSpot struct{}

func (fakeSpot) SpotPrices(_ context.Context, skus []azure.SKULocation) ([]azure.SpotInfo,
	error) {
	price := 0.0123
	var out []azure.SpotInfo
	for _, s := range skus {
		out = append(out, azure.SpotInfo{SKU: s.SKU, Location: s.Location, EvictionRate: "5-10",
			PriceUSD: &price, ReadAt: testNow})
	}
	return out, nil
}

func TestScaleSetDetailsShowSpotPriceAndRate(t *testing.T) {
	m := New(Options{Reader: sampleReader(), Spot: fakeSpot{},
		Now: func() time.Time { return testNow }})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 24})
	m = step(t, m, readFleetCmd(m.opts, m.gen)())
	want := "Standard_D2s_v5 in westeurope: eviction rate 5-10 %/h · Spot price $0.0123/h " +
		"(read 12:00)"
	if view := m.View(); !strings.Contains(view, want) {
		t.Errorf("details lack %q:\n%s", want, view)
	}
}

// TestEscClearsAKeptFilterFirst: on a screen with a filter applied, esc clears it and stays;
// the next esc goes back. While a filter is typed, change keys are letters of it.
func TestEscClearsAKeptFilterFirst(t *testing.T) {
	m := press(t, loaded(t, sampleReader(), 80, 24), "enter")
	screenName := m.top().Title()
	m = press(t, m, "/", "0", "enter")
	if !m.topFiltered() {
		t.Fatal("the filter was not kept")
	}
	m = press(t, m, "esc")
	if m.top().Title() != screenName || m.topFiltered() {
		t.Fatalf("first esc: on %q, filtered %v; want %q unfiltered", m.top().Title(),
			m.topFiltered(), screenName)
	}
	if m = press(t, m, "esc"); m.top().Title() != "scale sets" {
		t.Errorf("second esc: on %q, want scale sets", m.top().Title())
	}
	m = press(t, armedConsole(t, &fakeActor{}, false), "/", "c")
	if view := m.View(); !strings.Contains(view, "/c") || strings.Contains(view, "capacity") {
		t.Errorf("c while filtering did not type into the filter:\n%s", m.View())
	}
}
