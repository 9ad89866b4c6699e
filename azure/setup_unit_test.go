package azure

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

func TestPermissionSetAllows(t *testing.T) {
	const write = "Microsoft.Compute/virtualMachineScaleSets/write"
	tests := []struct {
		name string
		set  permissionSet
		want bool
	}{
		{"owner", permissionSet{{Actions: []string{"*"}}}, true},
		{"reader", permissionSet{{Actions: []string{"*/read"}}}, false},
		{"vm contributor", permissionSet{{Actions: []string{"Microsoft.Compute/*"}}}, true},
		{"case differs", permissionSet{{Actions: []string{
			"microsoft.compute/VIRTUALMACHINESCALESETS/write"}}}, true},
		{"excluded", permissionSet{{Actions: []string{"*"}, NotActions: []string{write}}}, false},
		{"excluded by one role, allowed by another", permissionSet{
			{Actions: []string{"*"}, NotActions: []string{"Microsoft.Compute/*"}},
			{Actions: []string{"Microsoft.Compute/virtualMachineScaleSets/*"}},
		}, true},
		{"middle wildcard", permissionSet{{Actions: []string{
			"Microsoft.*/virtualMachineScaleSets/write"}}}, true},
		{"nothing", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.set.allows(write); got != tt.want {
				t.Errorf("allows = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestSpotSizesFromSkipsWhatCannotRunAsSpot(t *testing.T) {
	capability := func(name, value string) *armcompute.ResourceSKUCapabilities {
		return &armcompute.ResourceSKUCapabilities{Name: to.Ptr(name), Value: to.Ptr(value)}
	}
	restricted := armcompute.ResourceSKURestrictionsTypeLocation
	models := []*armcompute.ResourceSKU{
		nil,
		{Name: to.Ptr("no-fields")},
		{Name: to.Ptr("Standard_D2s_v5"), ResourceType: to.Ptr("virtualMachines"),
			Locations: []*string{to.Ptr("WestEurope")},
			Capabilities: []*armcompute.ResourceSKUCapabilities{nil,
				capability("LowPriorityCapable", "True"), capability("vCPUs", "2")}},
		{Name: to.Ptr("Standard_B2s"), ResourceType: to.Ptr("virtualMachines"),
			Locations: []*string{to.Ptr("westeurope")},
			Capabilities: []*armcompute.ResourceSKUCapabilities{
				capability("LowPriorityCapable", "False")}},
		{Name: to.Ptr("Standard_F4s_v2"), ResourceType: to.Ptr("virtualMachines"),
			Locations: []*string{to.Ptr("westeurope")},
			Capabilities: []*armcompute.ResourceSKUCapabilities{
				capability("LowPriorityCapable", "True")},
			Restrictions: []*armcompute.ResourceSKURestrictions{nil, {Type: &restricted,
				Values: []*string{nil, to.Ptr("westeurope")}}}},
		{Name: to.Ptr("Premium_LRS"), ResourceType: to.Ptr("disks"),
			Locations: []*string{to.Ptr("westeurope")},
			Capabilities: []*armcompute.ResourceSKUCapabilities{
				capability("LowPriorityCapable", "True")}},
		{Name: to.Ptr("Standard_D2as_v5"), ResourceType: to.Ptr("virtualMachines"),
			Locations: []*string{to.Ptr("eastus")},
			Capabilities: []*armcompute.ResourceSKUCapabilities{
				capability("LowPriorityCapable", "True")}},
	}
	got := spotSizesFrom(models, "westeurope")
	if len(got) != 1 || got[0].Name != "Standard_D2s_v5" || got[0].VCPUs != "2" {
		t.Fatalf("spotSizesFrom = %+v, want only Standard_D2s_v5 with 2 vCPUs", got)
	}
}

func TestIdentitiesOf(t *testing.T) {
	const id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/" +
		"userAssignedIdentities/id-func"
	tests := []struct {
		name  string
		model *armcompute.VirtualMachineScaleSetIdentity
		want  string
	}{
		{"none", nil, ""},
		{"empty", &armcompute.VirtualMachineScaleSetIdentity{}, ""},
		{"system and user", &armcompute.VirtualMachineScaleSetIdentity{
			PrincipalID: to.Ptr("p1"),
			UserAssignedIdentities: map[string]*armcompute.UserAssignedIdentitiesValue{
				id: {ClientID: to.Ptr("c2"), PrincipalID: to.Ptr("p2")},
			}}, "system-assigned||p1,id-func|c2|p2"},
		{"user without values", &armcompute.VirtualMachineScaleSetIdentity{
			UserAssignedIdentities: map[string]*armcompute.UserAssignedIdentitiesValue{id: nil},
		}, "id-func||"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var parts []string
			for _, i := range identitiesOf(tt.model) {
				parts = append(parts, i.Name+"|"+i.ClientID+"|"+i.PrincipalID)
			}
			if got := strings.Join(parts, ","); got != tt.want {
				t.Errorf("identities = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTenantFromToken(t *testing.T) {
	jwt := func(payload string) string {
		return "e30." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	tests := []struct {
		name, token, want string
	}{
		{"tenant", jwt(`{"tid":"t-1","upn":"a@b"}`), "t-1"},
		{"no tenant", jwt(`{"upn":"a@b"}`), ""},
		{"not a jwt", "opaque", ""},
		{"bad payload", "a.!!!.c", ""},
		{"not json", jwt(`[`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tenantFromToken(tt.token); got != tt.want {
				t.Errorf("tenant = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConnectionStringFor(t *testing.T) {
	tests := []struct {
		name    string
		account StorageAccount
		want    string
	}{
		{"azure", StorageAccount{Name: "st", BlobEndpoint: "https://st.blob.core.windows.net",
			QueueEndpoint: "https://st.queue.core.windows.net"},
			"DefaultEndpointsProtocol=https;AccountName=st;AccountKey=K;" +
				"BlobEndpoint=https://st.blob.core.windows.net;" +
				"QueueEndpoint=https://st.queue.core.windows.net"},
		{"emulator", StorageAccount{Name: "dev", BlobEndpoint: "http://127.0.0.1:1/dev"},
			"DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=K;" +
				"BlobEndpoint=http://127.0.0.1:1/dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connectionStringFor(tt.account, "K"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func validTestSpec() ScaleSetSpec {
	return ScaleSetSpec{Name: "vmss-a", ResourceGroup: "rg", Location: "westeurope",
		Size: "Standard_D2s_v5", MinCount: 1, MaxCount: 3, EvictionPolicy: EvictionDelete,
		MaxPrice: -1, Image: ImageWindows2022, SubnetID: "/subscriptions/s/x/subnets/d",
		HealthPort: 8080, HealthPath: "/health", AdminUsername: "admin",
		AdminPassword: "Secret-Password-1"}
}

func TestScaleSetSpecValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ScaleSetSpec)
		want   string
	}{
		{"valid", func(*ScaleSetSpec) {}, ""},
		{"bad name", func(s *ScaleSetSpec) { s.Name = "-x" }, "name"},
		{"max below min", func(s *ScaleSetSpec) { s.MaxCount = 0 }, "maximum"},
		{"zero price", func(s *ScaleSetSpec) { s.MaxPrice = 0 }, "max price"},
		{"price", func(s *ScaleSetSpec) { s.MaxPrice = 0.05 }, ""},
		{"eviction", func(s *ScaleSetSpec) { s.EvictionPolicy = "delete" }, "eviction"},
		{"image", func(s *ScaleSetSpec) { s.Image = "debian" }, "image"},
		{"subnet", func(s *ScaleSetSpec) { s.SubnetID = "default" }, "subnet"},
		{"port", func(s *ScaleSetSpec) { s.HealthPort = 70000 }, "health port"},
		{"path", func(s *ScaleSetSpec) { s.HealthPath = "health" }, "health path"},
		{"short password", func(s *ScaleSetSpec) { s.AdminPassword = "short" }, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := validTestSpec()
			tt.change(&spec)
			err := spec.Validate()
			if (err == nil) != (tt.want == "") ||
				(err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestScaleSetSpecNeverShowsPassword(t *testing.T) {
	spec := validTestSpec()
	for _, text := range []string{spec.String(), spec.GoString()} {
		if strings.Contains(text, spec.AdminPassword) {
			t.Errorf("%q shows the password", text)
		}
	}
}

func TestScaleSetModelFor(t *testing.T) {
	spec := validTestSpec()
	spec.IdentityID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/" +
		"userAssignedIdentities/id"
	model := scaleSetModelFor(spec)
	profile := model.Properties.VirtualMachineProfile
	checks := []struct {
		what      string
		got, want any
	}{
		{"priority", *profile.Priority, armcompute.VirtualMachinePriorityTypesSpot},
		{"eviction", *profile.EvictionPolicy, armcompute.VirtualMachineEvictionPolicyTypesDelete},
		{"max price", *profile.BillingProfile.MaxPrice, -1.0},
		{"upgrade", *model.Properties.UpgradePolicy.Mode, armcompute.UpgradeModeManual},
		{"capacity", *model.SKU.Capacity, int64(1)},
		{"max tag", *model.Tags[MaxInstanceTag], "3"},
		{"image", *profile.StorageProfile.ImageReference.Offer, "WindowsServer"},
		{"identity", *model.Identity.Type, armcompute.ResourceIdentityTypeUserAssigned},
		{"health type", *profile.ExtensionProfile.Extensions[0].Properties.Type,
			"ApplicationHealthWindows"},
		{"prefix", *profile.OSProfile.ComputerNamePrefix, "vmssa"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	settings := profile.ExtensionProfile.Extensions[0].Properties.Settings.(map[string]any)
	if settings["port"] != 8080 || settings["requestPath"] != "/health" {
		t.Errorf("health settings = %v", settings)
	}
}

func TestAccessResultJudge(t *testing.T) {
	refused := &azcore.ResponseError{StatusCode: http.StatusForbidden,
		ErrorCode: "AuthorizationPermissionMismatch"}
	tests := []struct {
		name      string
		err       error
		target    AccessTarget
		wantOK    bool
		wantGrant string
	}{
		{"allowed", nil, AccessTarget{}, true, ""},
		{"refused with entra", refused, AccessTarget{Account: "st1"}, false,
			"Storage Blob Data Contributor on account st1"},
		{"refused with key", refused, AccessTarget{Account: "st1",
			Storage: StorageOptions{ConnectionString: "AccountName=st1;AccountKey=x"}}, false,
			"a valid account key for st1 (the connection string was refused)"},
		{"other failure", errors.New("dial tcp: refused"), AccessTarget{}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := AccessResult{Capability: CapWriteBlobs}.judge(tt.err,
				tt.target.storageGrant("Storage Blob Data Contributor"))
			if r.OK != tt.wantOK || r.Grant != tt.wantGrant {
				t.Errorf("judge = %+v, want OK %t grant %q", r, tt.wantOK, tt.wantGrant)
			}
			if strings.Contains(r.Grant+r.Detail, "AccountKey=x") {
				t.Errorf("result shows the connection string: %+v", r)
			}
		})
	}
}
