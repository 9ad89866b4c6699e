// Package rollouts is the console's rollout screen: pick an uploaded bundle and the batch
// limits, read the plan (the extension change and what stands against it), start after a
// confirmation, then watch the batches go by and pause, resume, abort or roll back.
package rollouts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"spotdeck/azure"
	"spotdeck/tui/keys"
	"spotdeck/tui/screen"
)

// Driver is what the screen needs of azure.RolloutDriver.
type Driver interface {
	Container() string
	Labels(ctx context.Context) ([]azure.BundleLabel, error)
	Load(ctx context.Context, resourceGroup, scaleSet string) (azure.Rollout, error)
	Plan(ctx context.Context, resourceGroup, scaleSet, label string,
		limits azure.RolloutLimits) (azure.RolloutPlan, error)
	Start(ctx context.Context, plan azure.RolloutPlan) (azure.Rollout, error)
	Holds(r azure.Rollout) bool
	Step(ctx context.Context, r azure.Rollout) (azure.Rollout, error)
	Operate(ctx context.Context, r azure.Rollout, verb string) (azure.Rollout, error)
}

// Deps are what the screen needs from the program around it.
type Deps struct {
	// Driver is nil when no storage is configured; Help then says how to configure it.
	Driver Driver
	Help   string
	// Poll is how often a running rollout steps or a watched one is read; 0 means 2s.
	Poll time.Duration
	// ReadOnly shows rollouts without any key that changes them (--read-only).
	ReadOnly bool
	// Audit, when set, records each change the screen makes.
	Audit func(ctx context.Context, action string, r azure.Rollout, err error)
}

// stage is where the screen is in its walk.
type stage int

const (
	stageLoading stage = iota
	stageForm
	stagePlanning
	stagePlan
	stageRunning
)

// Keys of the screen. Capitals, so that a stray key never changes a rollout.
var (
	startKey    = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start"))
	pauseKey    = key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "pause"))
	resumeKey   = key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "resume"))
	abortKey    = key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "abort"))
	rollbackKey = key.NewBinding(key.WithKeys("B"), key.WithHelp("B", "roll back"))
	newKey      = key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new rollout"))
)

// Model is the rollout screen of one scale set.
type Model struct {
	deps          Deps
	resourceGroup string
	name          string
	stage         stage
	form          *huh.Form
	in            formValues
	labels        []azure.BundleLabel
	plan          *azure.RolloutPlan
	record        *azure.Rollout
	err           error
	note          string // what was asked of another process
	queued        string // a confirmed operation waiting for the request in flight
	busy          bool   // a request to Azure or storage is in flight
	width, height int
}

// formValues are the form's fields as text, bound to huh inputs.
type formValues struct {
	label, batch, maxUnhealthy, pause, timeout string
}

// New returns the rollout screen of a scale set; defaultLabel, when set, is preselected.
func New(deps Deps, resourceGroup, name, defaultLabel string) *Model {
	if deps.Poll <= 0 {
		deps.Poll = 2 * time.Second
	}
	return &Model{deps: deps, resourceGroup: resourceGroup, name: name,
		in: formValues{label: defaultLabel, batch: "20%", maxUnhealthy: "20%", pause: "30s",
			timeout: "10m"}}
}

// Init reads the scale set's last rollout and the uploaded bundles.
func (m *Model) Init() tea.Cmd {
	if m.deps.Driver == nil {
		return nil
	}
	m.busy = true
	return loadCmd(m.deps.Driver, m.resourceGroup, m.name)
}

// Reopen reads the bundles and the last rollout again when the screen comes back on its
// form or on a finished rollout: a bundle uploaded meanwhile must be offered.
func (m *Model) Reopen() tea.Cmd {
	running := m.stage == stageRunning && m.record != nil && !m.record.Finished()
	if m.deps.Driver == nil || m.busy || running || m.stage == stagePlan {
		return nil
	}
	return m.Init()
}

// Title names the screen.
func (m *Model) Title() string { return "rollout · " + m.name }

// Keys lists the screen's keys for the help page.
func (m *Model) Keys() []key.Binding {
	return []key.Binding{keys.Back, startKey, pauseKey, resumeKey, abortKey, rollbackKey,
		newKey}
}

// Capturing is true while the form takes typing.
func (m *Model) Capturing() bool { return m.stage == stageForm && m.form != nil }

// SetSize lays the form out.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	if m.form != nil {
		m.form = m.form.WithWidth(min(width, 100)).WithHeight(max(height-2, 8))
	}
}

// SetFleet is part of screen.Screen; the screen reads the rollout's own record.
func (m *Model) SetFleet(azure.Fleet) {}

// SelectedScaleSet names the scale set of the screen, so that o opens it again.
func (m *Model) SelectedScaleSet() (resourceGroup, name string, ok bool) {
	return m.resourceGroup, m.name, true
}

// Update handles the form, the answers of the commands and the keys.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		return m, m.loaded(msg)
	case plannedMsg:
		m.busy, m.err = false, msg.err
		m.plan, m.stage = &msg.plan, stagePlan
		if msg.err != nil {
			m.plan = nil
		}
		return m, nil
	case recordMsg:
		return m, m.took(msg)
	case tickMsg:
		return m, m.tick()
	case startMsg:
		return m, m.start()
	case operateMsg:
		return m, m.operate(msg.verb)
	case tea.KeyMsg:
		if m.stage == stageForm && m.form != nil {
			if msg.Type == tea.KeyEsc {
				return m, screen.Open(screen.BackMsg{})
			}
			return m, m.updateForm(msg)
		}
		return m, m.handleKey(msg)
	}
	if m.stage == stageForm && m.form != nil {
		return m, m.updateForm(msg)
	}
	return m, nil
}

// loaded shows the last rollout when it is not finished, or the form for a new one.
func (m *Model) loaded(msg loadedMsg) tea.Cmd {
	m.busy, m.labels, m.err = false, msg.labels, msg.err
	if msg.record != nil && !msg.record.Finished() {
		m.record, m.stage = msg.record, stageRunning
		return m.tickCmd()
	}
	m.record = msg.record
	if m.deps.ReadOnly {
		m.stage = stageRunning
		return nil
	}
	return m.openForm()
}

// openForm starts the form of a new rollout.
func (m *Model) openForm() tea.Cmd {
	if m.in.label == "" && len(m.labels) > 0 {
		m.in.label = m.labels[0].Label
	}
	m.stage, m.plan = stageForm, nil
	m.form = newForm(&m.in, m.labels)
	m.SetSize(m.width, m.height)
	return m.form.Init()
}

func newForm(v *formValues, labels []azure.BundleLabel) *huh.Form {
	var label huh.Field = huh.NewInput().Title("Bundle label").
		Description("a label uploaded with the bundle screen (b)").Value(&v.label).
		Validate(func(s string) error {
			if strings.TrimSpace(s) == "" {
				return fmt.Errorf("give the label of an uploaded bundle")
			}
			return nil
		})
	if len(labels) > 0 {
		options := make([]huh.Option[string], 0, len(labels))
		for _, l := range labels {
			options = append(options, huh.NewOption(labelText(l), l.Label))
		}
		label = huh.NewSelect[string]().Title("Bundle").Options(options...).Value(&v.label)
	}
	return huh.NewForm(huh.NewGroup(
		label,
		huh.NewInput().Title("Batch").Description("a share (20%) or a count (3)").
			Value(&v.batch).Validate(func(s string) error {
			_, _, err := share(s, true)
			return err
		}),
		huh.NewInput().Title("Halt above unhealthy").Description("share of instances, e.g. 20%").
			Value(&v.maxUnhealthy).Validate(func(s string) error {
			_, _, err := share(s, false)
			return err
		}),
		huh.NewInput().Title("Pause between batches").Value(&v.pause).Validate(duration),
		huh.NewInput().Title("Health timeout per batch").Value(&v.timeout).
			Validate(positiveDuration),
	)).WithShowHelp(true)
}

func labelText(l azure.BundleLabel) string {
	if l.Uploaded.IsZero() {
		return l.Label
	}
	return l.Label + "  (uploaded " + l.Uploaded.Local().Format("Jan 2 15:04") + ")"
}

// share reads "20%" as a share, or "3" as a count when counts are allowed.
func share(text string, countOK bool) (percent, count int, err error) {
	text = strings.TrimSpace(text)
	if p, ok := strings.CutSuffix(text, "%"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 100 {
			return 0, 0, fmt.Errorf("%q: give a share from 0%% to 100%%", text)
		}
		return n, 0, nil
	}
	n, err := strconv.Atoi(text)
	if !countOK || err != nil || n < 1 {
		return 0, 0, fmt.Errorf("%q: give a share such as 20%%", text)
	}
	return 0, n, nil
}

func positiveDuration(s string) error {
	if d, err := time.ParseDuration(strings.TrimSpace(s)); err != nil || d <= 0 {
		return fmt.Errorf("%q: give a duration above zero such as 10m", s)
	}
	return nil
}

func duration(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return fmt.Errorf("%q: give a duration such as 30s or 10m", s)
	}
	return nil
}

// limits turns the form's values into the rollout's limits; the form validated them.
func (v formValues) limits() azure.RolloutLimits {
	percent, count, _ := share(v.batch, true)
	maxBad, _, _ := share(v.maxUnhealthy, false)
	pause, _ := time.ParseDuration(strings.TrimSpace(v.pause))
	timeout, _ := time.ParseDuration(strings.TrimSpace(v.timeout))
	return azure.RolloutLimits{BatchPercent: percent, BatchSize: count, MaxUnhealthy: maxBad,
		Pause: pause, HealthTimeout: timeout}
}

// updateForm passes a message to the form and plans the rollout once it is complete.
func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	form, cmd := m.form.Update(msg)
	if f, ok := form.(*huh.Form); ok {
		m.form = f
	}
	switch m.form.State {
	case huh.StateCompleted:
		m.stage, m.busy, m.form = stagePlanning, true, nil
		return planCmd(m.deps.Driver, m.resourceGroup, m.name, m.in.label, m.in.limits())
	case huh.StateAborted:
		return screen.Open(screen.BackMsg{})
	}
	return cmd
}

// handleKey runs the keys of the plan and of a running rollout.
func (m *Model) handleKey(km tea.KeyMsg) tea.Cmd {
	switch {
	case m.stage == stagePlan && key.Matches(km, startKey) && m.plan != nil &&
		!m.plan.Refused():
		return screen.Open(m.startChange())
	case m.stage == stagePlan && key.Matches(km, newKey):
		return m.openForm()
	case m.stage != stageRunning || m.record == nil:
		return nil
	case key.Matches(km, newKey) && m.record.Finished() && !m.deps.ReadOnly:
		return m.openForm()
	}
	for _, verb := range []string{"pause", "resume", "abort", "rollback"} {
		if key.Matches(km, verbKeys[verb]) && m.allowed(verb) {
			return screen.Open(m.verbChange(verb))
		}
	}
	return nil
}

var verbKeys = map[string]key.Binding{"pause": pauseKey, "resume": resumeKey,
	"abort": abortKey, "rollback": rollbackKey}

// allowed tells whether an operation fits the rollout's state.
func (m *Model) allowed(verb string) bool {
	r := m.record
	if m.deps.ReadOnly {
		return false
	}
	switch verb {
	case "pause":
		return !r.Stopped() && r.State != azure.RolloutRollingBack &&
			r.State != azure.RolloutRollbackWait
	case "resume":
		return r.State == azure.RolloutHalted || r.State == azure.RolloutPaused ||
			!r.Finished() && !m.deps.Driver.Holds(*r)
	case "abort":
		return !r.Finished()
	case "rollback":
		return r.State != azure.RolloutRolledBack && r.State != azure.RolloutRollingBack &&
			r.State != azure.RolloutRollbackWait
	}
	return false
}

// startChange asks the root to confirm the start of the planned rollout: it changes
// every instance, so the operator types the scale set's name.
func (m *Model) startChange() screen.ChangeMsg {
	r := m.plan.Rollout
	return screen.ChangeMsg{
		Title: fmt.Sprintf("Roll %s out to %s", r.Label, r.ScaleSet),
		Lines: []string{
			fmt.Sprintf("Sets the Custom Script Extension of %s to %s,", r.ScaleSet, r.Label),
			fmt.Sprintf("then upgrades every instance in batches (%s mode);", r.UpgradeMode),
			fmt.Sprintf("halts by itself above %d%% unhealthy. B rolls back.",
				r.Limits.MaxUnhealthy),
		},
		TypeToConfirm: r.ScaleSet,
		Reversible:    true,
		Then:          startMsg{owner: Key(r.ResourceGroup, r.ScaleSet)},
	}
}

// verbChange asks the root to confirm an operation on the running rollout.
func (m *Model) verbChange(verb string) screen.ChangeMsg {
	r := m.record
	effect := map[string]string{
		"pause":    "stops after the current step; resume goes on",
		"resume":   "goes on from what the instances report; failed instances are let past",
		"abort":    "ends the rollout and leaves every instance as it is",
		"rollback": "restores " + orPrevious(r.Previous.Tag) + " on the instances it touched",
	}[verb]
	change := screen.ChangeMsg{Title: fmt.Sprintf("%s the rollout of %s to %s", verb,
		r.Label, r.ScaleSet), Lines: []string{effect},
		Then: operateMsg{owner: Key(r.ResourceGroup, r.ScaleSet), verb: verb}}
	if verb == "rollback" {
		change.TypeToConfirm = r.ScaleSet
	}
	return change
}

func orPrevious(tag string) string {
	if tag == "" {
		return "the previous settings"
	}
	return tag
}

// start begins the confirmed rollout.
func (m *Model) start() tea.Cmd {
	if m.plan == nil || m.busy {
		return nil
	}
	m.busy = true
	return startCmd(m.deps, *m.plan)
}

// operate runs a confirmed operation.
func (m *Model) operate(verb string) tea.Cmd {
	if m.record == nil {
		return nil
	}
	if m.busy {
		// A reading or step is in flight: the operation runs when it has come back.
		m.queued = verb
		return nil
	}
	m.busy = true
	return operateCmd(m.deps, *m.record, verb)
}

// took shows a record that a command returned and goes on stepping while it runs.
func (m *Model) took(msg recordMsg) tea.Cmd {
	m.busy, m.err, m.note = false, msg.err, ""
	if errors.Is(msg.err, azure.ErrRolloutAsked) {
		m.err, m.note = nil, "asked the process that drives this rollout; it acts at its "+
			"next step"
	}
	if msg.record.ID == "" {
		return m.tickCmd()
	}
	first := m.stage != stageRunning
	m.record, m.stage = &msg.record, stageRunning
	if verb := m.queued; verb != "" {
		m.queued = ""
		return m.operate(verb)
	}
	if first || !msg.record.Finished() {
		return m.tickCmd()
	}
	return nil
}

// tick steps a rollout this console drives, or reads one that another process drives.
func (m *Model) tick() tea.Cmd {
	if m.stage != stageRunning || m.record == nil || m.busy || m.record.Finished() {
		return nil
	}
	m.busy = true
	if m.deps.Driver.Holds(*m.record) && !m.record.Stopped() {
		return stepCmd(m.deps.Driver, *m.record)
	}
	return reloadCmd(m.deps.Driver, m.resourceGroup, m.name)
}

func (m *Model) tickCmd() tea.Cmd {
	owner := Key(m.resourceGroup, m.name)
	return tea.Tick(m.deps.Poll, func(time.Time) tea.Msg { return tickMsg{owner: owner} })
}
