package azure

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

const testVMID = "/subscriptions/s/resourceGroups/rg-spot/providers/Microsoft.Compute/" +
	"virtualMachineScaleSets/vmss-fn/virtualMachines/7"

func viewStatus(code, message string) *armcompute.InstanceViewStatus {
	s := &armcompute.InstanceViewStatus{Code: to.Ptr(code)}
	if message != "" {
		s.Message = to.Ptr(message)
	}
	return s
}

func healthStatus(code string) *armcompute.VirtualMachineHealthStatus {
	return &armcompute.VirtualMachineHealthStatus{Status: viewStatus(code, "")}
}

// extensionView is one extension of an instance view; an empty name or type is left out.
func extensionView(name, handlerType string,
	statuses ...*armcompute.InstanceViewStatus) *armcompute.VirtualMachineExtensionInstanceView {
	view := &armcompute.VirtualMachineExtensionInstanceView{Statuses: statuses}
	if name != "" {
		view.Name = to.Ptr(name)
	}
	if handlerType != "" {
		view.Type = to.Ptr(handlerType)
	}
	return view
}

func extensionViews(
	views ...*armcompute.VirtualMachineExtensionInstanceView,
) []*armcompute.VirtualMachineExtensionInstanceView {
	return views
}

// windowsScript is the Windows Custom Script Extension as a VM's resources list holds it.
func windowsScript(tag string) *armcompute.VirtualMachineExtension {
	return &armcompute.VirtualMachineExtension{
		Name: to.Ptr("deploy"),
		Properties: &armcompute.VirtualMachineExtensionProperties{
			Publisher:         to.Ptr("Microsoft.Compute"),
			Type:              to.Ptr("CustomScriptExtension"),
			ForceUpdateTag:    to.Ptr(tag),
			ProvisioningState: to.Ptr("Succeeded"),
		},
	}
}

// runningVM is an instance with a model and an instance view that reports it running;
// each case changes what it is about.
func runningVM(change func(vm *instanceModel)) *instanceModel {
	vm := &armcompute.VirtualMachineScaleSetVM{
		ID:         to.Ptr(testVMID),
		InstanceID: to.Ptr("7"),
		Name:       to.Ptr("vmss-fn_7"),
		Properties: &armcompute.VirtualMachineScaleSetVMProperties{
			LatestModelApplied: to.Ptr(true),
			ProvisioningState:  to.Ptr("Succeeded"),
			InstanceView: &armcompute.VirtualMachineScaleSetVMInstanceView{
				Statuses: []*armcompute.InstanceViewStatus{
					viewStatus("ProvisioningState/succeeded", ""),
					viewStatus("PowerState/running", ""),
				},
			},
		},
	}
	if change != nil {
		change(vm)
	}
	return vm
}

// runningInstance is what runningVM(nil) maps to.
func runningInstance(change func(inst *Instance)) Instance {
	inst := Instance{
		ID:           "7",
		Name:         "vmss-fn_7",
		Power:        PowerRunning,
		Provisioning: "succeeded",
		LatestModel:  to.Ptr(true),
		Health:       HealthNotReported,
	}
	if change != nil {
		change(&inst)
	}
	return inst
}

func withHealth(code string) func(vm *instanceModel) {
	return func(vm *instanceModel) {
		vm.Properties.InstanceView.VMHealth = healthStatus(code)
	}
}

func expectHealth(health string) func(inst *Instance) {
	return func(inst *Instance) { inst.Health = health }
}

func TestInstanceFromSDK(t *testing.T) {
	created := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	longOutput := strings.Repeat("é", 300)
	tests := []struct {
		name string
		vm   *armcompute.VirtualMachineScaleSetVM
		want Instance
	}{
		{name: "nil model", vm: nil, want: Instance{}},
		{name: "empty model", vm: &armcompute.VirtualMachineScaleSetVM{}, want: Instance{}},
		{name: "running, no vmHealth", vm: runningVM(nil), want: runningInstance(nil)},
		{
			name: "behind the latest model",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.LatestModelApplied = to.Ptr(false)
			}),
			want: runningInstance(func(inst *Instance) { inst.LatestModel = to.Ptr(false) }),
		},
		{
			name: "healthy", vm: runningVM(withHealth("HealthState/healthy")),
			want: runningInstance(expectHealth(HealthHealthy)),
		},
		{
			name: "unhealthy", vm: runningVM(withHealth("HealthState/unhealthy")),
			want: runningInstance(expectHealth(HealthUnhealthy)),
		},
		{
			name: "initializing", vm: runningVM(withHealth("HealthState/initializing")),
			want: runningInstance(expectHealth(HealthInitializing)),
		},
		{
			name: "unknown", vm: runningVM(withHealth("HealthState/unknown")),
			want: runningInstance(expectHealth(HealthUnknown)),
		},
		{
			name: "health code in another case", vm: runningVM(withHealth("HealthState/Healthy")),
			want: runningInstance(expectHealth(HealthHealthy)),
		},
		{
			name: "undocumented health code", vm: runningVM(withHealth("Health/odd")),
			want: runningInstance(expectHealth(HealthUnknown)),
		},
		{
			name: "vmHealth without status",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.InstanceView.VMHealth = &armcompute.VirtualMachineHealthStatus{}
			}),
			want: runningInstance(nil),
		},
		{
			name: "no instance view: nothing reported, not running",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.InstanceView = nil
			}),
			want: runningInstance(func(inst *Instance) {
				inst.Power = ""
				inst.Health = ""
			}),
		},
		{
			name: "evicted with policy deallocate",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.InstanceView.Statuses[1] = viewStatus("PowerState/deallocated", "")
			}),
			want: runningInstance(func(inst *Instance) { inst.Power = PowerDeallocated }),
		},
		{
			name: "instance view provisioning wins over the model's",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.InstanceView.Statuses[0] =
					viewStatus("ProvisioningState/failed/VMStartTimedOut", "")
			}),
			want: runningInstance(func(inst *Instance) { inst.Provisioning = "failed" }),
		},
		{
			name: "failed script with a multi-line message",
			vm: runningVM(func(vm *instanceModel) {
				vm.Resources = []*armcompute.VirtualMachineExtension{windowsScript("v42")}
				vm.Properties.InstanceView.Extensions = extensionViews(
					extensionView("deploy", "Microsoft.Compute.CustomScriptExtension",
						viewStatus("ProvisioningState/failed/1", "  Command execution finished, "+
							"but failed because it returned a non-zero exit code of: '1'."+
							"\nThe command had an error output of: 'boom'")))
			}),
			want: runningInstance(func(inst *Instance) {
				inst.Label = "v42"
				inst.Extension = ExtensionStatus{State: "failed", Message: "Command execution " +
					"finished, but failed because it returned a non-zero exit code of: '1'."}
			}),
		},
		{
			name: "linux script found by handler type, long message cut",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.InstanceView.Extensions = extensionViews(
					extensionView("health", "Microsoft.ManagedServices.ApplicationHealthLinux",
						viewStatus("ProvisioningState/succeeded", "")),
					extensionView("cse", "Microsoft.Azure.Extensions.CustomScript",
						viewStatus("ProvisioningState/transitioning", longOutput)))
			}),
			want: runningInstance(func(inst *Instance) {
				inst.Extension = ExtensionStatus{
					State: "transitioning", Message: strings.Repeat("é", 199) + "…"}
			}),
		},
		{
			name: "script message with a SAS signature",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.InstanceView.Extensions = extensionViews(
					extensionView("", "CustomScriptExtension", viewStatus(
						"ProvisioningState/failed",
						"download https://st.blob.core.windows.net/b/app.zip?sv=2024&"+
							"sig=abc%2Bdef failed")))
			}),
			want: runningInstance(func(inst *Instance) {
				inst.Extension = ExtensionStatus{State: "failed", Message: "download " +
					"https://st.blob.core.windows.net/b/app.zip?sv=2024&sig=REDACTED failed"}
			}),
		},
		{
			name: "script named in resources, no instance view: resource provisioning state",
			vm: runningVM(func(vm *instanceModel) {
				vm.Resources = []*armcompute.VirtualMachineExtension{nil, windowsScript("v7")}
				vm.Properties.InstanceView = nil
			}),
			want: runningInstance(func(inst *Instance) {
				inst.Power, inst.Health, inst.Label = "", "", "v7"
				inst.Extension = ExtensionStatus{State: "succeeded"}
			}),
		},
		{
			name: "id from resource id, zone, names and creation time",
			vm: runningVM(func(vm *instanceModel) {
				vm.InstanceID = nil
				vm.Zones = []*string{nil, to.Ptr("2")}
				vm.Properties.TimeCreated = &created
				vm.Properties.InstanceView.ComputerName = to.Ptr("fn00000007")
			}),
			want: runningInstance(func(inst *Instance) {
				inst.Zone = "2"
				inst.ComputerName = "fn00000007"
				inst.Created = &created
			}),
		},
		{
			name: "model computer name first",
			vm: runningVM(func(vm *instanceModel) {
				vm.Properties.OSProfile = &armcompute.OSProfile{ComputerName: to.Ptr("from-model")}
				vm.Properties.InstanceView.ComputerName = to.Ptr("from-view")
			}),
			want: runningInstance(func(inst *Instance) { inst.ComputerName = "from-model" }),
		},
		{
			name: "nil statuses and extensions inside the view",
			vm: runningVM(func(vm *instanceModel) {
				view := vm.Properties.InstanceView
				view.Statuses = []*armcompute.InstanceViewStatus{nil, {Code: nil}}
				view.Extensions = []*armcompute.VirtualMachineExtensionInstanceView{
					nil, {Type: to.Ptr("CustomScriptExtension")},
				}
			}),
			want: runningInstance(func(inst *Instance) {
				inst.Power, inst.Provisioning = "", "succeeded"
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertMappedEqual(t, InstanceFromSDK(tt.vm), tt.want)
		})
	}
}

func TestInstanceFromSDKDoesNotAliasTheModel(t *testing.T) {
	vm := runningVM(func(vm *instanceModel) {
		vm.Properties.TimeCreated = to.Ptr(time.Unix(0, 0).UTC())
	})
	inst := InstanceFromSDK(vm)
	*vm.Properties.LatestModelApplied = false
	*vm.Properties.TimeCreated = time.Unix(99, 0)
	if !*inst.LatestModel || !inst.Created.Equal(time.Unix(0, 0)) {
		t.Errorf("changing the SDK model changed the mapped instance: %+v", inst)
	}
}

// spotModel is a Linux Spot scale set with a script and a health extension.
func spotModel(change func(m *scaleSetModel)) *scaleSetModel {
	model := &armcompute.VirtualMachineScaleSet{
		ID: to.Ptr("/subscriptions/s/resourcegroups/rg-spot/providers/Microsoft.Compute/" +
			"virtualMachineScaleSets/vmss-fn"),
		Name:     to.Ptr("vmss-fn"),
		Location: to.Ptr("westeurope"),
		SKU:      &armcompute.SKU{Name: to.Ptr("Standard_D2s_v5"), Capacity: to.Ptr[int64](5)},
		Zones:    []*string{to.Ptr("1"), nil, to.Ptr("3")},
		Properties: &armcompute.VirtualMachineScaleSetProperties{
			OrchestrationMode: to.Ptr(armcompute.OrchestrationModeUniform),
			ProvisioningState: to.Ptr("Succeeded"),
			SpotRestorePolicy: &armcompute.SpotRestorePolicy{Enabled: to.Ptr(false)},
			UpgradePolicy: &armcompute.UpgradePolicy{
				Mode: to.Ptr(armcompute.UpgradeModeRolling),
				RollingUpgradePolicy: &armcompute.RollingUpgradePolicy{
					MaxBatchInstancePercent: to.Ptr[int32](20),
				},
			},
			VirtualMachineProfile: &armcompute.VirtualMachineScaleSetVMProfile{
				Priority:       to.Ptr(armcompute.VirtualMachinePriorityTypesSpot),
				EvictionPolicy: to.Ptr(armcompute.VirtualMachineEvictionPolicyTypesDelete),
				BillingProfile: &armcompute.BillingProfile{MaxPrice: to.Ptr(0.05)},
				OSProfile: &armcompute.VirtualMachineScaleSetOSProfile{
					LinuxConfiguration: &armcompute.LinuxConfiguration{},
				},
				ExtensionProfile: &armcompute.VirtualMachineScaleSetExtensionProfile{
					Extensions: []*armcompute.VirtualMachineScaleSetExtension{
						nil,
						{Name: to.Ptr("no-properties")},
						modelExtension("Microsoft.ManagedServices", "ApplicationHealthLinux", ""),
						modelExtension("Microsoft.Azure.Extensions", "CustomScript", "build-17"),
					},
				},
			},
		},
	}
	if change != nil {
		change(model)
	}
	return model
}

func modelExtension(publisher, kind, tag string) *armcompute.VirtualMachineScaleSetExtension {
	ext := &armcompute.VirtualMachineScaleSetExtension{
		Name: to.Ptr(kind),
		Properties: &armcompute.VirtualMachineScaleSetExtensionProperties{
			Type: to.Ptr(kind),
		},
	}
	if publisher != "" {
		ext.Properties.Publisher = to.Ptr(publisher)
	}
	if tag != "" {
		ext.Properties.ForceUpdateTag = to.Ptr(tag)
	}
	return ext
}

func spotSet(change func(s *ScaleSet)) ScaleSet {
	set := ScaleSet{
		ID: "/subscriptions/s/resourcegroups/rg-spot/providers/Microsoft.Compute/" +
			"virtualMachineScaleSets/vmss-fn",
		Name:              "vmss-fn",
		ResourceGroup:     "rg-spot",
		Location:          "westeurope",
		SKU:               "Standard_D2s_v5",
		Capacity:          to.Ptr[int64](5),
		OrchestrationMode: "uniform",
		Priority:          "spot",
		EvictionPolicy:    "delete",
		MaxPrice:          to.Ptr(0.05),
		SpotRestore:       to.Ptr(false),
		UpgradeMode:       "rolling",
		RollingUpgrade: &RollingUpgradePolicy{
			MaxBatchInstancePercent: to.Ptr[int32](20),
		},
		ProvisioningState:  "succeeded",
		OSType:             "linux",
		Zones:              []string{"1", "3"},
		HasCustomScript:    true,
		HasHealthExtension: true,
		Label:              "build-17",
	}
	if change != nil {
		change(&set)
	}
	return set
}

func extensionsOf(m *scaleSetModel) *[]*armcompute.VirtualMachineScaleSetExtension {
	return &m.Properties.VirtualMachineProfile.ExtensionProfile.Extensions
}

func TestScaleSetFromSDK(t *testing.T) {
	tests := []struct {
		name  string
		model *armcompute.VirtualMachineScaleSet
		want  ScaleSet
	}{
		{name: "nil model", model: nil, want: ScaleSet{}},
		{name: "empty model", model: &armcompute.VirtualMachineScaleSet{}, want: ScaleSet{}},
		{name: "spot linux with script and health", model: spotModel(nil), want: spotSet(nil)},
		{
			name: "windows script without publisher",
			model: spotModel(func(m *scaleSetModel) {
				*extensionsOf(m) = []*armcompute.VirtualMachineScaleSetExtension{
					modelExtension("", "CustomScriptExtension", "win-3"),
				}
			}),
			want: spotSet(func(s *ScaleSet) {
				s.HasHealthExtension = false
				s.Label = "win-3"
			}),
		},
		{
			name: "another publisher's CustomScript is not the script extension",
			model: spotModel(func(m *scaleSetModel) {
				*extensionsOf(m) = []*armcompute.VirtualMachineScaleSetExtension{
					modelExtension("Contoso.Tools", "CustomScript", "x"),
				}
			}),
			want: spotSet(func(s *ScaleSet) {
				s.HasCustomScript, s.HasHealthExtension, s.Label = false, false, ""
			}),
		},
		{
			name: "both OS configurations and no disk OS type: unknown",
			model: spotModel(func(m *scaleSetModel) {
				profile := m.Properties.VirtualMachineProfile.OSProfile
				profile.WindowsConfiguration = &armcompute.WindowsConfiguration{}
			}),
			want: spotSet(func(s *ScaleSet) { s.OSType = "" }),
		},
		{
			name: "OS disk type wins",
			model: spotModel(func(m *scaleSetModel) {
				m.Properties.VirtualMachineProfile.StorageProfile =
					&armcompute.VirtualMachineScaleSetStorageProfile{
						OSDisk: &armcompute.VirtualMachineScaleSetOSDisk{
							OSType: to.Ptr(armcompute.OperatingSystemTypesWindows),
						},
					}
			}),
			want: spotSet(func(s *ScaleSet) { s.OSType = "windows" }),
		},
		{
			name: "name from the id, empty nested objects",
			model: &armcompute.VirtualMachineScaleSet{
				ID: to.Ptr("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/" +
					"virtualMachineScaleSets/from-id"),
				SKU: &armcompute.SKU{},
				Properties: &armcompute.VirtualMachineScaleSetProperties{
					UpgradePolicy:         &armcompute.UpgradePolicy{},
					SpotRestorePolicy:     &armcompute.SpotRestorePolicy{},
					VirtualMachineProfile: &armcompute.VirtualMachineScaleSetVMProfile{},
				},
			},
			want: ScaleSet{
				ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/" +
					"virtualMachineScaleSets/from-id",
				Name:          "from-id",
				ResourceGroup: "rg",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertMappedEqual(t, ScaleSetFromSDK(tt.model), tt.want)
		})
	}
}

func TestShortMessage(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "trimmed", in: "  done \t", want: "done"},
		{name: "first line", in: "\n first\r\nsecond", want: "first"},
		{name: "account key", in: "AccountName=a;AccountKey=c2VjcmV0==;EndpointSuffix=x",
			want: "AccountName=a;AccountKey=REDACTED;EndpointSuffix=x"},
		{name: "exactly the limit", in: strings.Repeat("a", maxMessageRunes),
			want: strings.Repeat("a", maxMessageRunes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shortMessage(tt.in)
			if got != tt.want {
				t.Errorf("shortMessage(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > maxMessageRunes {
				t.Errorf("shortMessage gave %d runes, limit is %d", n, maxMessageRunes)
			}
		})
	}
}

func TestSegmentAfter(t *testing.T) {
	tests := []struct {
		id, key, want string
	}{
		{id: testVMID, key: "resourceGroups", want: "rg-spot"},
		{id: strings.ToLower(testVMID), key: "resourceGroups", want: "rg-spot"},
		{id: testVMID, key: "virtualMachines", want: "7"},
		{id: "/subscriptions/s/resourceGroups", key: "resourceGroups", want: ""},
		{id: "", key: "resourceGroups", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.key, func(t *testing.T) {
			if got := segmentAfter(tt.id, tt.key); got != tt.want {
				t.Errorf("segmentAfter(%q, %q) = %q, want %q", tt.id, tt.key, got, tt.want)
			}
		})
	}
}
