package azure_test

import (
	"context"
	"testing"
	"time"

	"spotdeck/azure"
	"spotdeck/azure/sim"
)

func simClient(t *testing.T, s *sim.Sim) *azure.Client {
	t.Helper()
	c, err := azure.NewClient(azure.ClientOptions{SubscriptionID: s.SubscriptionID(),
		ARMEndpoint: sim.InProcessEndpoint, Transport: s.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func totalCalls(s *sim.Sim) int {
	n := 0
	for _, c := range s.Calls() {
		n += c
	}
	return n
}

// TestRefreshCallsOnePlusScaleSets counts the Resource Manager calls one reading of the
// fleet makes: one list of scale sets, then one list of instances per scale set shown.
func TestRefreshCallsOnePlusScaleSets(t *testing.T) {
	tests := []struct {
		name      string
		only      []string
		wantCalls int
	}{
		{"whole fleet", nil, 1 + 3},
		{"one scale set watched", []string{"vmss-func-win"}, 1 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sim.New(sim.Options{Seed: 1})
			fleet, err := azure.ReadFleet(context.Background(), simClient(t, s),
				azure.ReadOptions{ScaleSets: tt.only})
			if err != nil {
				t.Fatal(err)
			}
			if got := totalCalls(s); got != tt.wantCalls {
				t.Errorf("calls = %d (%v), want %d", got, s.Calls(), tt.wantCalls)
			}
			for _, set := range fleet.ScaleSets {
				if set.InstancesErr != nil || len(set.Instances) == 0 {
					t.Errorf("%s: instances %d, err %v", set.Name, len(set.Instances),
						set.InstancesErr)
				}
			}
		})
	}
}

// TestReadFleetKeepsScaleSetWhenInstancesFail shows a failed instance list on its scale set
// while the rest of the fleet reads.
func TestReadFleetKeepsScaleSetWhenInstancesFail(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1})
	s.InjectFault(sim.OpListInstances, 403, 0, 1)
	fleet, err := azure.ReadFleet(context.Background(), simClient(t, s), azure.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, set := range fleet.ScaleSets {
		if set.InstancesErr != nil {
			failed++
		}
	}
	if failed != 1 || len(fleet.ScaleSets) != 3 {
		t.Errorf("%d of %d scale sets failed, want 1 of 3", failed, len(fleet.ScaleSets))
	}
}

// TestReadFleetFailsWhenScaleSetsCannotBeListed keeps the error for the caller, who keeps
// the last good reading on screen.
func TestReadFleetFailsWhenScaleSetsCannotBeListed(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1})
	s.InjectFault(sim.OpListAllScaleSets, 429, time.Hour, 1)
	_, err := azure.ReadFleet(context.Background(), simClient(t, s), azure.ReadOptions{})
	if err == nil {
		t.Fatal("ReadFleet succeeded through a 429")
	}
	if code := azure.ErrorCode(err); code == "" {
		t.Errorf("error %v carries no ARM code", err)
	}
}
