package azure

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// Creating a Spot scale set ready for the Functions host: Spot priority, Manual upgrade
// mode so that nothing reaches instances until the operator rolls it out, and the
// Application Health extension so the console can show each instance's health.

// OS images offered for a new scale set.
const (
	ImageWindows2022 = "windows-2022"
	ImageUbuntuLTS   = "ubuntu-lts"
)

// Eviction policies of a Spot scale set, as Azure spells them.
const (
	EvictionDelete     = "Delete"
	EvictionDeallocate = "Deallocate"
)

// EvictionDeleteWhy is why Delete is recommended for stateless queue workers.
const EvictionDeleteWhy = "Delete removes an evicted instance and its disks, so it stops " +
	"costing and the scale set can replace it; Deallocate keeps the stopped VM, its disks " +
	"billed and its quota used, and nothing restarts it by itself."

// MaxInstanceTag records the operator's maximum instance count on the scale set, since a
// scale set without autoscale has no field for it.
const MaxInstanceTag = "spotdeck-max-instances"

// healthProbeSeconds and healthProbes are the extension's defaults made explicit.
const (
	healthProbeSeconds = 5
	healthProbes       = 1
)

// ScaleSetSpec is what the operator chose for a new Spot scale set.
type ScaleSetSpec struct {
	Name          string
	ResourceGroup string
	Location      string
	Size          string
	MinCount      int
	MaxCount      int
	// EvictionPolicy is EvictionDelete or EvictionDeallocate.
	EvictionPolicy string
	// MaxPrice is the highest price per hour in USD; -1 means never evicted for price.
	MaxPrice float64
	// Image is ImageWindows2022 or ImageUbuntuLTS.
	Image string
	// IdentityID is a user-assigned identity's resource ID; "" for none.
	IdentityID string
	// SubnetID is the subnet the instances join; Azure requires one.
	SubnetID string
	// HealthPort and HealthPath are the Functions host's health endpoint.
	HealthPort int
	HealthPath string
	// AdminUsername and AdminPassword sign in to the instances. The password is a
	// secret: it goes to Azure once and is never stored, shown or logged.
	AdminUsername string
	AdminPassword string
}

// String describes the spec without its password.
func (s ScaleSetSpec) String() string {
	return fmt.Sprintf("scale set %s in %s (%s, %s, %d-%d instances, eviction %s, max price "+
		"%s, image %s, health %d%s)", s.Name, s.ResourceGroup, s.Location, s.Size, s.MinCount,
		s.MaxCount, s.EvictionPolicy, PriceText(s.MaxPrice), s.Image, s.HealthPort,
		s.HealthPath)
}

// GoString keeps %#v as discreet as %v.
func (s ScaleSetSpec) GoString() string { return s.String() }

// scaleSetNamePattern is Azure's rule for scale set names, kept short enough to leave
// room for the instance suffix.
var scaleSetNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$`)

// Validate reports the first choice that cannot work, naming it and the fix.
func (s ScaleSetSpec) Validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{!scaleSetNamePattern.MatchString(s.Name), "name: use 2 to 64 letters, digits, " +
			"dashes, dots and underscores"},
		{s.ResourceGroup == "" || checkPathName("resource group", "it", s.ResourceGroup) != nil,
			"resource group: pick one"},
		{s.Location == "", "region: pick one"},
		{s.Size == "", "VM size: pick one of the Spot-capable sizes"},
		{s.MinCount < 0 || s.MinCount > 1000, "minimum instances: give 0 to 1000"},
		{s.MaxCount < s.MinCount || s.MaxCount > 1000, "maximum instances: give at least " +
			"the minimum, at most 1000"},
		{s.EvictionPolicy != EvictionDelete && s.EvictionPolicy != EvictionDeallocate,
			"eviction policy: Delete or Deallocate"},
		{s.MaxPrice != -1 && s.MaxPrice <= 0, "max price: -1 (never evicted for price) " +
			"or a positive USD price per hour"},
		{s.Image != ImageWindows2022 && s.Image != ImageUbuntuLTS, "image: Windows Server " +
			"2022 or Ubuntu LTS"},
		{!strings.HasPrefix(strings.ToLower(s.SubnetID), "/subscriptions/"), "subnet: give " +
			"the subnet's resource ID, /subscriptions/…/subnets/NAME"},
		{s.HealthPort < 1 || s.HealthPort > 65535, "health port: give 1 to 65535"},
		{!strings.HasPrefix(s.HealthPath, "/"), "health path: start it with /"},
		{s.AdminUsername == "", "admin user name: give one"},
		{len(s.AdminPassword) < 12, "admin password: give at least 12 characters"},
	}
	for _, c := range checks {
		if c.bad {
			return errors.New("new scale set: " + c.msg)
		}
	}
	return nil
}

// CreateScaleSet creates the scale set and waits for Azure to finish, telling progress
// what happens. It returns the scale set as the fleet view will show it.
func (s *Setup) CreateScaleSet(ctx context.Context, subscription string, spec ScaleSetSpec,
	progress func(string)) (ScaleSet, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if err := spec.Validate(); err != nil {
		return ScaleSet{}, err
	}
	client, err := armcompute.NewVirtualMachineScaleSetsClient(subscription,
		s.access.credential, s.options)
	if err != nil {
		return ScaleSet{}, fmt.Errorf("prepare the scale set client: %w", err)
	}
	operation := "create scale set " + spec.Name
	progress("sending the model of " + spec.Name + " to Azure")
	poller, err := client.BeginCreateOrUpdate(ctx, spec.ResourceGroup, spec.Name,
		scaleSetModelFor(spec), nil)
	if err != nil {
		return ScaleSet{}, describeCreateFailure(operation, spec, err)
	}
	started := time.Now()
	for !poller.Done() {
		progress(fmt.Sprintf("Azure is creating %s (%s)", spec.Name,
			time.Since(started).Round(time.Second)))
		if err := sleepCtx(ctx, 2*time.Second); err != nil {
			return ScaleSet{}, fmt.Errorf("%s: %w", operation, err)
		}
		if _, err := poller.Poll(ctx); err != nil {
			return ScaleSet{}, describeCreateFailure(operation, spec, err)
		}
	}
	resp, err := poller.Result(ctx)
	if err != nil {
		return ScaleSet{}, describeCreateFailure(operation, spec, err)
	}
	progress("created " + spec.Name)
	return ScaleSetFromSDK(&resp.VirtualMachineScaleSet), nil
}

func describeCreateFailure(operation string, spec ScaleSetSpec, err error) error {
	if isRefusal(err) {
		return fmt.Errorf("%s: refused (%s): grant Virtual Machine Contributor on resource "+
			"group %s", operation, refusalCode(err), spec.ResourceGroup)
	}
	return describeFailure(operation, "resource group "+spec.ResourceGroup, err)
}

// scaleSetModelFor builds the scale set Azure is asked to create.
func scaleSetModelFor(spec ScaleSetSpec) armcompute.VirtualMachineScaleSet {
	model := armcompute.VirtualMachineScaleSet{
		Location: to.Ptr(spec.Location),
		SKU: &armcompute.SKU{Name: to.Ptr(spec.Size), Tier: to.Ptr("Standard"),
			Capacity: to.Ptr(int64(spec.MinCount))},
		Tags: map[string]*string{MaxInstanceTag: to.Ptr(strconv.Itoa(spec.MaxCount))},
		Properties: &armcompute.VirtualMachineScaleSetProperties{
			OrchestrationMode: to.Ptr(armcompute.OrchestrationModeUniform),
			Overprovision:     to.Ptr(false),
			UpgradePolicy: &armcompute.UpgradePolicy{
				Mode: to.Ptr(armcompute.UpgradeModeManual),
			},
			VirtualMachineProfile: vmProfileFor(spec),
		},
	}
	if spec.IdentityID != "" {
		model.Identity = &armcompute.VirtualMachineScaleSetIdentity{
			Type: to.Ptr(armcompute.ResourceIdentityTypeUserAssigned),
			UserAssignedIdentities: map[string]*armcompute.UserAssignedIdentitiesValue{
				spec.IdentityID: {},
			},
		}
	}
	return model
}

func vmProfileFor(spec ScaleSetSpec) *armcompute.VirtualMachineScaleSetVMProfile {
	return &armcompute.VirtualMachineScaleSetVMProfile{
		Priority:       to.Ptr(armcompute.VirtualMachinePriorityTypesSpot),
		EvictionPolicy: to.Ptr(armcompute.VirtualMachineEvictionPolicyTypes(spec.EvictionPolicy)),
		BillingProfile: &armcompute.BillingProfile{MaxPrice: to.Ptr(spec.MaxPrice)},
		OSProfile: &armcompute.VirtualMachineScaleSetOSProfile{
			ComputerNamePrefix: to.Ptr(computerNamePrefix(spec.Name)),
			AdminUsername:      to.Ptr(spec.AdminUsername),
			AdminPassword:      to.Ptr(spec.AdminPassword),
		},
		StorageProfile: &armcompute.VirtualMachineScaleSetStorageProfile{
			ImageReference: imageFor(spec.Image),
			OSDisk: &armcompute.VirtualMachineScaleSetOSDisk{
				CreateOption: to.Ptr(armcompute.DiskCreateOptionTypesFromImage),
				Caching:      to.Ptr(armcompute.CachingTypesReadWrite),
				ManagedDisk: &armcompute.VirtualMachineScaleSetManagedDiskParameters{
					StorageAccountType: to.Ptr(armcompute.StorageAccountTypesStandardLRS),
				},
			},
		},
		NetworkProfile: networkFor(spec),
		ExtensionProfile: &armcompute.VirtualMachineScaleSetExtensionProfile{
			Extensions: []*armcompute.VirtualMachineScaleSetExtension{healthExtensionFor(spec)},
		},
	}
}

// computerNamePrefix keeps the first 9 letters and digits: Windows host names hold 15
// characters and the platform appends 6.
func computerNamePrefix(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() == 9 {
			break
		}
	}
	if b.Len() == 0 {
		return "vm"
	}
	return b.String()
}

func imageFor(image string) *armcompute.ImageReference {
	if image == ImageWindows2022 {
		return &armcompute.ImageReference{Publisher: to.Ptr("MicrosoftWindowsServer"),
			Offer: to.Ptr("WindowsServer"), SKU: to.Ptr("2022-datacenter-azure-edition"),
			Version: to.Ptr("latest")}
	}
	return &armcompute.ImageReference{Publisher: to.Ptr("Canonical"),
		Offer: to.Ptr("ubuntu-24_04-lts"), SKU: to.Ptr("server"), Version: to.Ptr("latest")}
}

func networkFor(spec ScaleSetSpec) *armcompute.VirtualMachineScaleSetNetworkProfile {
	return &armcompute.VirtualMachineScaleSetNetworkProfile{
		NetworkInterfaceConfigurations: []*armcompute.VirtualMachineScaleSetNetworkConfiguration{{
			Name: to.Ptr(spec.Name + "-nic"),
			Properties: &armcompute.VirtualMachineScaleSetNetworkConfigurationProperties{
				Primary: to.Ptr(true),
				IPConfigurations: []*armcompute.VirtualMachineScaleSetIPConfiguration{{
					Name: to.Ptr(spec.Name + "-ip"),
					Properties: &armcompute.VirtualMachineScaleSetIPConfigurationProperties{
						Subnet: &armcompute.APIEntityReference{ID: to.Ptr(spec.SubnetID)},
					},
				}},
			},
		}},
	}
}

// healthExtensionFor probes the host's health endpoint over HTTP in rich mode (2.0), so
// instances report initializing, healthy or unhealthy.
func healthExtensionFor(spec ScaleSetSpec) *armcompute.VirtualMachineScaleSetExtension {
	kind := "ApplicationHealthLinux"
	if spec.Image == ImageWindows2022 {
		kind = "ApplicationHealthWindows"
	}
	return &armcompute.VirtualMachineScaleSetExtension{
		Name: to.Ptr("HealthExtension"),
		Properties: &armcompute.VirtualMachineScaleSetExtensionProperties{
			Publisher:               to.Ptr("Microsoft.ManagedServices"),
			Type:                    to.Ptr(kind),
			TypeHandlerVersion:      to.Ptr("2.0"),
			AutoUpgradeMinorVersion: to.Ptr(true),
			Settings: map[string]any{
				"protocol":          "http",
				"port":              spec.HealthPort,
				"requestPath":       spec.HealthPath,
				"intervalInSeconds": healthProbeSeconds,
				"numberOfProbes":    healthProbes,
			},
		},
	}
}

// ValidateName checks the name alone, for a form that asks it first.
func (s ScaleSetSpec) ValidateName() error {
	if !scaleSetNamePattern.MatchString(s.Name) {
		return errors.New("use 2 to 64 letters, digits, dashes, dots and underscores, " +
			"starting with a letter or digit")
	}
	return nil
}
