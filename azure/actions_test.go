package azure

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
)

// Short names for the fakes' long response types.
type (
	deleteResponse = armcompute.VirtualMachineScaleSetsClientDeleteInstancesResponse
	deletePoller   = azfake.PollerResponder[deleteResponse]
	evictResponse  = armcompute.VirtualMachineScaleSetVMsClientSimulateEvictionResponse
	evictResponder = azfake.Responder[evictResponse]
)

// batchServers returns fake servers whose restart, start, reimage and delete record the
// instance IDs they receive and answer "in progress" once before succeeding.
func batchServers(got map[string][]string) *fake.VirtualMachineScaleSetsServer {
	record := func(kind string, ids []*string) { got[kind] = stringsOf(ids) }
	return &fake.VirtualMachineScaleSetsServer{
		BeginRestart: func(_ context.Context, _, _ string,
			o *armcompute.VirtualMachineScaleSetsClientBeginRestartOptions) (
			resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientRestartResponse],
			errResp azfake.ErrorResponder) {
			record(ActionRestart, o.VMInstanceIDs.InstanceIDs)
			return slowPoller(http.StatusAccepted,
				armcompute.VirtualMachineScaleSetsClientRestartResponse{}), errResp
		},
		BeginStart: func(_ context.Context, _, _ string,
			o *armcompute.VirtualMachineScaleSetsClientBeginStartOptions) (
			resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientStartResponse],
			errResp azfake.ErrorResponder) {
			record(ActionStart, o.VMInstanceIDs.InstanceIDs)
			return slowPoller(http.StatusAccepted,
				armcompute.VirtualMachineScaleSetsClientStartResponse{}), errResp
		},
		BeginReimage: func(_ context.Context, _, _ string,
			o *armcompute.VirtualMachineScaleSetsClientBeginReimageOptions) (
			resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientReimageResponse],
			errResp azfake.ErrorResponder) {
			record(ActionReimage, o.VMScaleSetReimageInput.InstanceIDs)
			return slowPoller(http.StatusAccepted,
				armcompute.VirtualMachineScaleSetsClientReimageResponse{}), errResp
		},
		BeginDeleteInstances: func(_ context.Context, _, _ string,
			ids armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs,
			_ *armcompute.VirtualMachineScaleSetsClientBeginDeleteInstancesOptions) (
			resp deletePoller,
			errResp azfake.ErrorResponder) {
			record(ActionDelete, ids.InstanceIDs)
			return slowPoller(http.StatusAccepted,
				armcompute.VirtualMachineScaleSetsClientDeleteInstancesResponse{}), errResp
		},
	}
}

func TestBatchActionsSendTheChosenInstancesAndWait(t *testing.T) {
	tests := []struct {
		kind     string
		run      func(*Client, context.Context, []string) (ActionResult, error)
		pathTail string
	}{
		{ActionRestart, func(c *Client, ctx context.Context, ids []string) (ActionResult, error) {
			return c.RestartInstances(ctx, actionGroup, actionScaleSet, ids)
		}, "/restart"},
		{ActionStart, func(c *Client, ctx context.Context, ids []string) (ActionResult, error) {
			return c.StartInstances(ctx, actionGroup, actionScaleSet, ids)
		}, "/start"},
		{ActionReimage, func(c *Client, ctx context.Context, ids []string) (ActionResult, error) {
			return c.ReimageInstances(ctx, actionGroup, actionScaleSet, ids)
		}, "/reimage"},
		{ActionDelete, func(c *Client, ctx context.Context, ids []string) (ActionResult, error) {
			return c.DeleteInstances(ctx, actionGroup, actionScaleSet, ids)
		}, "/delete"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			got := map[string][]string{}
			client, wire := newActionClient(t, batchServers(got), nil)
			ids := []string{"1", "4"}
			result, err := tt.run(client, actionContext(t), ids)
			if err != nil {
				t.Fatalf("%s: %v", tt.kind, err)
			}
			if strings.Join(got[tt.kind], ",") != "1,4" {
				t.Errorf("server received instances %v, want [1 4]", got[tt.kind])
			}
			if strings.Join(result.Done, ",") != "1,4" || len(result.Failed) != 0 {
				t.Errorf("result Done %v Failed %v, want all done", result.Done, result.Failed)
			}
			if result.Finished.Before(result.Started) || result.ScaleSet != nil {
				t.Errorf("result times %v..%v, scale set %v", result.Started, result.Finished,
					result.ScaleSet)
			}
			seen := wire.seen()
			if len(seen) < 2 {
				t.Fatalf("saw %d requests, want the operation and at least one poll", len(seen))
			}
			if seen[0].method != http.MethodPost || !strings.HasSuffix(seen[0].path, tt.pathTail) {
				t.Errorf("first request %s %s, want POST …%s", seen[0].method, seen[0].path,
					tt.pathTail)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(seen[0].body), &body); err != nil {
				t.Errorf("body %q is not JSON: %v", seen[0].body, err)
			}
		})
	}
}

// updateServer answers Update with the model it returns, after one "in progress" 200 (the
// only in-progress status the fake accepts for Update), and records the parameters.
func updateServer(answer armcompute.VirtualMachineScaleSet,
	got *armcompute.VirtualMachineScaleSetUpdate) *fake.VirtualMachineScaleSetsServer {
	return &fake.VirtualMachineScaleSetsServer{
		BeginUpdate: func(_ context.Context, _, _ string,
			params armcompute.VirtualMachineScaleSetUpdate,
			_ *armcompute.VirtualMachineScaleSetsClientBeginUpdateOptions) (
			resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientUpdateResponse],
			errResp azfake.ErrorResponder) {
			*got = params
			return slowPoller(http.StatusOK,
				armcompute.VirtualMachineScaleSetsClientUpdateResponse{
					VirtualMachineScaleSet: answer}), errResp
		},
	}
}

func TestScaleSendsOnlyTheCapacity(t *testing.T) {
	var got armcompute.VirtualMachineScaleSetUpdate
	client, wire := newActionClient(t, updateServer(actionScaleSetModel(3, -1), &got), nil)
	result, err := client.Scale(actionContext(t), actionGroup, actionScaleSet, 3)
	if err != nil {
		t.Fatalf("Scale: %v", err)
	}
	seen := wire.seen()
	if seen[0].method != http.MethodPatch {
		t.Errorf("method = %s, want PATCH (PUT would send the model back)", seen[0].method)
	}
	if seen[0].body != `{"sku":{"capacity":3}}` {
		t.Errorf("body = %s, want exactly {\"sku\":{\"capacity\":3}}", seen[0].body)
	}
	if got.Properties != nil || got.SKU == nil || got.SKU.Name != nil || got.SKU.Tier != nil {
		t.Errorf("server received more than the capacity: %+v", got)
	}
	if result.ScaleSet == nil || result.ScaleSet.Capacity == nil ||
		*result.ScaleSet.Capacity != 3 {
		t.Errorf("result scale set = %+v, want capacity 3", result.ScaleSet)
	}
}

func TestSetMaxPriceSendsOnlyTheBillingProfile(t *testing.T) {
	var got armcompute.VirtualMachineScaleSetUpdate
	client, wire := newActionClient(t, updateServer(actionScaleSetModel(2, 0.05), &got), nil)
	result, err := client.SetMaxPrice(actionContext(t), actionGroup, actionScaleSet, 0.05)
	if err != nil {
		t.Fatalf("SetMaxPrice: %v", err)
	}
	want := `{"properties":{"virtualMachineProfile":{"billingProfile":{"maxPrice":0.05}}}}`
	if body := wire.seen()[0].body; body != want {
		t.Errorf("body = %s, want %s", body, want)
	}
	if result.ScaleSet == nil || result.ScaleSet.MaxPrice == nil ||
		*result.ScaleSet.MaxPrice != 0.05 {
		t.Errorf("result scale set = %+v, want max price 0.05", result.ScaleSet)
	}
}

func TestScaleToleratesAnEmptyAnswer(t *testing.T) {
	var got armcompute.VirtualMachineScaleSetUpdate
	client, _ := newActionClient(t, updateServer(armcompute.VirtualMachineScaleSet{}, &got), nil)
	result, err := client.Scale(actionContext(t), actionGroup, actionScaleSet, 0)
	if err != nil {
		t.Fatalf("Scale: %v", err)
	}
	if result.ScaleSet == nil || result.ScaleSet.Capacity != nil || result.ScaleSet.Name != "" {
		t.Errorf("an empty answer gave %+v, want an empty scale set", result.ScaleSet)
	}
}

func TestSimulateEvictionGoesOnPastAFailure(t *testing.T) {
	var order []string
	vms := &fake.VirtualMachineScaleSetVMsServer{
		SimulateEviction: func(_ context.Context, _, _, id string,
			_ *armcompute.VirtualMachineScaleSetVMsClientSimulateEvictionOptions) (
			resp evictResponder,
			errResp azfake.ErrorResponder) {
			order = append(order, id)
			if id == "2" {
				errResp.SetResponseError(http.StatusConflict, "OperationNotAllowed")
				return resp, errResp
			}
			resp.SetResponse(http.StatusNoContent,
				armcompute.VirtualMachineScaleSetVMsClientSimulateEvictionResponse{}, nil)
			return resp, errResp
		},
	}
	client, wire := newActionClient(t, nil, vms)
	result, err := client.SimulateEviction(actionContext(t), actionGroup, actionScaleSet,
		[]string{"1", "2", "3"})
	if err == nil {
		t.Fatal("SimulateEviction succeeded although instance 2 was refused")
	}
	assertContainsAll(t, "error", err.Error(), "instance 2", "OperationNotAllowed", "409")
	if strings.Join(order, ",") != "1,2,3" || strings.Join(result.Done, ",") != "1,3" {
		t.Errorf("sent %v, done %v; want all sent, 1 and 3 done", order, result.Done)
	}
	if len(result.Failed) != 1 || result.Failed[0].InstanceID != "2" {
		t.Errorf("failed = %+v, want instance 2", result.Failed)
	}
	for _, r := range wire.seen() {
		if !strings.HasSuffix(r.path, "/simulateEviction") || r.method != http.MethodPost {
			t.Errorf("request %s %s, want POST …/simulateEviction", r.method, r.path)
		}
	}
}

// refusingServers make every batch operation and Update fail as given, either when the
// operation starts or, with duringPoll, in the poll that follows.
func refusingServers(status int, code string, duringPoll bool) *fake.VirtualMachineScaleSetsServer {
	return &fake.VirtualMachineScaleSetsServer{
		BeginRestart: func(_ context.Context, _, _ string,
			_ *armcompute.VirtualMachineScaleSetsClientBeginRestartOptions) (
			resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientRestartResponse],
			errResp azfake.ErrorResponder) {
			if duringPoll {
				resp.AddNonTerminalResponse(http.StatusAccepted, nil)
				resp.SetTerminalError(status, code)
				return resp, errResp
			}
			errResp.SetResponseError(status, code)
			return resp, errResp
		},
		BeginDeleteInstances: func(_ context.Context, _, _ string,
			_ armcompute.VirtualMachineScaleSetVMInstanceRequiredIDs,
			_ *armcompute.VirtualMachineScaleSetsClientBeginDeleteInstancesOptions) (
			resp deletePoller,
			errResp azfake.ErrorResponder) {
			errResp.SetResponseError(status, code)
			return resp, errResp
		},
		BeginUpdate: func(_ context.Context, _, _ string,
			_ armcompute.VirtualMachineScaleSetUpdate,
			_ *armcompute.VirtualMachineScaleSetsClientBeginUpdateOptions) (
			resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientUpdateResponse],
			errResp azfake.ErrorResponder) {
			errResp.SetResponseError(status, code)
			return resp, errResp
		},
	}
}

func TestActionErrorsNameTheCodeAndTheFix(t *testing.T) {
	restart := Action{Kind: ActionRestart, ResourceGroup: actionGroup, ScaleSet: actionScaleSet,
		InstanceIDs: []string{"1"}}
	del := restart
	del.Kind = ActionDelete
	price := Action{Kind: ActionMaxPrice, ResourceGroup: actionGroup, ScaleSet: actionScaleSet,
		MaxPrice: to.Ptr(0.04)}
	tests := []struct {
		name         string
		action       Action
		status       int
		code         string
		duringPoll   bool
		wantParts    []string
		wantNotFound bool
	}{
		{name: "conflict", action: restart, status: http.StatusConflict, code: "Conflict",
			wantParts: []string{"restart instance 1 of scale set vmss-func", "Conflict (409)",
				"wait for it to finish"}},
		{name: "conflict while polling", action: restart, status: http.StatusConflict,
			code: "Conflict", duringPoll: true, wantParts: []string{"Conflict", "409"}},
		{name: "not found", action: del, status: http.StatusNotFound, code: "ResourceNotFound",
			wantParts:    []string{"delete instance 1", "ResourceNotFound (404)", "check the"},
			wantNotFound: true},
		{name: "forbidden", action: del, status: http.StatusForbidden,
			code: "AuthorizationFailed",
			wantParts: []string{"AuthorizationFailed (403)", "Virtual Machine Contributor",
				actionGroup}},
		{name: "max price refused", action: price, status: http.StatusConflict,
			code:      "OperationNotAllowed",
			wantParts: []string{"set the Spot max price", "deallocate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _ := newActionClient(t, refusingServers(tt.status, tt.code, tt.duringPoll),
				nil)
			_, err := client.Run(actionContext(t), tt.action)
			if err == nil {
				t.Fatal("Run succeeded against a refusing server")
			}
			assertContainsAll(t, "error", err.Error(), tt.wantParts...)
			if got := errors.Is(err, ErrTargetNotFound); got != tt.wantNotFound {
				t.Errorf("errors.Is(err, ErrTargetNotFound) = %t, want %t", got, tt.wantNotFound)
			}
			if ErrorCode(err) != tt.code {
				t.Errorf("ErrorCode = %q, want %q", ErrorCode(err), tt.code)
			}
		})
	}
}

func TestThrottledActionSaysHowLongToWait(t *testing.T) {
	client, wire := newActionClient(t, batchServers(map[string][]string{}), nil)
	wire.answer = throttledAnswer(t)
	_, err := client.RestartInstances(actionContext(t), actionGroup, actionScaleSet,
		[]string{"0"})
	if err == nil {
		t.Fatal("restart succeeded against a throttled endpoint")
	}
	assertContainsAll(t, "error", err.Error(), "(429)", "wait 1200 s", "throttling changes")
	if n := len(wire.seen()); n != 1 {
		t.Errorf("sent %d requests; a Retry-After of 20 minutes must not be retried at once", n)
	}
}

func TestRunRefusesInvalidActionsWithoutARequest(t *testing.T) {
	client, wire := newActionClient(t, batchServers(map[string][]string{}), nil)
	bad := Action{Kind: ActionScale, ResourceGroup: actionGroup, ScaleSet: actionScaleSet,
		Capacity: to.Ptr(int64(-1))}
	if _, err := client.Run(actionContext(t), bad); !errors.Is(err, ErrInvalidAction) {
		t.Errorf("Run(%+v) err = %v, want ErrInvalidAction", bad, err)
	}
	if n := len(wire.seen()); n != 0 {
		t.Errorf("an invalid action sent %d requests", n)
	}
}

func TestRunStopsWhenTheContextEnds(t *testing.T) {
	never := &fake.VirtualMachineScaleSetsServer{
		BeginRestart: func(_ context.Context, _, _ string,
			_ *armcompute.VirtualMachineScaleSetsClientBeginRestartOptions) (
			resp azfake.PollerResponder[armcompute.VirtualMachineScaleSetsClientRestartResponse],
			errResp azfake.ErrorResponder) {
			for i := 0; i < 1000; i++ {
				resp.AddNonTerminalResponse(http.StatusAccepted, nil)
			}
			resp.SetTerminalResponse(http.StatusOK,
				armcompute.VirtualMachineScaleSetsClientRestartResponse{}, nil)
			return resp, errResp
		},
	}
	client, wire := newActionClient(t, never, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The operation has started and is being polled when the operator gives up.
	wire.answered = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	_, err := client.RestartInstances(ctx, actionGroup, actionScaleSet, []string{"1"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := len(wire.seen()); n > 3 {
		t.Errorf("%d requests after the context ended at the second", n)
	}
}

func TestPlan(t *testing.T) {
	regular := actionScaleSetModel(2, -1)
	regular.Properties.VirtualMachineProfile.Priority = to.Ptr(
		armcompute.VirtualMachinePriorityTypesRegular)
	instances := []*armcompute.VirtualMachineScaleSetVM{actionInstance("0", "running"),
		actionInstance("1", "deallocated"), nil, {}}
	tests := []struct {
		name            string
		fleet           actionFleet
		action          Action
		wantErr         error
		wantErrParts    []string
		wantDestructive bool
		wantWarning     string
		wantDescription string
	}{
		{name: "restart known instances", action: actionOn(ActionRestart, "0", "1"),
			fleet:           actionFleet{set: actionScaleSetModel(2, -1), instances: instances},
			wantDescription: "restart instances 0, 1 of scale set vmss-func"},
		{name: "unknown instance", action: actionOn(ActionDelete, "0", "7"),
			fleet:        actionFleet{set: actionScaleSetModel(2, -1), instances: instances},
			wantErr:      ErrTargetNotFound,
			wantErrParts: []string{"no instance 7", "it has 0, 1"}},
		{name: "missing scale set", action: actionOn(ActionRestart, "0"),
			fleet:        actionFleet{getStatus: http.StatusNotFound, getCode: "ResourceNotFound"},
			wantErr:      ErrTargetNotFound,
			wantErrParts: []string{"read scale set vmss-func", "ResourceNotFound"}},
		{name: "eviction of a regular scale set", action: actionOn(ActionSimulateEviction, "0"),
			fleet:        actionFleet{set: regular, instances: instances},
			wantErr:      ErrInvalidAction,
			wantErrParts: []string{"regular-priority", "only to Spot"}},
		{name: "start a running instance", action: actionOn(ActionStart, "0", "1"),
			fleet:       actionFleet{set: actionScaleSetModel(2, -1), instances: instances},
			wantWarning: "not deallocated, so start changes nothing for them: instance 0"},
		{name: "scale in", action: scaleTo(1),
			fleet:           actionFleet{set: actionScaleSetModel(2, -1)},
			wantDestructive: true,
			wantDescription: "from 2 to 1 instances: 1 instance is removed"},
		{name: "scale out", action: scaleTo(5),
			fleet:           actionFleet{set: actionScaleSetModel(2, -1)},
			wantDescription: "from 2 to 5 instances: 3 instances are added"},
		{name: "scale with unknown capacity", action: scaleTo(5),
			fleet:           actionFleet{set: armcompute.VirtualMachineScaleSet{}},
			wantDestructive: true, wantDescription: "current capacity is unknown"},
		{name: "max price with running instances",
			action: Action{Kind: ActionMaxPrice, ResourceGroup: actionGroup,
				ScaleSet: actionScaleSet, MaxPrice: to.Ptr(0.02)},
			fleet:       actionFleet{set: actionScaleSetModel(2, -1), instances: instances},
			wantWarning: "1 instances are not deallocated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sets, vms := tt.fleet.servers()
			client, _ := newActionClient(t, sets, vms)
			plan, err := client.Plan(actionContext(t), tt.action)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Plan err = %v, want %v", err, tt.wantErr)
				}
				assertContainsAll(t, "error", err.Error(), tt.wantErrParts...)
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if plan.Destructive != tt.wantDestructive {
				t.Errorf("Destructive = %t, want %t", plan.Destructive, tt.wantDestructive)
			}
			assertContainsAll(t, "description", plan.Description, tt.wantDescription)
			if tt.wantWarning != "" {
				assertContainsAll(t, "warnings", strings.Join(plan.Warnings, "; "),
					tt.wantWarning)
			}
		})
	}
}

func actionOn(kind string, ids ...string) Action {
	return Action{Kind: kind, ResourceGroup: actionGroup, ScaleSet: actionScaleSet,
		InstanceIDs: ids}
}

func scaleTo(n int64) Action {
	return Action{Kind: ActionScale, ResourceGroup: actionGroup, ScaleSet: actionScaleSet,
		Capacity: &n}
}

func TestValidate(t *testing.T) {
	price := func(p float64) *float64 { return &p }
	tests := []struct {
		name    string
		action  Action
		wantErr string
	}{
		{"restart", actionOn(ActionRestart, "0", "vmss_abc"), ""},
		{"scale to zero", scaleTo(0), ""},
		{"scale to the maximum", scaleTo(MaxCapacity), ""},
		{"unknown kind", actionOn("reboot", "0"), "unknown action"},
		{"no scale set", Action{Kind: ActionRestart, ResourceGroup: "g",
			InstanceIDs: []string{"0"}}, "--scale-set"},
		{"no resource group", Action{Kind: ActionRestart, ScaleSet: "s",
			InstanceIDs: []string{"0"}}, "--resource-group"},
		{"scale set with a slash", Action{Kind: ActionScale, ResourceGroup: "g",
			ScaleSet: "a/b", Capacity: to.Ptr(int64(1))}, "--scale-set"},
		{"no instances", actionOn(ActionDelete), "at least one instance"},
		{"empty instance", actionOn(ActionDelete, "1", " "), "empty"},
		{"duplicate instance", actionOn(ActionDelete, "1", "1"), "twice"},
		{"path in instance", actionOn(ActionDelete, "../x"), "--ids"},
		{"capacity on restart", Action{Kind: ActionRestart, ResourceGroup: "g", ScaleSet: "s",
			InstanceIDs: []string{"1"}, Capacity: to.Ptr(int64(1))}, "no capacity"},
		{"scale without capacity", Action{Kind: ActionScale, ResourceGroup: "g",
			ScaleSet: "s"}, "--capacity"},
		{"negative capacity", scaleTo(-1), "0 to 1000"},
		{"too many", scaleTo(MaxCapacity + 1), "0 to 1000"},
		{"never evict for price", maxPriceOf(price(-1)), ""},
		{"a price", maxPriceOf(price(0.01234)), ""},
		{"zero price", maxPriceOf(price(0)), "above 0"},
		{"negative price", maxPriceOf(price(-2)), "above 0"},
		{"NaN price", maxPriceOf(price(math.NaN())), "above 0"},
		{"six decimals", maxPriceOf(price(0.000001)), "5 decimals"},
		{"no price", maxPriceOf(nil), "--price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.action.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidAction) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate err = %v, want ErrInvalidAction mentioning %q", err,
					tt.wantErr)
			}
		})
	}
}

func maxPriceOf(p *float64) Action {
	return Action{Kind: ActionMaxPrice, ResourceGroup: "g", ScaleSet: "s", MaxPrice: p}
}

func TestDestructiveGiven(t *testing.T) {
	two := int64(2)
	tests := []struct {
		name    string
		action  Action
		current *int64
		want    bool
	}{
		{"delete", actionOn(ActionDelete, "1"), nil, true},
		{"reimage", actionOn(ActionReimage, "1"), nil, true},
		{"restart", actionOn(ActionRestart, "1"), nil, false},
		{"start", actionOn(ActionStart, "1"), nil, false},
		{"eviction", actionOn(ActionSimulateEviction, "1"), nil, false},
		{"scale in", scaleTo(1), &two, true},
		{"scale out", scaleTo(3), &two, false},
		{"scale to the same", scaleTo(2), &two, false},
		{"scale, current unknown", scaleTo(3), nil, true},
		{"max price", maxPriceOf(to.Ptr(0.1)), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.action.DestructiveGiven(tt.current); got != tt.want {
				t.Errorf("DestructiveGiven = %t, want %t", got, tt.want)
			}
			if tt.current == nil && tt.action.Destructive() != tt.want {
				t.Errorf("Destructive disagrees with DestructiveGiven(nil)")
			}
		})
	}
}

func TestDescribeNamesTargetsAndEffect(t *testing.T) {
	tests := []struct {
		action Action
		want   []string
	}{
		{actionOn(ActionRestart, "3"), []string{"restart instance 3 of scale set vmss-func",
			"resource group rg-func", "reboots"}},
		{actionOn(ActionReimage, "3", "4"), []string{"reimage instances 3, 4", "is lost"}},
		{actionOn(ActionDelete, "3"), []string{"delete instance 3", "cannot be undone"}},
		{actionOn(ActionStart, "3"), []string{"start instance 3", "boot again"}},
		{actionOn(ActionSimulateEviction, "3"), []string{"simulate a Spot eviction of instance 3",
			"30 minutes"}},
		{maxPriceOf(to.Ptr(-1.0)), []string{"max price of scale set s", "-1", "never evicted"}},
		{maxPriceOf(to.Ptr(0.05)), []string{"to 0.05 USD per hour", "deallocated"}},
	}
	for _, tt := range tests {
		t.Run(tt.action.Kind, func(t *testing.T) {
			assertContainsAll(t, "Describe", tt.action.Describe(), tt.want...)
		})
	}
}

func TestTargetsAndParams(t *testing.T) {
	restart := actionOn(ActionRestart, "1", "2")
	want := "rg-func/vmss-func/1 rg-func/vmss-func/2"
	if got := strings.Join(restart.Targets(), " "); got != want {
		t.Errorf("restart targets = %s", got)
	}
	if restart.Params() != nil {
		t.Errorf("restart params = %v, want none", restart.Params())
	}
	scale := scaleTo(4)
	if got := scale.Targets(); len(got) != 1 || got[0] != "rg-func/vmss-func" {
		t.Errorf("scale targets = %v", got)
	}
	if got := scale.Params()["capacity"]; got != "4" {
		t.Errorf("scale capacity param = %q", got)
	}
	if got := maxPriceOf(to.Ptr(0.00125)).Params()["maxPrice"]; got != "0.00125" {
		t.Errorf("max price param = %q", got)
	}
}
