package events

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spotdeck/azure"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func set(policy string, instances ...azure.Instance) azure.ScaleSet {
	return azure.ScaleSet{ID: "/subs/x/vmss/a", Name: "vmss-a", ResourceGroup: "rg",
		Priority: "spot", EvictionPolicy: policy, Instances: instances}
}

func inst(id, zone, power, health string) azure.Instance {
	return azure.Instance{ID: id, Zone: zone, Power: power, Health: health}
}

func fleet(at time.Time, sets ...azure.ScaleSet) azure.Fleet {
	return azure.Fleet{ScaleSets: sets, ReadAt: at}
}

func TestDiff(t *testing.T) {
	run := inst("1", "2", "running", "healthy")
	deleting := azure.Instance{ID: "1", Zone: "2", Power: "stopping", Provisioning: "deleting"}
	tests := []struct {
		name      string
		prev, cur azure.ScaleSet
		acted     ActedOn
		want      []string // Describe() of each event
	}{
		{"deallocated spot instance is a suspected eviction",
			set("deallocate", run), set("deallocate", inst("1", "2", "deallocated", "healthy")),
			nil, []string{"suspected eviction  vmss-a/1 (zone 2): running → deallocated"}},
		{"deleted running spot instance is a suspected eviction",
			set("delete", run), set("delete"), nil,
			[]string{"suspected eviction  vmss-a/1 (zone 2): running instance deleted"}},
		{"running spot instance being deleted is a suspected eviction", set("delete", run),
			set("delete", deleting), nil,
			[]string{"suspected eviction  vmss-a/1 (zone 2): running instance being deleted"}},
		{"an instance seen being deleted is not evicted again when gone",
			set("delete", deleting), set("delete"), nil,
			[]string{"instance-removed  vmss-a/1 (zone 2): instance removed"}},
		{"console's own delete under way is not an eviction", set("delete", run),
			set("delete", deleting), func(string, string) bool { return true }, nil},
		{"stopping for a restart is not an eviction", set("delete", run),
			set("delete", inst("1", "2", "stopping", "")), nil, nil},
		{"deleting a deallocated instance is not an eviction",
			set("delete", inst("1", "2", "deallocated", "")), set("delete"), nil,
			[]string{"instance-removed  vmss-a/1 (zone 2): instance removed"}},
		{"console's own delete is not an eviction",
			set("delete", run), set("delete"), func(string, string) bool { return true },
			[]string{"instance-removed  vmss-a/1 (zone 2): instance removed"}},
		{"new instance", set("delete"), set("delete", run), nil,
			[]string{"instance-added  vmss-a/1 (zone 2): instance added"}},
		{"health change", set("delete", run), set("delete", inst("1", "2", "running", "unhealthy")),
			nil, []string{"health  vmss-a/1 (zone 2): healthy → unhealthy"}},
		{"unknown health is not a change", set("delete", run),
			set("delete", inst("1", "2", "running", "")), nil, nil},
		{"health no longer reported is not a change", set("delete", run),
			set("delete", inst("1", "2", "running", "not reported")), nil, nil},
		{"extension failure", set("delete", run), set("delete", azure.Instance{ID: "1",
			Zone: "2", Power: "running", Health: "healthy",
			Extension: azure.ExtensionStatus{State: "failed", Message: "exit 1"}}), nil,
			[]string{"extension-failed  vmss-a/1 (zone 2): exit 1"}},
		{"nothing changed", set("delete", run), set("delete", run), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(fleet(t0, tt.prev), fleet(t0.Add(time.Minute), tt.cur), tt.acted)
			if len(got) != len(tt.want) {
				t.Fatalf("Diff = %v, want %d events %v", got, len(tt.want), tt.want)
			}
			for i, e := range got {
				if e.Describe() != tt.want[i] {
					t.Errorf("event %d = %q, want %q", i, e.Describe(), tt.want[i])
				}
				if !e.Time.Equal(t0.Add(time.Minute)) {
					t.Errorf("event time = %s, want the newer reading's time", e.Time)
				}
			}
		})
	}
}

func TestDiffSkipsFailedReads(t *testing.T) {
	prev := set("delete", inst("1", "1", "running", "healthy"))
	cur := set("delete")
	cur.InstancesErr = os.ErrDeadlineExceeded
	if got := Diff(fleet(t0, prev), fleet(t0, cur), nil); len(got) != 0 {
		t.Errorf("a failed read of instances produced events: %v", got)
	}
}

func TestJoinUpgradesAndAdds(t *testing.T) {
	known := []Event{{Time: t0, Kind: KindEviction, ScaleSet: "vmss-a", Instance: "1",
		Evidence: EvidenceSuspected}}
	activity := []azure.ActivityEviction{
		{Time: t0.Add(-2 * time.Minute), ScaleSet: "VMSS-A", InstanceID: "1"},
		{Time: t0, ScaleSet: "vmss-a", InstanceID: "4", Simulated: true},
	}
	got := Join(known, activity)
	if len(got) != 2 {
		t.Fatalf("Join = %v, want 2 events", got)
	}
	if got[0].Evidence != EvidenceConfirmed || got[0].Key() != known[0].Key() {
		t.Errorf("first = %+v, want the known event upgraded to confirmed", got[0])
	}
	if got[1].Evidence != EvidenceSimulated || got[1].Instance != "4" {
		t.Errorf("second = %+v, want a new simulated eviction of instance 4", got[1])
	}
	far := []azure.ActivityEviction{{Time: t0.Add(2 * time.Hour), ScaleSet: "vmss-a",
		InstanceID: "1"}}
	if got := Join(known, far); len(got) != 1 || got[0].Key() == known[0].Key() {
		t.Errorf("an entry 2h away must not match: %v", got)
	}
}

func TestAbsorbFoldsASuspectedEvictionIntoTheLoggedOne(t *testing.T) {
	logged := Event{Time: t0, Kind: KindEviction, ScaleSet: "vmss-a", Instance: "1",
		Evidence: EvidenceConfirmed, Detail: "recorded in the Activity Log"}
	known := []Event{logged}
	seen := Event{Time: t0.Add(90 * time.Second), Kind: KindEviction, ScaleSet: "vmss-a",
		Instance: "1", Zone: "2", Evidence: EvidenceSuspected, Detail: "running → deallocated"}
	other := seen
	other.Instance = "3"
	health := Event{Time: seen.Time, Kind: KindHealth, ScaleSet: "vmss-a", Instance: "1"}

	got := Absorb(known, []Event{seen, other, health})
	if len(got) != 3 {
		t.Fatalf("Absorb = %v, want 3 events", got)
	}
	if got[0].Key() != logged.Key() || got[0].Evidence != EvidenceConfirmed ||
		got[0].Zone != "2" || !strings.HasPrefix(got[0].Detail, "running → deallocated") {
		t.Errorf("first = %+v, want the logged eviction with the reading's zone and detail",
			got[0])
	}
	if got[1] != other || got[2] != health {
		t.Errorf("unmatched changes altered: %+v, %+v", got[1], got[2])
	}
	merged := mergeByKey(known, got)
	if n := ZoneCounts(merged, "vmss-a", t0.Add(-time.Hour))["2"]; n != 2 {
		t.Errorf("zone 2 counts %d evictions, want 2 (instances 1 and 3): %v", n, merged)
	}

	far := seen
	far.Time = t0.Add(time.Hour)
	if got := Absorb(known, []Event{far}); got[0] != far {
		t.Errorf("an eviction an hour away must stay its own event: %+v", got[0])
	}
}

// mergeByKey keeps the last event of each key, as the console and the store do.
func mergeByKey(lists ...[]Event) []Event {
	byKey := map[string]Event{}
	var keys []string
	for _, list := range lists {
		for _, e := range list {
			if _, ok := byKey[e.Key()]; !ok {
				keys = append(keys, e.Key())
			}
			byKey[e.Key()] = e
		}
	}
	out := make([]Event, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

func TestCounts(t *testing.T) {
	now := t0
	evs := []Event{
		{Time: now.Add(-10 * time.Minute), Kind: KindEviction, ScaleSet: "a", Zone: "1"},
		{Time: now.Add(-70 * time.Minute), Kind: KindEviction, ScaleSet: "a", Zone: "2"},
		{Time: now.Add(-80 * time.Minute), Kind: KindEviction, ScaleSet: "a"},
		{Time: now.Add(-5 * time.Minute), Kind: KindHealth, ScaleSet: "a", Zone: "1"},
		{Time: now.Add(-5 * time.Minute), Kind: KindEviction, ScaleSet: "b", Zone: "1"},
	}
	if got := HourlyCounts(evs, "a", now, 3); got[0] != 0 || got[1] != 2 || got[2] != 1 {
		t.Errorf("HourlyCounts = %v, want [0 2 1]", got)
	}
	zones := ZoneCounts(evs, "a", now.Add(-2*time.Hour))
	if zones["1"] != 1 || zones["2"] != 1 || zones["?"] != 1 {
		t.Errorf("ZoneCounts = %v", zones)
	}
}

func TestStoreKeepsADayAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "events.jsonl")
	s, err := Open(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	old := Event{Time: t0.Add(-25 * time.Hour), Kind: KindAdded, ScaleSet: "a", Instance: "0"}
	ev := Event{Time: t0.Add(-time.Hour), Kind: KindEviction, ScaleSet: "a", Instance: "1",
		Evidence: EvidenceSuspected}
	if err := s.Add(old, ev); err != nil {
		t.Fatal(err)
	}
	confirmed := ev
	confirmed.Evidence = EvidenceConfirmed
	if err := s.Add(confirmed); err != nil {
		t.Fatal(err)
	}
	// A torn last line, as a crash mid-write leaves it.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	_, _ = f.WriteString(`{"time":"2026-12-03T11:`)
	f.Close()

	again, err := Open(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	got := again.Since(t0.Add(-48 * time.Hour))
	if len(got) != 1 || got[0].Evidence != EvidenceConfirmed {
		t.Fatalf("after restart = %+v, want one confirmed eviction (old one pruned)", got)
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "\n") != 1 {
		t.Errorf("file was not compacted on open:\n%s", data)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("events file mode %o, want 600", info.Mode().Perm())
	}
}

func TestStoreDropsEventsFromAClockAhead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, err := Open(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	// A demo at 20 times real speed stamps its events hours ahead of the real clock.
	ahead := Event{Time: t0.Add(3 * time.Hour), Kind: KindAdded, ScaleSet: "a", Instance: "67"}
	skewed := Event{Time: t0.Add(20 * time.Second), Kind: KindAdded, ScaleSet: "a",
		Instance: "2"}
	past := Event{Time: t0.Add(-time.Minute), Kind: KindAdded, ScaleSet: "a", Instance: "1"}
	if err := s.Add(ahead, skewed, past); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	got := again.Since(t0.Add(-time.Hour))
	if len(got) != 2 || got[0].Instance != "2" || got[1].Instance != "1" {
		t.Errorf("after restart = %+v, want instances 2 (a little skew) and 1, not 67", got)
	}
}
