package setup

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"spotdeck/azure"
)

// step is one page of the wizard. Zero means "no step": the wizard ends.
type step int

const (
	stepSignIn step = iota + 1
	stepSubscription
	stepGroup
	stepScaleSets
	stepCreateBasics
	stepCreateDetails
	stepCreateReview
	stepCreating
	stepStorage
	stepQueues
	stepBundle
	stepAlerts
	stepAccess
	stepSave
	stepDone
)

// stepCount is how many numbered steps the header counts.
const stepCount = 8

// loader reads a step's data; the function it returns stores it in the model.
type loader func(ctx context.Context) (func(*Model), error)

// stepDef is how one step loads, asks and moves on.
type stepDef struct {
	number  int
	title   string
	loading string
	// load returns nil when the step needs nothing from Azure this time.
	load func(m *Model) loader
	form func(m *Model) (*huh.Form, huh.Field)
	// done applies the completed form and names the next step (0: end the wizard).
	done func(m *Model) (step, tea.Cmd)
	// view draws what goes above the form, such as the access check's results.
	view func(m *Model) string
	// start, when set, replaces load and form on entering: the step runs a task first.
	start func(m *Model) tea.Cmd
}

var steps map[step]stepDef

func init() {
	steps = map[step]stepDef{
		stepSignIn: {number: 1, title: "sign-in", loading: "Finding who is signed in",
			load: loadSignIn, form: signInForm, done: func(*Model) (step, tea.Cmd) {
				return stepSubscription, nil
			}},
		stepSubscription: {number: 2, title: "subscription", loading: "Listing subscriptions",
			load: loadSubscriptions, form: subscriptionForm, done: subscriptionDone},
		stepGroup: {number: 2, title: "resource group", loading: "Listing resource groups",
			load: loadGroups, form: groupForm, done: func(*Model) (step, tea.Cmd) {
				return stepScaleSets, nil
			}},
		stepScaleSets: {number: 3, title: "scale sets", loading: "Listing scale sets",
			load: loadScaleSets, form: scaleSetsForm, done: scaleSetsDone},
		stepCreateBasics: {number: 3, title: "new Spot scale set", loading: "Listing " +
			"resource groups", load: loadGroups, form: createBasicsForm,
			done: func(*Model) (step, tea.Cmd) { return stepCreateDetails, nil }},
		stepCreateDetails: {number: 3, title: "new Spot scale set", loading: "Listing " +
			"Spot VM sizes and identities", load: loadSizes, form: createDetailsForm,
			done: createDetailsDone},
		stepCreateReview: {number: 3, title: "new Spot scale set: summary",
			form: createReviewForm, done: createReviewDone, view: createReviewView},
		stepCreating: {number: 3, title: "creating the scale set", form: creatingForm,
			done: createdDone, view: creatingView, start: (*Model).startCreate},
		stepStorage: {number: 4, title: "storage", loading: "Listing storage accounts",
			load: loadAccounts, form: storageForm, done: storageDone},
		stepQueues: {number: 4, title: "queues and bundle container", loading: "Listing " +
			"queues and containers", load: loadQueues, form: queuesForm, done: queuesDone},
		stepBundle: {number: 5, title: "bundle defaults", loading: "Reading the scale " +
			"set's identities", load: loadIdentities, form: bundleForm,
			done: func(*Model) (step, tea.Cmd) { return stepAlerts, nil }},
		stepAlerts: {number: 6, title: "refresh and alerts", form: alertsForm,
			done: func(*Model) (step, tea.Cmd) { return stepAccess, nil }},
		stepAccess: {number: 7, title: "access check", loading: "Checking access, one " +
			"harmless call each", load: loadAccess, form: accessForm, done: accessDone,
			view: accessView},
		stepSave: {number: 8, title: "save", form: saveForm, done: saveDone},
		stepDone: {number: 8, title: "saved", form: doneForm, done: doneDone,
			view: doneView},
	}
}

func loadSignIn(m *Model) loader {
	src := m.opts.Source
	return func(ctx context.Context) (func(*Model), error) {
		who, err := src.SignIn(ctx)
		return func(m *Model) { m.data.signIn = who }, err
	}
}

func signInForm(m *Model) (*huh.Form, huh.Field) {
	tenant := m.data.signIn.TenantID
	if tenant == "" {
		tenant = "(not in the token)"
	}
	note := huh.NewNote().Title("Signed in").
		Description(fmt.Sprintf("as %s\ntenant %s", m.data.signIn.Identity, tenant)).
		Next(true).NextLabel("Continue")
	return huh.NewForm(huh.NewGroup(note)), note
}

func loadSubscriptions(m *Model) loader {
	src := m.opts.Source
	return func(ctx context.Context) (func(*Model), error) {
		subs, err := src.Subscriptions(ctx)
		return func(m *Model) { m.data.subscriptions = subs }, err
	}
}

func subscriptionForm(m *Model) (*huh.Form, huh.Field) {
	var options []huh.Option[string]
	known := false
	for _, s := range m.data.subscriptions {
		label := fmt.Sprintf("%s  %s", s.Name, s.ID)
		if s.State != "" && !strings.EqualFold(s.State, "Enabled") {
			label += "  (" + s.State + ")"
		}
		options = append(options, huh.NewOption(label, s.ID))
		known = known || s.ID == m.d.subscription
	}
	if m.d.subscription != "" && !known {
		options = append(options, huh.NewOption(m.d.subscription+"  (from the config, not "+
			"listed)", m.d.subscription))
	}
	if m.d.subscription == "" && len(options) > 0 {
		m.d.subscription = options[0].Value
	}
	field := huh.NewSelect[string]().Title("Subscription").
		Description("The subscription whose Spot scale sets spotdeck watches.").
		Options(options...).Value(&m.d.subscription)
	return huh.NewForm(huh.NewGroup(field)), field
}

func subscriptionDone(m *Model) (step, tea.Cmd) {
	if m.d.subscription == "" {
		m.err = fmt.Errorf("no subscription is visible to this sign-in; ask for the " +
			"Reader role on one, or sign in to its tenant with az login --tenant")
		return stepSubscription, nil
	}
	return stepGroup, nil
}

func loadGroups(m *Model) loader {
	src, sub := m.opts.Source, m.d.subscription
	return func(ctx context.Context) (func(*Model), error) {
		groups, err := src.ResourceGroups(ctx, sub)
		return func(m *Model) { m.data.groups = groups }, err
	}
}

func groupForm(m *Model) (*huh.Form, huh.Field) {
	options := []huh.Option[string]{huh.NewOption("All resource groups", allGroups)}
	for _, g := range m.data.groups {
		options = append(options, huh.NewOption(g, g))
	}
	field := huh.NewSelect[string]().Title("Resource group filter").
		Description("Optional: watch one resource group only.").
		Options(options...).Value(&m.d.resourceGroup)
	return huh.NewForm(huh.NewGroup(field)), field
}

func loadScaleSets(m *Model) loader {
	src, sub, group := m.opts.Source, m.d.subscription, m.d.resourceGroup
	return func(ctx context.Context) (func(*Model), error) {
		sets, err := src.ScaleSets(ctx, sub, group)
		return func(m *Model) { m.data.scaleSets = sets }, err
	}
}

func scaleSetsForm(m *Model) (*huh.Form, huh.Field) {
	marked := markedFirst(m.data.scaleSets, func(ss azure.ScaleSet) bool {
		return contains(m.d.scaleSets, ss.Name)
	})
	options := make([]huh.Option[string], 0, len(marked))
	for _, ss := range marked {
		options = append(options, huh.NewOption(scaleSetLabel(ss), ss.Name).
			Selected(contains(m.d.scaleSets, ss.Name)))
	}
	m.d.createNew = false
	pick := huh.NewMultiSelect[string]().Title("Scale sets to watch").
		Description("x or space marks one; none marked watches them all.").
		Options(options...).Value(&m.d.scaleSets)
	create := huh.NewConfirm().Title("Create a new Spot scale set first?").
		Description("Ready for the Functions host: Spot, Manual upgrades, health probe.").
		Affirmative("Create one").Negative("No").Value(&m.d.createNew)
	if len(options) == 0 {
		return huh.NewForm(huh.NewGroup(create)), create
	}
	return huh.NewForm(huh.NewGroup(pick, create)), pick
}

// scaleSetLabel shows priority, size and capacity beside the name.
func scaleSetLabel(ss azure.ScaleSet) string {
	capacity := "?"
	if ss.Capacity != nil {
		capacity = fmt.Sprint(*ss.Capacity)
	}
	priority := ss.Priority
	if priority == "" {
		priority = "regular"
	}
	return fmt.Sprintf("%-22s %-7s %-17s %3s instances  %s", ss.Name, priority, ss.SKU,
		capacity, ss.ResourceGroup)
}

func scaleSetsDone(m *Model) (step, tea.Cmd) {
	if m.d.createNew {
		return stepCreateBasics, nil
	}
	return stepStorage, nil
}

// markedFirst puts the marked items first, keeping their order. huh scrolls a
// multi-select down to its first marked option, which would hide the options above it.
func markedFirst[T any](items []T, marked func(T) bool) []T {
	out := make([]T, 0, len(items))
	var rest []T
	for _, item := range items {
		if marked(item) {
			out = append(out, item)
		} else {
			rest = append(rest, item)
		}
	}
	return append(out, rest...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
