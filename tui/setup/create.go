package setup

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"spotdeck/azure"
	"spotdeck/tui/theme"
)

// createTimeout bounds a whole creation: Azure takes minutes for a scale set.
const createTimeout = 30 * time.Minute

// createDraft holds the choices for a new Spot scale set, as the form's text.
type createDraft struct {
	name, group, region, size string
	minCount, maxCount        string
	eviction, maxPrice, image string
	identity, subnet          string
	healthPort, healthPath    string
	adminUser, adminPassword  string // the password is a secret: never shown or kept
	confirm                   bool
}

// regions offered for a new scale set; the regions of existing scale sets come first.
var regions = []string{"westeurope", "northeurope", "eastus", "eastus2", "westus2",
	"uksouth", "swedencentral", "australiaeast", "southeastasia"}

func defaultCreate() createDraft {
	return createDraft{name: "vmss-func-spot", minCount: "2", maxCount: "10",
		eviction: azure.EvictionDelete, maxPrice: "-1", image: azure.ImageWindows2022,
		healthPort: "80", healthPath: "/api/health", adminUser: "spotadmin"}
}

// regionOptions lists the regions of the listed scale sets, then the common ones.
func (m *Model) regionOptions() []huh.Option[string] {
	var names []string
	for _, ss := range m.data.scaleSets {
		if ss.Location != "" && !contains(names, ss.Location) {
			names = append(names, ss.Location)
		}
	}
	for _, r := range regions {
		if !contains(names, r) {
			names = append(names, r)
		}
	}
	return huh.NewOptions(names...)
}

func createBasicsForm(m *Model) (*huh.Form, huh.Field) {
	c := &m.d.create
	if c.group == "" {
		c.group = m.d.resourceGroup
	}
	groups := huh.NewOptions(m.data.groups...)
	name := huh.NewInput().Title("Name").Value(&c.name).Validate(func(s string) error {
		return azure.ScaleSetSpec{Name: s}.ValidateName()
	})
	fields := []huh.Field{
		name,
		huh.NewSelect[string]().Title("Resource group").Options(groups...).Value(&c.group),
		huh.NewSelect[string]().Title("Region").Options(m.regionOptions()...).
			Value(&c.region),
	}
	return huh.NewForm(huh.NewGroup(fields...)), name
}

func loadSizes(m *Model) loader {
	src, sub, region := m.opts.Source, m.d.subscription, m.d.create.region
	return func(ctx context.Context) (func(*Model), error) {
		sizes, err := src.SpotSizes(ctx, sub, region)
		if err != nil {
			return nil, err
		}
		ids, err := src.Identities(ctx, sub)
		return func(m *Model) { m.data.sizes, m.data.userIDs = sizes, ids }, err
	}
}

func createDetailsForm(m *Model) (*huh.Form, huh.Field) {
	c := &m.d.create
	if c.subnet == "" {
		c.subnet = fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/"+
			"Microsoft.Network/virtualNetworks/vnet-%s/subnets/default", m.d.subscription,
			c.group, c.group)
	}
	size := huh.NewSelect[string]().Title("VM size (Spot-capable in " + c.region + ")").
		Options(sizeOptions(m.data.sizes)...).Value(&c.size)
	counts := huh.NewGroup(size,
		huh.NewInput().Title("Minimum instances").Value(&c.minCount).
			Validate(validator(parseCount)),
		huh.NewInput().Title("Maximum instances").Value(&c.maxCount).
			Validate(validator(parseCount)),
		huh.NewSelect[string]().Title("Eviction policy").Description(azure.EvictionDeleteWhy).
			Options(huh.NewOption("Delete (recommended for stateless workers)",
				azure.EvictionDelete), huh.NewOption("Deallocate", azure.EvictionDeallocate)).
			Value(&c.eviction),
		huh.NewInput().Title("Max price, USD per hour").
			Description("-1: never evicted for price (capacity evictions still happen).").
			Value(&c.maxPrice).Validate(validator(parsePrice)),
	)
	image := huh.NewGroup(
		huh.NewSelect[string]().Title("OS image").Options(
			huh.NewOption("Windows Server 2022", azure.ImageWindows2022),
			huh.NewOption("Ubuntu LTS", azure.ImageUbuntuLTS)).Value(&c.image),
		huh.NewSelect[string]().Title("User-assigned identity").
			Options(identityOptions(m.data.userIDs)...).Value(&c.identity),
		huh.NewInput().Title("Subnet resource ID").Value(&c.subnet),
		huh.NewInput().Title("Health port").Value(&c.healthPort).Validate(validator(parsePort)),
		huh.NewInput().Title("Health path").Value(&c.healthPath),
	)
	admin := huh.NewGroup(
		huh.NewInput().Title("Admin user name").Value(&c.adminUser).Validate(required),
		huh.NewInput().Title("Admin password (sent to Azure once, never kept)").
			Description("At least 12 characters.").
			EchoMode(huh.EchoModePassword).Value(&c.adminPassword).Validate(validPassword),
	)
	return huh.NewForm(counts, image, admin), size
}

// required refuses an empty answer where the field is needed.
func required(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("give one")
	}
	return nil
}

// validPassword checks the length Azure asks of an admin password before it is sent.
func validPassword(s string) error {
	if len(s) < 12 {
		return fmt.Errorf("give at least 12 characters")
	}
	return nil
}

func sizeOptions(sizes []azure.VMSize) []huh.Option[string] {
	options := make([]huh.Option[string], 0, len(sizes))
	for _, s := range sizes {
		options = append(options, huh.NewOption(fmt.Sprintf("%-18s %2s vCPU %4s GB", s.Name,
			s.VCPUs, s.Memory), s.Name))
	}
	return options
}

func identityOptions(ids []azure.Identity) []huh.Option[string] {
	options := []huh.Option[string]{huh.NewOption("None", noIdentity)}
	for _, id := range ids {
		options = append(options, huh.NewOption(id.Name, id.ID))
	}
	return options
}

func createDetailsDone(m *Model) (step, tea.Cmd) {
	if _, err := m.createSpec(); err != nil {
		m.err = err
		return stepCreateDetails, nil
	}
	return stepCreateReview, nil
}

// createSpec turns the form's text into the spec and checks it.
func (m *Model) createSpec() (azure.ScaleSetSpec, error) {
	c := m.d.create
	minCount, _ := parseCount(c.minCount)
	maxCount, _ := parseCount(c.maxCount)
	price, _ := parsePrice(c.maxPrice)
	port, _ := parsePort(c.healthPort)
	spec := azure.ScaleSetSpec{Name: strings.TrimSpace(c.name), ResourceGroup: c.group,
		Location: c.region, Size: c.size, MinCount: minCount, MaxCount: maxCount,
		EvictionPolicy: c.eviction, MaxPrice: price, Image: c.image, IdentityID: c.identity,
		SubnetID: strings.TrimSpace(c.subnet), HealthPort: port,
		HealthPath: strings.TrimSpace(c.healthPath), AdminUsername: strings.TrimSpace(c.adminUser),
		AdminPassword: c.adminPassword}
	return spec, spec.Validate()
}

func parseCount(text string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < 0 || n > 1000 {
		return 0, fmt.Errorf("%q: give a whole number from 0 to 1000", text)
	}
	return n, nil
}

func parsePrice(text string) (float64, error) {
	p, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || (p != -1 && p <= 0) {
		return 0, fmt.Errorf("%q: give -1 or a positive price such as 0.05", text)
	}
	return p, nil
}

// createReviewView is the summary page before anything is created.
func createReviewView(m *Model) string {
	spec, _ := m.createSpec()
	identity := "none"
	if spec.IdentityID != "" {
		identity = spec.IdentityID[strings.LastIndex(spec.IdentityID, "/")+1:]
	}
	lines := []string{
		"  name        " + spec.Name + " in " + spec.ResourceGroup + ", " + spec.Location,
		"  size        " + spec.Size + ", Spot priority",
		fmt.Sprintf("  instances   %d to %d (starts with %d)", spec.MinCount, spec.MaxCount,
			spec.MinCount),
		"  eviction    " + spec.EvictionPolicy + ", max price " + priceWords(spec.MaxPrice),
		"  image       " + imageName(spec.Image),
		"  identity    " + identity,
		fmt.Sprintf("  health      http port %d, path %s", spec.HealthPort, spec.HealthPath),
		"  upgrades    Manual: nothing reaches instances until you roll it out",
		"  admin       " + spec.AdminUsername + " (password not shown)",
	}
	return strings.Join(lines, "\n") + "\n\n"
}

func priceWords(price float64) string {
	if price == -1 {
		return "-1 (never evicted for price)"
	}
	return "$" + azure.PriceText(price) + "/h"
}

func imageName(image string) string {
	if image == azure.ImageWindows2022 {
		return "Windows Server 2022 Datacenter Azure Edition"
	}
	return "Ubuntu Server 24.04 LTS"
}

func createReviewForm(m *Model) (*huh.Form, huh.Field) {
	m.d.create.confirm = true
	field := huh.NewConfirm().Title("Create this scale set now?").
		Affirmative("Create").Negative("Go back").Value(&m.d.create.confirm)
	return huh.NewForm(huh.NewGroup(field)), field
}

func createReviewDone(m *Model) (step, tea.Cmd) {
	if !m.d.create.confirm {
		return stepCreateDetails, nil
	}
	return stepCreating, nil
}

// progressMsg is one line of a running creation; createdMsg ends it.
type (
	progressMsg string
	createdMsg  struct {
		set azure.ScaleSet
		err error
	}
)

// creatingForm starts the creation; the form itself appears once it is over.
func creatingForm(m *Model) (*huh.Form, huh.Field) {
	note := huh.NewNote().Title("Scale set created").Next(true).NextLabel("Back to scale sets")
	return huh.NewForm(huh.NewGroup(note)), note
}

// startCreate runs the creation in the background, streaming its progress lines.
func (m *Model) startCreate() tea.Cmd {
	spec, err := m.createSpec()
	if err != nil {
		m.err = err
		return m.show(stepCreateReview)
	}
	ch := make(chan tea.Msg, 16)
	m.progressCh, m.progress, m.loading = ch, nil, "Creating "+spec.Name
	src, sub, record := m.opts.Source, m.d.subscription, m.recorder()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), createTimeout)
		defer cancel()
		set, err := src.CreateScaleSet(ctx, sub, spec, func(line string) {
			ch <- progressMsg(line)
		})
		record(AuditCreateScaleSet, []string{spec.ResourceGroup + "/" + spec.Name},
			specParams(spec), err)
		ch <- createdMsg{set: set, err: err}
		close(ch)
	}()
	return tea.Batch(m.spinner.Tick, waitProgress(ch))
}

// specParams are the audit record's parameters of a creation; never the password.
func specParams(spec azure.ScaleSetSpec) map[string]string {
	return map[string]string{"region": spec.Location, "size": spec.Size,
		"instances": fmt.Sprintf("%d-%d", spec.MinCount, spec.MaxCount),
		"eviction":  spec.EvictionPolicy, "maxPrice": azure.PriceText(spec.MaxPrice),
		"image": spec.Image, "admin": spec.AdminUsername}
}

// waitProgress delivers the next message of a running creation.
func waitProgress(ch chan tea.Msg) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

func (m *Model) handleCreated(msg createdMsg) tea.Cmd {
	m.loading, m.progressCh = "", nil
	if msg.err != nil {
		m.err = msg.err
		m.d.create.confirm = false
		return m.show(stepCreateReview)
	}
	// The password has done its job; it is not kept a moment longer.
	m.d.create.adminPassword = ""
	if !contains(m.d.scaleSets, msg.set.Name) {
		m.d.scaleSets = append(m.d.scaleSets, msg.set.Name)
	}
	m.progress = append(m.progress, "✓ "+msg.set.Name+" is in the fleet")
	return m.showForm()
}

func creatingView(m *Model) string {
	var b strings.Builder
	for _, line := range m.progress {
		b.WriteString(theme.Dim.Render("  "+line) + "\n")
	}
	if len(m.progress) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// createdDone returns to the scale sets, forgetting the creation pages so that going back
// from there never offers to create the same scale set again.
func createdDone(m *Model) (step, tea.Cmd) {
	for i, s := range m.history {
		if s == stepScaleSets {
			m.history = m.history[:i]
			break
		}
	}
	return 0, m.show(stepScaleSets)
}
