package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// actionPollEvery is how often a long-running action is polled. Azure's own operations
// take tens of seconds to minutes; polling faster only spends the read quota. Tests
// shorten it (the SDK refuses under a second outside go test).
var actionPollEvery = 5 * time.Second

// writerRole is the built-in role that may change scale sets and their instances.
const writerRole = "Virtual Machine Contributor"

// Run checks the action and carries it out, waiting until the platform reports it done.
// The result tells what was done even when an error is returned.
func (c *Client) Run(ctx context.Context, a Action) (ActionResult, error) {
	result := ActionResult{Action: a, Started: time.Now()}
	if err := a.Validate(); err != nil {
		result.Finished = result.Started
		return result, err
	}
	err := c.perform(ctx, a, &result)
	result.Finished = time.Now()
	return result, err
}

func (c *Client) perform(ctx context.Context, a Action, result *ActionResult) error {
	var err error
	switch a.Kind {
	case ActionSimulateEviction:
		return c.simulateEvictions(ctx, a, result)
	case ActionScale:
		result.ScaleSet, err = c.scale(ctx, a)
	case ActionMaxPrice:
		result.ScaleSet, err = c.setMaxPrice(ctx, a)
	default:
		err = c.runBatch(ctx, a)
		if err == nil {
			result.Done = append([]string(nil), a.InstanceIDs...)
		}
	}
	if err != nil {
		return describeActionFailure(a, a.operationText(), err)
	}
	return nil
}

// RestartInstances restarts instances of a scale set in one batch request.
func (c *Client) RestartInstances(ctx context.Context, resourceGroup, scaleSet string,
	ids []string) (ActionResult, error) {
	return c.Run(ctx, Action{Kind: ActionRestart, ResourceGroup: resourceGroup,
		ScaleSet: scaleSet, InstanceIDs: ids})
}

// ReimageInstances reimages instances of a scale set in one batch request.
func (c *Client) ReimageInstances(ctx context.Context, resourceGroup, scaleSet string,
	ids []string) (ActionResult, error) {
	return c.Run(ctx, Action{Kind: ActionReimage, ResourceGroup: resourceGroup,
		ScaleSet: scaleSet, InstanceIDs: ids})
}

// DeleteInstances deletes instances of a scale set in one batch request; the capacity
// drops by their number.
func (c *Client) DeleteInstances(ctx context.Context, resourceGroup, scaleSet string,
	ids []string) (ActionResult, error) {
	return c.Run(ctx, Action{Kind: ActionDelete, ResourceGroup: resourceGroup,
		ScaleSet: scaleSet, InstanceIDs: ids})
}

// StartInstances starts deallocated instances of a scale set in one batch request.
func (c *Client) StartInstances(ctx context.Context, resourceGroup, scaleSet string,
	ids []string) (ActionResult, error) {
	return c.Run(ctx, Action{Kind: ActionStart, ResourceGroup: resourceGroup,
		ScaleSet: scaleSet, InstanceIDs: ids})
}

// SimulateEviction asks Azure to evict Spot instances as a real eviction would, one
// request per instance (Azure has no batch form). Azure answers at once; the eviction
// follows within about 30 minutes.
func (c *Client) SimulateEviction(ctx context.Context, resourceGroup, scaleSet string,
	ids []string) (ActionResult, error) {
	return c.Run(ctx, Action{Kind: ActionSimulateEviction, ResourceGroup: resourceGroup,
		ScaleSet: scaleSet, InstanceIDs: ids})
}

// Scale sets the capacity of a scale set. The request carries sku.capacity and nothing
// else: sending the model back would mark every instance as behind the latest model.
func (c *Client) Scale(ctx context.Context, resourceGroup, scaleSet string,
	capacity int64) (ActionResult, error) {
	return c.Run(ctx, Action{Kind: ActionScale, ResourceGroup: resourceGroup,
		ScaleSet: scaleSet, Capacity: &capacity})
}

// SetMaxPrice sets the Spot max price of a scale set, in USD per hour (-1: never evict
// for price). The request carries billingProfile.maxPrice and nothing else. Azure applies
// a new max price only to deallocated instances and refuses the change while instances
// run: deallocate them, set the price, start them.
func (c *Client) SetMaxPrice(ctx context.Context, resourceGroup, scaleSet string,
	price float64) (ActionResult, error) {
	return c.Run(ctx, Action{Kind: ActionMaxPrice, ResourceGroup: resourceGroup,
		ScaleSet: scaleSet, MaxPrice: &price})
}

// runBatch sends a scale set's batch operation for the chosen instances and waits.
func (c *Client) runBatch(ctx context.Context, a Action) error {
	group, name := a.ResourceGroup, a.ScaleSet
	ids := to.SliceOfPtrs(a.InstanceIDs...)
	switch a.Kind {
	case ActionRestart:
		options := &armcompute.VirtualMachineScaleSetsClientBeginRestartOptions{
			VMInstanceIDs: &armcompute.VirtualMachineScaleSetVMInstanceIDs{InstanceIDs: ids}}
		poller, err := c.scaleSets.BeginRestart(ctx, group, name, options)
		return await(ctx, poller, err)
	case ActionStart:
		options := &armcompute.VirtualMachineScaleSetsClientBeginStartOptions{
			VMInstanceIDs: &armcompute.VirtualMachineScaleSetVMInstanceIDs{InstanceIDs: ids}}
		poller, err := c.scaleSets.BeginStart(ctx, group, name, options)
		return await(ctx, poller, err)
	case ActionReimage:
		options := &armcompute.VirtualMachineScaleSetsClientBeginReimageOptions{
			VMScaleSetReimageInput: &armcompute.VirtualMachineScaleSetReimageParameters{
				InstanceIDs: ids}}
		poller, err := c.scaleSets.BeginReimage(ctx, group, name, options)
		return await(ctx, poller, err)
	case ActionDelete:
		required := armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs{InstanceIDs: ids}
		poller, err := c.scaleSets.BeginDeleteInstances(ctx, group, name, required, nil)
		return await(ctx, poller, err)
	}
	return invalid("%s is not a batch operation", a.Kind)
}

// await polls a long-running operation until the platform reports it done; err is the
// error of starting it.
func await[T any](ctx context.Context, poller *runtime.Poller[T], err error) error {
	_, err = awaitResult(ctx, poller, err)
	return err
}

// awaitResult is await for operations whose final answer is needed.
func awaitResult[T any](ctx context.Context, poller *runtime.Poller[T], err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: actionPollEvery})
}

// simulateEvictions sends one request per instance and carries on past a failure, so
// that one instance already being evicted does not spare the others.
func (c *Client) simulateEvictions(ctx context.Context, a Action, result *ActionResult) error {
	var errs []error
	for _, id := range a.InstanceIDs {
		_, err := c.instances.SimulateEviction(ctx, a.ResourceGroup, a.ScaleSet, id, nil)
		if err == nil {
			result.Done = append(result.Done, id)
			continue
		}
		operation := fmt.Sprintf("simulate eviction of instance %s of scale set %s in "+
			"resource group %s", id, a.ScaleSet, a.ResourceGroup)
		err = describeActionFailure(a, operation, err)
		result.Failed = append(result.Failed, InstanceFailure{InstanceID: id, Err: err})
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// scale sends a PATCH whose body is {"sku":{"capacity":N}} and nothing more.
func (c *Client) scale(ctx context.Context, a Action) (*ScaleSet, error) {
	update := armcompute.VirtualMachineScaleSetUpdate{
		SKU: &armcompute.SKU{Capacity: to.Ptr(*a.Capacity)},
	}
	return c.patchScaleSet(ctx, a, update)
}

// setMaxPrice sends a PATCH whose body holds only the billing profile's max price.
func (c *Client) setMaxPrice(ctx context.Context, a Action) (*ScaleSet, error) {
	update := armcompute.VirtualMachineScaleSetUpdate{
		Properties: &armcompute.VirtualMachineScaleSetUpdateProperties{
			VirtualMachineProfile: &armcompute.VirtualMachineScaleSetUpdateVMProfile{
				BillingProfile: &armcompute.BillingProfile{MaxPrice: to.Ptr(*a.MaxPrice)},
			},
		},
	}
	return c.patchScaleSet(ctx, a, update)
}

func (c *Client) patchScaleSet(ctx context.Context, a Action,
	update armcompute.VirtualMachineScaleSetUpdate) (*ScaleSet, error) {
	poller, err := c.scaleSets.BeginUpdate(ctx, a.ResourceGroup, a.ScaleSet, update, nil)
	resp, err := awaitResult(ctx, poller, err)
	if err != nil {
		return nil, err
	}
	set := ScaleSetFromSDK(&resp.VirtualMachineScaleSet)
	return &set, nil
}

// operationText names the action for error messages.
func (a Action) operationText() string {
	if a.IsInstanceAction() {
		return a.verbPhrase() + " " + a.instancesPhrase()
	}
	switch a.Kind {
	case ActionScale:
		return fmt.Sprintf("scale %s to %d instances", a.scaleSetPhrase(), *a.Capacity)
	case ActionMaxPrice:
		return "set the Spot max price of " + a.scaleSetPhrase()
	}
	return a.Kind + " " + a.scaleSetPhrase()
}

// ReadScaleSet reads one scale set's model. A scale set that does not exist gives an
// error wrapping ErrTargetNotFound.
func (c *Client) ReadScaleSet(ctx context.Context, resourceGroup, name string) (ScaleSet,
	error) {
	operation := fmt.Sprintf("read scale set %s in resource group %s", name, resourceGroup)
	if err := checkScaleSetRef(resourceGroup, name); err != nil {
		return ScaleSet{}, fmt.Errorf("%s: %w: %w", operation, ErrInvalidAction, err)
	}
	resp, err := c.scaleSets.Get(ctx, resourceGroup, name, nil)
	if err != nil {
		return ScaleSet{}, markNotFound(describeFailure(operation,
			"resource group "+resourceGroup, err))
	}
	return ScaleSetFromSDK(&resp.VirtualMachineScaleSet), nil
}

// Plan checks an action against the scale set as it is now: the scale set and every
// named instance must exist, and the action must make sense for them. It reads the scale
// set and, for instance and max-price actions, its instances; it changes nothing.
func (c *Client) Plan(ctx context.Context, a Action) (ActionPlan, error) {
	if err := a.Validate(); err != nil {
		return ActionPlan{}, err
	}
	set, err := c.ReadScaleSet(ctx, a.ResourceGroup, a.ScaleSet)
	if err != nil {
		return ActionPlan{}, err
	}
	if a.IsInstanceAction() || a.Kind == ActionMaxPrice {
		set.Instances, err = c.ListInstances(ctx, a.ResourceGroup, a.ScaleSet)
		if err != nil {
			return ActionPlan{}, markNotFound(err)
		}
	}
	if err := checkAgainst(a, set); err != nil {
		return ActionPlan{}, err
	}
	return ActionPlan{
		Action:      a,
		ScaleSet:    set,
		Destructive: a.DestructiveGiven(set.Capacity),
		Description: a.DescribeGiven(set.Capacity),
		Warnings:    warningsFor(a, set),
	}, nil
}

// checkAgainst refuses what the scale set cannot do: unknown instances, and Spot-only
// actions on a scale set that is not Spot.
func checkAgainst(a Action, set ScaleSet) error {
	if a.IsInstanceAction() {
		if missing := missingInstances(a.InstanceIDs, set.Instances); len(missing) > 0 {
			return fmt.Errorf("%w: scale set %s has no instance %s; it has %s",
				ErrTargetNotFound, a.ScaleSet, strings.Join(missing, ", "),
				instanceList(set.Instances))
		}
	}
	spotOnly := a.Kind == ActionSimulateEviction || a.Kind == ActionMaxPrice
	if spotOnly && set.Priority != "" && set.Priority != "spot" {
		return invalid("scale set %s runs %s-priority instances; %s applies only to Spot "+
			"scale sets", a.ScaleSet, set.Priority, a.Kind)
	}
	return nil
}

// missingInstances returns the IDs not among the instances, compared without case.
func missingInstances(ids []string, instances []Instance) []string {
	present := map[string]bool{}
	for _, in := range instances {
		present[strings.ToLower(in.ID)] = true
	}
	var missing []string
	for _, id := range ids {
		if !present[strings.ToLower(id)] {
			missing = append(missing, id)
		}
	}
	return missing
}

// instanceList names a scale set's instances for an error message, "none" when empty.
func instanceList(instances []Instance) string {
	ids := make([]string, 0, len(instances))
	for _, in := range instances {
		if in.ID != "" {
			ids = append(ids, in.ID)
		}
	}
	if len(ids) == 0 {
		return "none"
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}

// warningsFor lists what the operator should know before confirming.
func warningsFor(a Action, set ScaleSet) []string {
	var warnings []string
	switch a.Kind {
	case ActionStart:
		if running := instancesNotIn(a.InstanceIDs, set.Instances, PowerDeallocated,
			PowerStopped); len(running) > 0 {
			warnings = append(warnings, "not deallocated, so start changes nothing for "+
				"them: instance "+strings.Join(running, ", "))
		}
	case ActionMaxPrice:
		if running := instancesNotIn(nil, set.Instances, PowerDeallocated); len(running) > 0 {
			warnings = append(warnings, fmt.Sprintf("%d instances are not deallocated; Azure "+
				"refuses a new max price until they are (az vmss deallocate)", len(running)))
		}
	case ActionScale:
		if set.Capacity != nil && *set.Capacity == *a.Capacity {
			warnings = append(warnings, fmt.Sprintf("the capacity is already %d", *a.Capacity))
		}
	}
	return warnings
}

// instancesNotIn returns the IDs, among ids (all instances when ids is nil), of the
// instances whose power state is known and none of the given states.
func instancesNotIn(ids []string, instances []Instance, states ...string) []string {
	wanted := map[string]bool{}
	for _, id := range ids {
		wanted[strings.ToLower(id)] = true
	}
	var out []string
	for _, in := range instances {
		if (ids != nil && !wanted[strings.ToLower(in.ID)]) || in.Power == "" {
			continue
		}
		if !containsString(states, in.Power) {
			out = append(out, in.ID)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

// describeActionFailure wraps an error of a change like describeFailure does for reads,
// with the fixes a change needs: a write needs more than Reader, and a refused or
// throttled change calls for other advice than a read.
func describeActionFailure(a Action, operation string, err error) error {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		return fmt.Errorf("%s: %w", operation, err)
	}
	described := &armError{
		code:    respErr.ErrorCode,
		status:  respErr.StatusCode,
		message: clipLine(armMessage(respErr.RawResponse), maxARMMessageRunes),
		err:     respErr,
	}
	described.hint = actionHint(a, described)
	if described.hint == "" {
		described.hint = hintFor(described.code, described.status,
			"resource group "+a.ResourceGroup, retryAfter(respErr.RawResponse))
	}
	return markNotFound(fmt.Errorf("%s: %w", operation, described))
}

// actionHint returns the fix for a refused change, or "" to keep the generic one.
func actionHint(a Action, e *armError) string {
	code := strings.ToLower(e.code)
	switch {
	case code == "authorizationfailed" || code == "linkedauthorizationfailed" ||
		e.status == http.StatusForbidden:
		return "grant the " + writerRole + " role on resource group " + a.ResourceGroup +
			" (changing instances needs more than Reader)"
	case e.status == http.StatusTooManyRequests || code == "toomanyrequests":
		return changeThrottleHint(retryAfter(e.err.RawResponse))
	case a.Kind == ActionMaxPrice && (e.status == http.StatusConflict ||
		code == "operationnotallowed"):
		return "Azure changes the max price only while the instances are deallocated: " +
			"run az vmss deallocate, set the price, then start them"
	case e.status == http.StatusConflict:
		return "another operation on the scale set is still running, or an instance is " +
			"in a state that refuses this; wait for it to finish and try again"
	}
	return ""
}

// changeThrottleHint says how long to wait before sending the change again.
func changeThrottleHint(retryAfter string) string {
	if retryAfter == "" {
		return "Azure is throttling changes to this scale set; wait a few minutes and " +
			"try again"
	}
	if strings.Trim(retryAfter, "0123456789") == "" {
		return "Azure is throttling changes to this scale set; wait " + retryAfter +
			" s and try again"
	}
	return "Azure is throttling changes to this scale set; wait until " + retryAfter +
		" and try again"
}

// notFoundError marks an error about a scale set or instance that does not exist, so
// callers can tell it apart (the CLI exits 3) while the message stays Azure's.
type notFoundError struct {
	err error
}

func (e *notFoundError) Error() string { return e.err.Error() }

func (e *notFoundError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrTargetNotFound) hold.
func (e *notFoundError) Is(target error) bool { return target == ErrTargetNotFound }

// markNotFound marks errors that carry a 404 from Azure.
func markNotFound(err error) error {
	var armErr *armError
	if errors.As(err, &armErr) && armErr.status == http.StatusNotFound {
		return &notFoundError{err: err}
	}
	return err
}
