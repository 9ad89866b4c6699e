// Package azure is the only part of spotdeck that talks to Azure. It reads the fleet of
// scale sets and instances through the Azure SDK and hands the rest of the program plain
// values of its own types, never SDK models.
package azure

import (
	"context"
	"time"
)

// Unknown-able values are strings whose empty value means "not reported". Nothing here
// defaults to a healthy-looking value: a field the platform did not send stays empty.

// Power states, lower case, as the instance view reports them after "PowerState/".
const (
	PowerRunning      = "running"
	PowerStarting     = "starting"
	PowerStopping     = "stopping"
	PowerStopped      = "stopped"
	PowerDeallocating = "deallocating"
	PowerDeallocated  = "deallocated"
)

// Health values of an instance, from the Application Health extension.
const (
	HealthHealthy      = "healthy"
	HealthUnhealthy    = "unhealthy"
	HealthInitializing = "initializing"
	HealthUnknown      = "unknown"
	// HealthNotReported means the instance view came back without any vmHealth: the scale
	// set has no health source, or the platform has not reported yet.
	HealthNotReported = "not reported"
)

// Fleet is one reading of the scale sets in scope.
type Fleet struct {
	ScaleSets []ScaleSet
	// ReadAt is when the reading finished.
	ReadAt time.Time
}

// ScaleSet is the part of a scale set's model that an operator of a Spot fleet watches.
// Empty strings and nil pointers mean the platform did not report the value.
type ScaleSet struct {
	ID                string
	Name              string
	ResourceGroup     string
	Location          string
	SKU               string
	Capacity          *int64
	OrchestrationMode string // "uniform" or "flexible"
	Priority          string // "spot", "regular", "low"
	EvictionPolicy    string // "delete" or "deallocate"
	MaxPrice          *float64
	SpotRestore       *bool
	UpgradeMode       string // "manual", "rolling", "automatic"
	RollingUpgrade    *RollingUpgradePolicy
	ProvisioningState string // lower case, e.g. "succeeded"
	OSType            string // "windows" or "linux"
	Zones             []string

	// HasCustomScript tells whether a Custom Script Extension is in the model.
	HasCustomScript bool
	// HasHealthExtension tells whether an Application Health extension is in the model.
	HasHealthExtension bool
	// Label is the deployment label: the Custom Script Extension's forceUpdateTag.
	Label string

	// Instances is filled only when the instances of this scale set were read.
	Instances []Instance
	// InstancesErr is set when reading the instances failed; the scale set itself was read.
	InstancesErr error
}

// RollingUpgradePolicy holds the batch numbers of a rolling upgrade policy.
type RollingUpgradePolicy struct {
	MaxBatchInstancePercent             *int32
	MaxUnhealthyInstancePercent         *int32
	MaxUnhealthyUpgradedInstancePercent *int32
	PauseTimeBetweenBatches             string
}

// Instance is one virtual machine of a scale set, read with its instance view.
type Instance struct {
	ID           string // the instance ID, e.g. "3"
	Name         string // the resource name, e.g. "vmss-linux_3"
	ComputerName string
	Zone         string
	Power        string // one of the Power constants, or "" when not reported
	Provisioning string // lower case provisioning state, "" when not reported
	LatestModel  *bool
	Health       string // one of the Health constants, or "" when no instance view came back
	// Extension is the Custom Script Extension's state on this instance.
	Extension ExtensionStatus
	Created   *time.Time
	// Label is the forceUpdateTag of the Custom Script Extension in the model this
	// instance has applied, when the platform reports it.
	Label string
}

// ExtensionStatus is the state of an extension on one instance.
type ExtensionStatus struct {
	// State is lower case ("succeeded", "failed", "transitioning", ...), "" when absent.
	State   string
	Message string
}

// FleetReader reads scale sets and their instances. The console and the status command
// depend on this interface; tests of the console hand it a stand-in.
type FleetReader interface {
	// ListScaleSets returns the scale sets of the subscription, or of the resource group
	// when one is configured. It makes one paged call.
	ListScaleSets(ctx context.Context) ([]ScaleSet, error)
	// ListInstances returns the instances of one scale set with their instance views in
	// one paged call.
	ListInstances(ctx context.Context, resourceGroup, scaleSet string) ([]Instance, error)
}
