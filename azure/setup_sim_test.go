package azure_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"spotdeck/azure"
	"spotdeck/azure/sim"
	"spotdeck/azure/storagetest"
)

func simSetup(t *testing.T, s *sim.Sim) *azure.Setup {
	t.Helper()
	setup, err := azure.NewSetup(azure.SetupOptions{ARMEndpoint: sim.InProcessEndpoint,
		Transport: s.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	return setup
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSetupListsAgainstSim reads every list the wizard shows from the simulated
// subscription through the real SDK clients.
func TestSetupListsAgainstSim(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1})
	setup := simSetup(t, s)
	ctx := testCtx(t)
	sub := s.SubscriptionID()

	who, err := setup.SignIn(ctx)
	if err != nil || who.Identity != azure.SimulatorIdentity {
		t.Fatalf("SignIn = %+v, %v; want the simulator identity", who, err)
	}
	subs, err := setup.Subscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].ID != sub || subs[0].Name != sim.SubscriptionName {
		t.Fatalf("Subscriptions = %+v, %v", subs, err)
	}
	groups, err := setup.ResourceGroups(ctx, sub)
	if err != nil || strings.Join(groups, ",") != "rg-batch,rg-functions" {
		t.Fatalf("ResourceGroups = %v, %v", groups, err)
	}
	accounts, err := setup.StorageAccounts(ctx, sub)
	if err != nil || len(accounts) != 1 || accounts[0].Name != sim.StorageAccountName ||
		accounts[0].ResourceGroup != "rg-functions" ||
		accounts[0].BlobEndpoint != "http://127.0.0.1:10000/devstoreaccount1" {
		t.Fatalf("StorageAccounts = %+v, %v", accounts, err)
	}
	ids, err := setup.Identities(ctx, sub)
	if err != nil || len(ids) != 1 || ids[0].ID != sim.IdentityID() || ids[0].ClientID == "" {
		t.Fatalf("Identities = %+v, %v", ids, err)
	}
}

func TestSpotSizesAgainstSim(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1})
	setup := simSetup(t, s)
	tests := []struct {
		region string
		want   string
	}{
		// Standard_B2s is not Spot-capable; Standard_F4s_v2 is restricted in westeurope.
		{sim.Location, "Standard_D2as_v5,Standard_D2s_v5,Standard_D4as_v5"},
		{"northeurope", "Standard_D2as_v5,Standard_D2s_v5,Standard_D4as_v5,Standard_F4s_v2"},
		{"eastus", ""},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			sizes, err := setup.SpotSizes(testCtx(t), s.SubscriptionID(), tt.region)
			if err != nil {
				t.Fatal(err)
			}
			names := make([]string, 0, len(sizes))
			for _, size := range sizes {
				names = append(names, size.Name)
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("sizes = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestAccountConnectionStringAgainstSim reads the key through listKeys and checks that the
// connection string works with the storage SDK's parser.
func TestAccountConnectionStringAgainstSim(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1})
	setup := simSetup(t, s)
	ctx := testCtx(t)
	accounts, err := setup.StorageAccounts(ctx, s.SubscriptionID())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := setup.AccountConnectionString(ctx, s.SubscriptionID(), accounts[0])
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := azure.ParseConnectionString(conn)
	if err != nil {
		t.Fatalf("connection string does not parse: %v", err)
	}
	if parsed.AccountName != sim.StorageAccountName ||
		parsed.QueueEndpoint != accounts[0].QueueEndpoint {
		t.Errorf("parsed = %v, want the account's name and endpoints", parsed)
	}
}

func TestRefusedKeysNameTheRoleThatListsThem(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1})
	if err := s.Deny(sim.ActionListKeys); err != nil {
		t.Fatal(err)
	}
	setup := simSetup(t, s)
	ctx := testCtx(t)
	accounts, err := setup.StorageAccounts(ctx, s.SubscriptionID())
	if err != nil {
		t.Fatal(err)
	}
	_, err = setup.AccountConnectionString(ctx, s.SubscriptionID(), accounts[0])
	if err == nil || !strings.Contains(err.Error(), "grant Storage Account Key Operator "+
		"Service Role") || strings.Contains(err.Error(), "Reader") {
		t.Fatalf("err = %v, want the role that may list keys, not Reader", err)
	}
}

// TestAccessCheckNamesTheRoleToGrant denies one action at a time and checks that the
// matching line fails with the role and scope to grant, while the others pass.
func TestAccessCheckNamesTheRoleToGrant(t *testing.T) {
	tests := []struct {
		deny      string
		failing   string
		wantGrant string
	}{
		{"", "", ""},
		{sim.ActionWriteScaleSets, azure.CapChangeModel,
			"Virtual Machine Contributor on resource group rg-functions"},
		{sim.ActionReadScaleSets, azure.CapReadScaleSets, "Reader on resource group rg-functions"},
		{sim.ActionReadActivityLog, azure.CapReadActivity,
			"Monitoring Reader on subscription " + sim.FixedSubscriptionID},
	}
	for _, tt := range tests {
		t.Run("deny "+tt.deny, func(t *testing.T) {
			s := sim.New(sim.Options{Seed: 1})
			if tt.deny != "" {
				if err := s.Deny(tt.deny); err != nil {
					t.Fatal(err)
				}
			}
			results := simSetup(t, s).CheckAccess(testCtx(t), azure.AccessTarget{
				Subscription: s.SubscriptionID(), ResourceGroup: "rg-functions",
				ScaleSets: []azure.ScaleSet{{Name: "vmss-func-win", ResourceGroup: "rg-functions"}},
			})
			checkAccessResults(t, results, tt.failing, tt.wantGrant)
		})
	}
}

func checkAccessResults(t *testing.T, results []azure.AccessResult, failing, grant string) {
	t.Helper()
	if len(results) != 6 {
		t.Fatalf("got %d results, want one per capability: %+v", len(results), results)
	}
	for _, r := range results {
		switch {
		case r.Capability == failing:
			if r.OK || r.Grant != grant {
				t.Errorf("%s: OK=%t grant %q, want refused with grant %q (detail %q)",
					r.Capability, r.OK, r.Grant, grant, r.Detail)
			}
		case r.Skipped:
			if r.Capability != azure.CapReadQueues && r.Capability != azure.CapWriteBlobs &&
				r.Capability != azure.CapLeaseBlobs {
				t.Errorf("%s skipped, want it checked", r.Capability)
			}
		case !r.OK:
			t.Errorf("%s failed (%s, grant %q), want it allowed", r.Capability, r.Detail,
				r.Grant)
		}
	}
}

// TestCreateScaleSetAppearsInFleet creates a Spot scale set and reads it back in the
// fleet, as the console will.
func TestCreateScaleSetAppearsInFleet(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1, Speed: 100})
	setup := simSetup(t, s)
	ctx := testCtx(t)
	spec := validSpec()
	var progress []string
	created, err := setup.CreateScaleSet(ctx, s.SubscriptionID(), spec, func(line string) {
		progress = append(progress, line)
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.Name != spec.Name || created.Priority != "spot" ||
		created.EvictionPolicy != "delete" || created.UpgradeMode != "manual" ||
		!created.HasHealthExtension {
		t.Errorf("created = %+v, want a Spot scale set with Delete, Manual, health", created)
	}
	if len(progress) < 2 || !strings.HasPrefix(progress[len(progress)-1], "created") {
		t.Errorf("progress = %q, want steps ending with created", progress)
	}
	for _, line := range progress {
		if strings.Contains(line, spec.AdminPassword) {
			t.Errorf("progress line %q shows the password", line)
		}
	}
	client := simClient(t, s)
	fleet, err := azure.ReadFleet(ctx, client, azure.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.FindScaleSet(spec.Name); err != nil {
		t.Errorf("the new scale set is not in the fleet: %v", err)
	}
}

func TestCreateScaleSetRefusedNamesRole(t *testing.T) {
	s := sim.New(sim.Options{Seed: 1})
	if err := s.Deny(sim.ActionWriteScaleSets); err != nil {
		t.Fatal(err)
	}
	_, err := simSetup(t, s).CreateScaleSet(testCtx(t), s.SubscriptionID(), validSpec(), nil)
	if err == nil || !strings.Contains(err.Error(), "Virtual Machine Contributor on resource "+
		"group rg-functions") || !strings.Contains(err.Error(), "AuthorizationFailed") {
		t.Fatalf("err = %v, want AuthorizationFailed naming the role and group", err)
	}
}

func validSpec() azure.ScaleSetSpec {
	return azure.ScaleSetSpec{Name: "vmss-func-new", ResourceGroup: "rg-functions",
		Location: sim.Location, Size: "Standard_D2as_v5", MinCount: 2, MaxCount: 6,
		EvictionPolicy: azure.EvictionDelete, MaxPrice: -1, Image: azure.ImageUbuntuLTS,
		IdentityID: sim.IdentityID(), SubnetID: "/subscriptions/x/resourceGroups/rg/" +
			"providers/Microsoft.Network/virtualNetworks/v/subnets/default",
		HealthPort: 80, HealthPath: "/api/health", AdminUsername: "spotadmin",
		AdminPassword: "Very-Secret-123"}
}

// TestSetupStorageAgainstAzurite lists queues, creates a container and runs the blob
// checks against the storage emulator.
func TestSetupStorageAgainstAzurite(t *testing.T) {
	conn := storagetest.ConnectionString(t)
	s := sim.New(sim.Options{Seed: 1})
	setup := simSetup(t, s)
	ctx := testCtx(t)
	opts := azure.StorageOptions{ConnectionString: conn}
	name := "setup-test-" + time.Now().Format("150405")
	if err := setup.CreateContainer(ctx, opts, name); err != nil {
		t.Fatal(err)
	}
	if err := setup.CreateContainer(ctx, opts, name); err != nil {
		t.Fatalf("creating an existing container must succeed: %v", err)
	}
	containers, err := setup.Containers(ctx, opts)
	if err != nil || !containsName(containers, name) {
		t.Fatalf("Containers = %v, %v; want %s", containers, err, name)
	}
	if _, err := setup.Queues(ctx, opts); err != nil {
		t.Fatalf("Queues: %v", err)
	}
	results := setup.CheckAccess(ctx, azure.AccessTarget{Subscription: s.SubscriptionID(),
		Storage: opts, Account: "devstoreaccount1", Container: name})
	for _, r := range results {
		if (r.Capability == azure.CapWriteBlobs || r.Capability == azure.CapLeaseBlobs) && !r.OK {
			t.Errorf("%s failed: %s", r.Capability, r.Detail)
		}
	}
}

func containsName(list []string, name string) bool {
	for _, v := range list {
		if v == name {
			return true
		}
	}
	return false
}
