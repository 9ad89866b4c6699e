package azure

import (
	"context"
	"time"
)

// Activity Log operation names of Spot evictions.
const (
	// OpEvictSpot is a real Spot eviction of a scale-set instance.
	OpEvictSpot = "Microsoft.Compute/virtualMachineScaleSets/evictSpotVM/action"
	// OpSimulateEviction is an eviction asked for through the SimulateEviction API.
	OpSimulateEviction = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/" +
		"simulateEviction/action"
)

// ActivityEviction is one eviction the Activity Log recorded.
type ActivityEviction struct {
	Time          time.Time
	ResourceGroup string
	ScaleSet      string
	InstanceID    string // "" when the entry names only the scale set
	Simulated     bool
}

// ActivityReader reads Spot evictions from the Activity Log.
type ActivityReader interface {
	// Evictions returns the evictions recorded since the given time, oldest first.
	Evictions(ctx context.Context, since time.Time) ([]ActivityEviction, error)
}
