package sim

import (
	"context"
	"fmt"
	"net/http"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
)

// Rolling upgrades of extensions: the platform walks the instances in batches of
// rollingBatchPercent, starting the next batch once the previous one has applied the model
// and had time to run its script. The latest upgrade's progress is derived from the
// instances whenever it is read, so evictions during the walk count as Azure counts them.

// Operation names of the rolling upgrades the simulator serves.
const (
	OpStartExtensionUpgrade = rollingClient + "BeginStartExtensionUpgrade"
	OpLatestRollingUpgrade  = rollingClient + "GetLatest"
)

// rollingBatchGap is how long a rolling batch takes before the next starts: the upgrade,
// then the longest script run.
const rollingBatchGap = upgradeFor + 95*time.Second

// extensionUpgradeResponse is the answer of a started extension rolling upgrade.
type extensionUpgradeResponse = armcompute.
	VirtualMachineScaleSetRollingUpgradesClientStartExtensionUpgradeResponse

// rollingRun is the latest rolling upgrade of a scale set.
type rollingRun struct {
	started time.Time
	gen     int // the model generation it carries to the instances
}

func (s *Sim) rollingServer() fake.VirtualMachineScaleSetRollingUpgradesServer {
	return fake.VirtualMachineScaleSetRollingUpgradesServer{
		BeginStartExtensionUpgrade: s.beginExtensionUpgrade,
		GetLatest:                  s.latestRollingUpgrade,
	}
}

// beginExtensionUpgrade starts the walk; Azure accepts it at once and the operation ends
// when the walk has reached every instance.
func (s *Sim) beginExtensionUpgrade(ctx context.Context, resourceGroup, name string,
	_ *armcompute.VirtualMachineScaleSetRollingUpgradesClientBeginStartExtensionUpgradeOptions) (
	resp azfake.PollerResponder[extensionUpgradeResponse],
	errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, err := s.findScaleSet(resourceGroup, name)
	if err == nil && ss.upgradeMode != armcompute.UpgradeModeRolling {
		err = conflict("OperationNotAllowed", fmt.Sprintf("Scale set '%s' is in %s upgrade "+
			"mode; an extension rolling upgrade needs upgrade mode Rolling.", ss.name,
			ss.upgradeMode))
	}
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	ends := s.startRolling(ss, now)
	s.beginOperation(ctx, OpStartExtensionUpgrade, ends, doneAt)
	resp.AddNonTerminalResponse(http.StatusAccepted, nil)
	return resp, errResp
}

// startRolling schedules the batches of the walk and returns when the last one starts.
// The caller holds s.mu.
func (s *Sim) startRolling(ss *scaleSet, now time.Time) time.Time {
	ss.rolling = &rollingRun{started: now, gen: ss.modelGen}
	ids := make([]int, 0, len(ss.instances))
	for _, in := range ss.instances {
		ids = append(ids, in.id)
	}
	size := max(1, (len(ids)*rollingBatchPercent+99)/100)
	at := now
	for start := 0; start < len(ids); start += size {
		batch := ids[start:min(start+size, len(ids))]
		gen := ss.modelGen
		s.schedule(at, func(when time.Time) {
			for _, id := range batch {
				if in := ss.findInstance(id); in != nil && ss.modelGen == gen {
					s.startUpgrade(ss, in, when)
				}
			}
		})
		at = at.Add(rollingBatchGap)
	}
	return at
}

func (s *Sim) latestRollingUpgrade(_ context.Context, resourceGroup, name string,
	_ *armcompute.VirtualMachineScaleSetRollingUpgradesClientGetLatestOptions) (
	resp azfake.Responder[armcompute.VirtualMachineScaleSetRollingUpgradesClientGetLatestResponse],
	errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, err := s.findScaleSet(resourceGroup, name)
	if err == nil && ss.rolling == nil {
		err = notFound("Microsoft.Compute/virtualMachineScaleSets/"+name+
			"/rollingUpgrades/latest", resourceGroup)
	}
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	answer := armcompute.VirtualMachineScaleSetRollingUpgradesClientGetLatestResponse{
		RollingUpgradeStatusInfo: armcompute.RollingUpgradeStatusInfo{
			Location:   to.Ptr(Location),
			Properties: rollingStatus(ss, now),
		},
	}
	resp.SetResponse(http.StatusOK, answer, nil)
	return resp, errResp
}

// rollingStatus counts the instances of the walk at a moment and names its state.
func rollingStatus(ss *scaleSet, now time.Time) *armcompute.RollingUpgradeStatusInfoProperties {
	var done, failed, busy, pending int32
	for _, in := range ss.instances {
		switch {
		case in.applied.gen != ss.rolling.gen:
			pending++
		case now.Before(in.updatingUntil) || !in.script.done(now):
			busy++
		case in.script.fails:
			failed++
		default:
			done++
		}
	}
	code := armcompute.RollingUpgradeStatusCodeRollingForward
	props := &armcompute.RollingUpgradeStatusInfoProperties{
		Progress: &armcompute.RollingUpgradeProgressInfo{
			SuccessfulInstanceCount: to.Ptr(done), FailedInstanceCount: to.Ptr(failed),
			InProgressInstanceCount: to.Ptr(busy), PendingInstanceCount: to.Ptr(pending),
		},
	}
	total := done + failed + busy + pending
	switch {
	case total > 0 && failed*100 > total*rollingUnhealthyPercent:
		code = armcompute.RollingUpgradeStatusCodeFaulted
		props.Error = &armcompute.APIError{Code: to.Ptr("MaxUnhealthyUpgradedInstancePercent" +
			"ExceededInRollingUpgrade"), Message: to.Ptr(fmt.Sprintf("%d of %d instances "+
			"failed their extensions, more than the %d%% the rolling upgrade policy allows.",
			failed, total, rollingUnhealthyPercent))}
	case busy == 0 && pending == 0:
		code = armcompute.RollingUpgradeStatusCodeCompleted
	}
	props.RunningStatus = &armcompute.RollingUpgradeRunningStatus{Code: to.Ptr(code),
		StartTime: to.Ptr(ss.rolling.started)}
	return props
}
