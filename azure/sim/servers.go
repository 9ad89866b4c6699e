package sim

import (
	"context"
	"net/http"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
)

// The Compute fake servers' methods that answer from the fleet model. An operation left nil
// here is answered 501 by the fake; serving one more is a matter of adding its method below
// and its effect on the model in the file of its concern.

// computeServers returns the Compute fakes that answer one request; lists read the
// request's URL for their paging cursor.
func (s *Sim) computeServers(req *http.Request) *fake.ServerFactory {
	u := req.URL
	return &fake.ServerFactory{
		VirtualMachineScaleSetsServer: fake.VirtualMachineScaleSetsServer{
			NewListAllPager: func(*listAllOptions) azfake.PagerResponder[listAllResponse] {
				return s.listAllPage(u)
			},
			NewListPager: func(group string, _ *listOptions) azfake.PagerResponder[listResponse] {
				return s.listPage(u, group)
			},
			Get:                  s.getScaleSet,
			BeginUpdateInstances: s.beginUpdateInstances,
			// Creating a scale set is the setup wizard's business (setup_create.go).
			BeginCreateOrUpdate: s.beginCreateScaleSet,
			// Operator actions (actions.go).
			BeginRestart:         s.beginRestart,
			BeginReimage:         s.beginReimage,
			BeginStart:           s.beginStart,
			BeginDeleteInstances: s.beginDeleteInstances,
			BeginUpdate:          s.beginUpdateScaleSet,
		},
		VirtualMachineScaleSetVMsServer: fake.VirtualMachineScaleSetVMsServer{
			NewListPager: func(group, name string,
				opts *instanceListOptions) azfake.PagerResponder[instanceListResponse] {
				return s.listInstancesPage(u, group, name, opts)
			},
			Get:              s.getInstance,
			GetInstanceView:  s.getInstanceView,
			SimulateEviction: s.simulateEvictionOf,
		},
		VirtualMachineScaleSetExtensionsServer:      s.extensionsServer(),
		VirtualMachineScaleSetRollingUpgradesServer: s.rollingServer(),
	}
}

func (s *Sim) getScaleSet(_ context.Context, resourceGroup, name string,
	_ *armcompute.VirtualMachineScaleSetsClientGetOptions) (
	resp azfake.Responder[armcompute.VirtualMachineScaleSetsClientGetResponse],
	errResp azfake.ErrorResponder) {
	s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, err := s.findScaleSet(resourceGroup, name)
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	answer := armcompute.VirtualMachineScaleSetsClientGetResponse{
		VirtualMachineScaleSet: *armScaleSet(ss),
	}
	resp.SetResponse(http.StatusOK, answer, nil)
	return resp, errResp
}

// beginUpdateInstances is the manual upgrade of chosen instances: they report Updating
// and apply the latest model when the operation ends (upgrades.go).
func (s *Sim) beginUpdateInstances(ctx context.Context, resourceGroup, name string,
	ids armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs,
	_ *armcompute.VirtualMachineScaleSetsClientBeginUpdateInstancesOptions) (
	resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientUpdateInstancesResponse],
	errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, err := s.findScaleSet(resourceGroup, name)
	ends := now
	if err == nil {
		ends, err = s.upgradeInstances(ss, ids.InstanceIDs, now)
	}
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	s.beginOperation(ctx, OpUpdateInstances, ends, doneAt)
	resp.AddNonTerminalResponse(http.StatusAccepted, nil)
	return resp, errResp
}

func (s *Sim) getInstance(_ context.Context, resourceGroup, name, instanceID string,
	opts *armcompute.VirtualMachineScaleSetVMsClientGetOptions) (
	resp azfake.Responder[armcompute.VirtualMachineScaleSetVMsClientGetResponse],
	errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, in, err := s.findInstance(resourceGroup, name, instanceID)
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	withView := opts != nil && opts.Expand != nil &&
		strings.EqualFold(string(*opts.Expand), string(armcompute.InstanceViewTypesInstanceView))
	answer := armcompute.VirtualMachineScaleSetVMsClientGetResponse{
		VirtualMachineScaleSetVM: *armInstance(ss, in, now, withView),
	}
	resp.SetResponse(http.StatusOK, answer, nil)
	return resp, errResp
}

func (s *Sim) getInstanceView(_ context.Context, resourceGroup, name, instanceID string,
	_ *armcompute.VirtualMachineScaleSetVMsClientGetInstanceViewOptions) (
	resp azfake.Responder[armcompute.VirtualMachineScaleSetVMsClientGetInstanceViewResponse],
	errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, in, err := s.findInstance(resourceGroup, name, instanceID)
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	view := armInstanceView(ss, in, in.stateAt(ss, now))
	answer := armcompute.VirtualMachineScaleSetVMsClientGetInstanceViewResponse{
		VirtualMachineScaleSetVMInstanceView: *view,
	}
	resp.SetResponse(http.StatusOK, answer, nil)
	return resp, errResp
}

// simulateEvictionOf answers 204 at once, as Azure does; the eviction itself plays out
// over the following simulated minute (evictions.go).
func (s *Sim) simulateEvictionOf(_ context.Context, resourceGroup, name, instanceID string,
	_ *armcompute.VirtualMachineScaleSetVMsClientSimulateEvictionOptions) (
	resp azfake.Responder[armcompute.VirtualMachineScaleSetVMsClientSimulateEvictionResponse],
	errResp azfake.ErrorResponder) {
	now := s.lockAndAdvance()
	defer s.mu.Unlock()
	ss, in, err := s.findInstance(resourceGroup, name, instanceID)
	if err == nil {
		err = s.simulateEviction(ss, in, now)
	}
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	resp.SetResponse(http.StatusNoContent,
		armcompute.VirtualMachineScaleSetVMsClientSimulateEvictionResponse{}, nil)
	return resp, errResp
}
