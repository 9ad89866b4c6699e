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
