package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Operator actions: restart, reimage, start and delete chosen instances, and the PATCH of a
// scale set (capacity, max price, model). Each plays out in simulated time: the
// instances report the operation until it ends, and the operation's poller sees it in
// progress until then, as Azure's does.
//
// A PATCH changes the model only when it sends part of the VM profile other than the
// billing profile, or a new VM size: then every instance reports latestModelApplied false
// until it is upgraded. A PATCH of sku.capacity alone adds or removes instances and leaves
// the model, and every instance's flag, as they were.

// Operation names the simulation records for its long-running operations.
const (
	OpRestart         = scaleSetsClient + "BeginRestart"
	OpReimage         = scaleSetsClient + "BeginReimage"
	OpStart           = scaleSetsClient + "BeginStart"
	OpDeleteInstances = scaleSetsClient + "BeginDeleteInstances"
	OpUpdateScaleSet  = scaleSetsClient + "BeginUpdate"
)

// How long the phases of an action take in simulated time.
const (
	restartStop = 20 * time.Second
	reimageStop = 90 * time.Second
	actionBoot  = 60 * time.Second
	deleteTakes = 45 * time.Second
)

type (
	restartResponse = armcompute.VirtualMachineScaleSetsClientRestartResponse
	reimageResponse = armcompute.VirtualMachineScaleSetsClientReimageResponse
	startResponse   = armcompute.VirtualMachineScaleSetsClientStartResponse
	deleteResponse  = armcompute.VirtualMachineScaleSetsClientDeleteInstancesResponse
	updateResponse  = armcompute.VirtualMachineScaleSetsClientUpdateResponse
	updateOptions   = armcompute.VirtualMachineScaleSetsClientBeginUpdateOptions
)

// instanceAct changes one instance and returns when the change ends; it refuses with the
// error Azure gives. check runs first for every instance, so a refusal changes nothing.
type instanceAct struct {
	check func(ss *scaleSet, in *instance, now time.Time) error
	apply func(s *Sim, ss *scaleSet, in *instance, now time.Time) time.Time
}

// beginBatch runs an instance action on the chosen instances of a scale set.
func beginBatch[T any](s *Sim, ctx context.Context, op, group, name string, ids []*string,
	act instanceAct) (resp azfake.PollerResponder[T], errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ends, err := s.runBatch(group, name, ids, now, act)
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	s.beginOperation(ctx, op, ends, doneAt)
	resp.AddNonTerminalResponse(http.StatusAccepted, nil)
	return resp, errResp
}

// runBatch checks every chosen instance, then changes them all. The caller holds s.mu.
func (s *Sim) runBatch(group, name string, ids []*string, now time.Time,
	act instanceAct) (time.Time, error) {
	ss, err := s.findScaleSet(group, name)
	if err != nil {
		return now, err
	}
	chosen, err := pickInstances(ss, ids)
	if err != nil {
		return now, err
	}
	for _, in := range chosen {
		if err := act.check(ss, in, now); err != nil {
			return now, err
		}
	}
	ends := now
	for _, in := range chosen {
		if done := act.apply(s, ss, in, now); done.After(ends) {
			ends = done
		}
	}
	return ends, nil
}

func (s *Sim) beginRestart(ctx context.Context, group, name string,
	opts *armcompute.VirtualMachineScaleSetsClientBeginRestartOptions) (
	azfake.PollerResponder[restartResponse], azfake.ErrorResponder) {
	var ids []*string
	if opts != nil && opts.VMInstanceIDs != nil {
		ids = opts.VMInstanceIDs.InstanceIDs
	}
	return beginBatch[restartResponse](s, ctx, OpRestart, group, name, ids,
		instanceAct{check: mustRun("restart"), apply: restartInstance})
}

func (s *Sim) beginReimage(ctx context.Context, group, name string,
	opts *armcompute.VirtualMachineScaleSetsClientBeginReimageOptions) (
	azfake.PollerResponder[reimageResponse], azfake.ErrorResponder) {
	var ids []*string
	if opts != nil && opts.VMScaleSetReimageInput != nil {
		ids = opts.VMScaleSetReimageInput.InstanceIDs
	}
	return beginBatch[reimageResponse](s, ctx, OpReimage, group, name, ids,
		instanceAct{check: mustRun("reimage"), apply: reimageInstance})
}

func (s *Sim) beginStart(ctx context.Context, group, name string,
	opts *armcompute.VirtualMachineScaleSetsClientBeginStartOptions) (
	azfake.PollerResponder[startResponse], azfake.ErrorResponder) {
	var ids []*string
	if opts != nil && opts.VMInstanceIDs != nil {
		ids = opts.VMInstanceIDs.InstanceIDs
	}
	return beginBatch[startResponse](s, ctx, OpStart, group, name, ids,
		instanceAct{check: notLeaving("start"), apply: startInstance})
}

func (s *Sim) beginDeleteInstances(ctx context.Context, group, name string,
	ids armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs,
	_ *armcompute.VirtualMachineScaleSetsClientBeginDeleteInstancesOptions) (
	azfake.PollerResponder[deleteResponse], azfake.ErrorResponder) {
	return beginBatch[deleteResponse](s, ctx, OpDeleteInstances, group, name, ids.InstanceIDs,
		instanceAct{check: notLeaving("delete"), apply: deleteInstance})
}

// notLeaving refuses an instance being deleted or in the middle of an eviction.
func notLeaving(op string) func(ss *scaleSet, in *instance, now time.Time) error {
	return func(ss *scaleSet, in *instance, now time.Time) error {
		if in.deleting != nil || (in.eviction != nil && now.Before(in.eviction.done)) {
			return conflict("OperationNotAllowed", fmt.Sprintf("Operation '%s' is not "+
				"allowed on VM '%s' since the VM is being deleted or evicted.", op, in.name(ss)))
		}
		return nil
	}
}

// mustRun refuses, besides what notLeaving refuses, a deallocated instance: it has to be
// started first.
func mustRun(op string) func(ss *scaleSet, in *instance, now time.Time) error {
	leaving := notLeaving(op)
	return func(ss *scaleSet, in *instance, now time.Time) error {
		if err := leaving(ss, in, now); err != nil {
			return err
		}
		if in.eviction != nil {
			return conflict("OperationNotAllowed", fmt.Sprintf("Operation '%s' is not "+
				"allowed on VM '%s' since the VM is deallocated; start it first.", op,
				in.name(ss)))
		}
		return nil
	}
}

// restartInstance reboots a running instance; its script does not run again.
func restartInstance(_ *Sim, _ *scaleSet, in *instance, now time.Time) time.Time {
	in.cycle = powerCycle{kind: cycleRestart, from: now, stopFor: restartStop,
		bootFor: actionBoot}
	return in.runningSince()
}

// reimageInstance rebuilds the OS disk: the instance boots again and, with a Custom
// Script Extension, reinstalls the application, which cures a sick one.
func reimageInstance(s *Sim, ss *scaleSet, in *instance, now time.Time) time.Time {
	in.cycle = powerCycle{kind: cycleReimage, from: now, stopFor: reimageStop,
		bootFor: actionBoot}
	in.sick = false
	if in.applied.customScript() != nil {
		in.script = s.scriptRunFor(ss, in, in.runningSince())
	}
	return in.runningSince()
}

// startInstance boots a deallocated instance; a running one is left as it is. A script
// owed since a model change while it was stopped runs once it is booted.
func startInstance(s *Sim, ss *scaleSet, in *instance, now time.Time) time.Time {
	if in.eviction == nil {
		return now
	}
	in.eviction = nil
	in.cycle = powerCycle{kind: cycleStart, from: now, bootFor: actionBoot}
	if in.scriptPending && in.applied.customScript() != nil {
		in.script = s.scriptRunFor(ss, in, in.runningSince())
	}
	return in.runningSince()
}

// deleteInstance removes an instance: the capacity drops at once, the instance reports
// Deleting until it is gone.
func deleteInstance(s *Sim, ss *scaleSet, in *instance, now time.Time) time.Time {
	s.startDeletion(ss, in, now)
	return now.Add(deleteTakes)
}

// startDeletion marks an instance deleting, lowers the capacity and schedules its end.
// The caller holds s.mu.
func (s *Sim) startDeletion(ss *scaleSet, in *instance, now time.Time) {
	in.deleting = &deletion{from: now, until: now.Add(deleteTakes)}
	ss.capacity = max(ss.capacity-1, 0)
	id := in.id
	s.schedule(in.deleting.until, func(time.Time) { ss.removeInstance(id) })
}

// beginUpdateScaleSet is the PATCH of a scale set. Which fields were sent is read from
// the raw body: the typed parameters cannot tell an absent field from a zero one.
func (s *Sim) beginUpdateScaleSet(ctx context.Context, group, name string,
	update armcompute.VirtualMachineScaleSetUpdate, _ *updateOptions) (
	resp azfake.PollerResponder[updateResponse], errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, err := s.findScaleSet(group, name)
	ends := now
	if err == nil {
		body := requestFrom(ctx).body
		ends, err = s.patchScaleSet(ss, update, body, now)
	}
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	s.beginOperation(ctx, OpUpdateScaleSet, ends,
		func(time.Time) (any, *armError) { return armScaleSet(ss), nil })
	// The fake's scale-set Update accepts only 200 as "in progress".
	resp.AddNonTerminalResponse(http.StatusOK, nil)
	return resp, errResp
}

// patchBody is what a PATCH sent, field by field.
type patchBody struct {
	SKU *struct {
		Name     *string `json:"name"`
		Capacity *int64  `json:"capacity"`
	} `json:"sku"`
	Properties *struct {
		VirtualMachineProfile map[string]json.RawMessage `json:"virtualMachineProfile"`
	} `json:"properties"`
}

// patchScaleSet applies a PATCH and returns when it ends. It checks everything before it
// changes anything. The caller holds s.mu.
func (s *Sim) patchScaleSet(ss *scaleSet, update armcompute.VirtualMachineScaleSetUpdate,
	body []byte, now time.Time) (time.Time, error) {
	var sent patchBody
	if len(body) > 0 {
		if err := json.Unmarshal(body, &sent); err != nil {
			return now, badRequest("InvalidRequestContent", "The request content is not "+
				"valid JSON: "+err.Error())
		}
	}
	price, err := priceOf(ss, update, now)
	if err != nil {
		return now, err
	}
	capacity, err := sentCapacity(sent)
	if err != nil {
		return now, err
	}
	ss.lastPatch = append([]byte(nil), body...)
	if price != nil {
		ss.maxPrice = price
	}
	if sent.changesModel(ss) {
		if sent.SKU != nil && sent.SKU.Name != nil {
			ss.sku = *sent.SKU.Name
		}
		s.changeModel(ss, now)
	}
	if capacity < 0 {
		return now.Add(restartStop), nil
	}
	return s.setCapacity(ss, capacity, now), nil
}

// changesModel tells whether the PATCH changes the VM model: a new size, or any part of
// the VM profile but the billing profile.
func (b patchBody) changesModel(ss *scaleSet) bool {
	if b.SKU != nil && b.SKU.Name != nil && *b.SKU.Name != ss.sku {
		return true
	}
	if b.Properties == nil {
		return false
	}
	for field := range b.Properties.VirtualMachineProfile {
		if field != "billingProfile" {
			return true
		}
	}
	return false
}

// sentCapacity returns the capacity sent, or -1 when none was.
func sentCapacity(sent patchBody) (int, error) {
	if sent.SKU == nil || sent.SKU.Capacity == nil {
		return -1, nil
	}
	n := *sent.SKU.Capacity
	if n < 0 || n > maxCreatedInstances {
		return -1, badRequest("InvalidParameter", fmt.Sprintf("The capacity %d is not "+
			"valid: the simulated subscription holds 0 to %d instances per scale set.", n,
			maxCreatedInstances))
	}
	return int(n), nil
}

// priceOf returns the max price sent, or nil. Azure accepts a new max price only while
// every instance is deallocated.
func priceOf(ss *scaleSet, update armcompute.VirtualMachineScaleSetUpdate,
	now time.Time) (*float64, error) {
	p := update.Properties
	if p == nil || p.VirtualMachineProfile == nil || p.VirtualMachineProfile.BillingProfile ==
		nil || p.VirtualMachineProfile.BillingProfile.MaxPrice == nil {
		return nil, nil
	}
	price := *p.VirtualMachineProfile.BillingProfile.MaxPrice
	if ss.priority != armcompute.VirtualMachinePriorityTypesSpot {
		return nil, conflict("OperationNotAllowed", "A max price applies to Spot virtual "+
			"machines only; scale set '"+ss.name+"' has priority '"+string(ss.priority)+"'.")
	}
	if price != -1 && price <= 0 {
		return nil, badRequest("InvalidParameter", "The max price must be -1 or greater "+
			"than 0.")
	}
	for _, in := range ss.instances {
		if in.eviction == nil || now.Before(in.eviction.done) {
			return nil, conflict("OperationNotAllowed", "The max price of scale set '"+
				ss.name+"' can be changed only while all its VMs are deallocated; "+
				"deallocate them first.")
		}
	}
	return &price, nil
}

// setCapacity adds instances on the latest model, or removes the newest ones as the
// default scale-in policy does, and returns when the last one is up or gone.
func (s *Sim) setCapacity(ss *scaleSet, capacity int, now time.Time) time.Time {
	ends := now.Add(restartStop)
	for ss.capacity < capacity {
		in := s.addInstance(ss, now, fate{})
		ss.capacity++
		if up := in.runningSince(); up.After(ends) {
			ends = up
		}
	}
	for i := len(ss.instances) - 1; i >= 0 && ss.capacity > capacity; i-- {
		if in := ss.instances[i]; in.deleting == nil {
			s.startDeletion(ss, in, now)
			ends = now.Add(deleteTakes)
		}
	}
	return ends
}
