// Package tui is the console: a root model that owns the latest reading of the fleet and a
// stack of screens that render it.
package tui

import (
	"context"
	"log/slog"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/events"
	"spotdeck/tui/auditlog"
	"spotdeck/tui/bundles"
	"spotdeck/tui/confirm"
	"spotdeck/tui/instances"
	"spotdeck/tui/keys"
	"spotdeck/tui/rollouts"
	"spotdeck/tui/scalesets"
	"spotdeck/tui/screen"
	"spotdeck/tui/timeline"
	"spotdeck/tui/watch"
)

// Options configure the console.
type Options struct {
	// Reader reads the fleet; the console calls it only from commands, never in View.
	Reader azure.FleetReader
	// Scope describes what is shown, e.g. "subscription 1234… · rg-functions" or "demo".
	Scope string
	// Refresh is the auto-refresh interval.
	Refresh time.Duration
	// Timeout bounds one reading of the fleet; zero means twice Refresh, at least 20s.
	Timeout time.Duration
	// ScaleSets, when not empty, limits the console to these scale sets by name.
	ScaleSets []string
	// Now gives the fleet's time, which stamps readings and events; nil means time.Now.
	// Tests pass a fixed clock; the demo passes its simulated clock.
	Now func() time.Time
	// Wall gives the operator's time, for arming, messages and "updated ago"; nil means
	// Now, which is right everywhere but in a simulation running faster than real time.
	Wall func() time.Time
	// Events, when set, keeps the events on disk across sessions.
	Events *events.Store
	// Activity, when set, is read once a minute to confirm evictions.
	Activity azure.ActivityReader
	// Spot, when set, gives Spot prices and eviction rates for the scale sets' details.
	Spot azure.SpotPriceReader
	// Queues reads the depths of QueueNames on every refresh, when both are set.
	Queues     azure.QueueDepthReader
	QueueNames []string
	// Thresholds raise queue alerts.
	Thresholds azure.QueueThresholds
	// StartOnWatch opens the console on the watch screen.
	StartOnWatch bool

	// Actor runs changes; nil, or ReadOnly, leaves the console without changing keys.
	Actor Actor
	// ReadOnly hides every changing key (--read-only).
	ReadOnly bool
	// ArmFor is how long arming lasts; zero means 10 minutes.
	ArmFor time.Duration
	// Bundles feeds the bundle screen (b): form defaults and the upload, if storage is set.
	Bundles bundles.Deps
	// Rollouts feeds the rollout screen (o): the driver, if storage is set.
	Rollouts rollouts.Deps
	// Audit records each change and its result; it runs inside the action's command.
	Audit func(ctx context.Context, a azure.Action, res azure.ActionResult, err error) error
	// AuditLog reads the audit log for the audit screen (A); nil leaves the screen out.
	AuditLog func(ctx context.Context, since time.Duration) ([]audit.Record, error)
}

// Actor runs operator actions against the fleet.
type Actor interface {
	Run(ctx context.Context, a azure.Action) (azure.ActionResult, error)
}

// Model is the root model of the console.
type Model struct {
	opts     Options
	stack    []screen.Screen
	fleet    azure.Fleet
	hasFleet bool
	lastGood time.Time
	err      error
	loading  bool
	gen      int // generation of the auto-refresh loop, so a manual refresh restarts it
	help     bool
	width    int
	height   int

	events         []events.Event // newest first, the last day
	activityReadAt time.Time
	activityErr    error

	spot     []azure.SpotInfo
	spotRead bool // a reading of Spot prices was started
	queues   []azure.QueueDepth
	history  *azure.QueueHistory
	alerting map[string]bool // queue alerts raised at the last reading

	armedUntil time.Time
	dialog     *confirm.Model
	pending    map[screen.PendingKey]string // operations running, by target
	actedOn    map[screen.PendingKey]time.Time
	tasks      int
	spinner    spinner.Model
	flash      flash

	rollouts map[string]*rollouts.Model // one screen per scale set, by rollouts.Key
}

// New returns the console's root model on the scale sets screen.
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wall == nil {
		opts.Wall = opts.Now
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = max(2*opts.Refresh, 20*time.Second)
	}
	if opts.ArmFor <= 0 {
		opts.ArmFor = defaultArmFor
	}
	m := Model{opts: opts,
		stack:   []screen.Screen{scalesets.New(!opts.ReadOnly && opts.Actor != nil)},
		loading: true, width: 80, height: 24, history: azure.NewQueueHistory(),
		spinner: newSpinner()}
	if opts.StartOnWatch {
		m.stack = append(m.stack, watch.New(opts.Now))
	}
	return m
}

type (
	// fleetMsg carries one reading of the fleet, or why it failed.
	fleetMsg struct {
		fleet azure.Fleet
		err   error
		gen   int
	}
	// refreshMsg asks for the next automatic reading of generation gen.
	refreshMsg struct{ gen int }
	// clockMsg redraws the "updated Ns ago" line once a second.
	clockMsg struct{}
)

// Init starts the first reading and the clock.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{readFleetCmd(m.opts, m.gen), clockCmd(),
		loadEventsCmd(m.opts.Events, m.opts.Now()), readQueuesCmd(m.opts)}
	if m.opts.Activity != nil {
		cmds = append(cmds, readActivityCmd(m.opts.Activity, m.activitySince(), m.opts.Timeout,
			m.opts.Now))
	}
	return tea.Batch(cmds...)
}

// Update hands each message to a named method.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return m.resize(msg.Width, msg.Height), nil
	case tea.KeyMsg:
		return m.handleKey(msg)
	case fleetMsg:
		return m.takeFleet(msg)
	case refreshMsg:
		if msg.gen != m.gen || m.loading {
			return m, nil
		}
		m.loading = true
		return m, tea.Batch(readFleetCmd(m.opts, m.gen), readQueuesCmd(m.opts))
	case queuesMsg:
		return m.takeQueues(msg)
	case spotMsg:
		return m.takeSpot(msg)
	case spotTickMsg:
		return m, readSpotCmd(m.opts.Spot, m.fleet, m.opts.Timeout)
	case clockMsg:
		if !m.armedUntil.IsZero() && !m.armed() {
			m.armedUntil = time.Time{}
			m.flash = flash{text: "disarmed: arming ran out; the console is read-only again",
				at: m.opts.Wall()}
		}
		return m, clockCmd()
	case eventsLoadedMsg:
		m.events = mergeEvents(m.events, msg.evs, m.opts.Now().Add(-events.Retention))
		m.handEvents()
		return m, nil
	case storedMsg:
		if msg.err != nil {
			slog.Error("store events", "err", msg.err)
		}
		return m, nil
	case activityTickMsg:
		return m, readActivityCmd(m.opts.Activity, m.activitySince(), m.opts.Timeout, m.opts.Now)
	case activityMsg:
		return m.takeActivity(msg)
	case screen.ActionMsg:
		return m.askToRun(msg)
	case confirm.AnswerMsg:
		if change, ok := msg.Payload.(screen.ChangeMsg); ok {
			return m.changeAnswered(change, msg.Confirmed)
		}
		return m.answered(msg)
	case screen.ChangeMsg:
		return m.askToChange(msg)
	case screen.OpenRolloutMsg:
		return m.openRollout(msg.ResourceGroup, msg.Name)
	case actionDoneMsg:
		return m.finished(msg)
	case auditMsg:
		return m.takeAudit(msg), nil
	case spinner.TickMsg:
		if m.tasks == 0 {
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case screen.BackMsg:
		if len(m.stack) > 1 {
			m.stack = m.stack[:len(m.stack)-1]
		}
		return m, nil
	case screen.OpenScaleSetMsg:
		return m.push(instances.New(msg.ResourceGroup, msg.Name, m.opts.Now,
			m.changesAllowed())), nil
	}
	if owner, ok := rollouts.Owner(msg); ok {
		return m.routeRollout(owner, msg)
	}
	return m.forward(msg)
}

func (m Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if msg.Type == tea.KeyCtrlC {
		return m, tea.Quit
	}
	if m.dialog != nil {
		d, cmd := m.dialog.Update(msg)
		m.dialog = &d
		return m, cmd
	}
	if m.top().Capturing() {
		return m.forward(msg)
	}
	if m.help {
		m.help = !key.Matches(msg, keys.Help, keys.Back, keys.Quit)
		return m, nil
	}
	switch {
	case key.Matches(msg, keys.Quit):
		return m, tea.Quit
	case key.Matches(msg, keys.Help):
		m.help = true
		return m, nil
	case key.Matches(msg, keys.Refresh):
		return m.refreshNow()
	case key.Matches(msg, keys.Arm) && m.changesAllowed():
		return m.toggleArm(), nil
	case key.Matches(msg, keys.Events) && m.top().Title() != "events":
		return m.push(timeline.New(m.opts.Now)), nil
	case key.Matches(msg, keys.Watch) && m.top().Title() != "watch":
		return m.push(watch.New(m.opts.Now)), nil
	case key.Matches(msg, keys.Bundle) && m.top().Title() != "bundle" && !m.opts.ReadOnly:
		return m.pushInit(bundles.New(m.opts.Bundles))
	case key.Matches(msg, keys.Rollout):
		return m.openRolloutOfTop()
	case key.Matches(msg, keys.Audit) && m.opts.AuditLog != nil &&
		m.top().Title() != auditlog.Title:
		return m.push(auditlog.New(m.opts.Wall)), readAuditCmd(m.opts)
	case key.Matches(msg, keys.Back) && len(m.stack) > 1 && !m.topFiltered():
		m.stack = m.stack[:len(m.stack)-1]
		return m, nil
	}
	if refused, ok := m.refuseUnarmed(msg); ok {
		return refused, nil
	}
	return m.forward(msg)
}

// refreshNow reads the fleet at once and restarts the auto-refresh loop after it.
func (m Model) refreshNow() (tea.Model, tea.Cmd) {
	m.gen++
	if m.loading {
		return m, nil
	}
	m.loading = true
	return m, tea.Batch(readFleetCmd(m.opts, m.gen), readQueuesCmd(m.opts))
}

func (m Model) takeFleet(msg fleetMsg) (tea.Model, tea.Cmd) {
	m.loading = false
	if msg.err != nil {
		// The last good reading stays on screen, marked stale by the header. When Azure
		// throttles, the next try waits as long as it asked: retrying sooner only
		// lengthens the penalty.
		m.err = msg.err
		return m, refreshAfterCmd(max(m.opts.Refresh, azure.RetryAfter(msg.err)), m.gen)
	}
	var changes []events.Event
	if m.hasFleet {
		changes = events.Absorb(m.events, events.Diff(m.fleet, msg.fleet, m.wasActedOn))
	}
	m.err = nil
	m.fleet, m.hasFleet, m.lastGood = msg.fleet, true, m.opts.Wall()
	for _, s := range m.stack {
		s.SetFleet(m.fleet)
	}
	m, store := m.record(changes)
	var spot tea.Cmd
	if !m.spotRead {
		// Prices need the fleet's SKUs, so the first reading waits for the first fleet.
		m.spotRead, spot = true, readSpotCmd(m.opts.Spot, m.fleet, m.opts.Timeout)
	}
	return m, tea.Batch(refreshAfterCmd(m.opts.Refresh, m.gen), store, spot)
}

func (m Model) push(s screen.Screen) Model {
	s.SetSize(m.width, m.bodyHeight())
	s.SetFleet(m.fleet)
	if es, ok := s.(eventsSetter); ok {
		es.SetEvents(m.events)
	}
	if qs, ok := s.(queuesSetter); ok {
		qs.SetQueues(m.queues, m.history, m.opts.Thresholds)
	}
	if ps, ok := s.(pendingSetter); ok {
		ps.SetPending(m.pending)
	}
	if ss, ok := s.(spotSetter); ok {
		ss.SetSpot(m.spot)
	}
	m.stack = append(m.stack, s)
	return m
}

// pushInit pushes a screen that starts work of its own (a form) and returns its command.
func (m Model) pushInit(s interface {
	screen.Screen
	Init() tea.Cmd
}) (tea.Model, tea.Cmd) {
	return m.push(s), s.Init()
}

func (m Model) resize(width, height int) Model {
	m.width, m.height = width, height
	for _, s := range m.stack {
		s.SetSize(width, m.bodyHeight())
	}
	return m
}

func (m Model) forward(msg tea.Msg) (tea.Model, tea.Cmd) {
	top, cmd := m.top().Update(msg)
	m.stack[len(m.stack)-1] = top
	return m, cmd
}

func (m Model) top() screen.Screen { return m.stack[len(m.stack)-1] }

// topFiltered tells whether the top screen has a filter applied, which esc clears first.
func (m Model) topFiltered() bool {
	f, ok := m.top().(interface{ Filtered() bool })
	return ok && f.Filtered()
}

// bodyHeight is what is left for a screen under the header and above the status line.
func (m Model) bodyHeight() int { return max(m.height-2, 3) }

func clockCmd() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

func refreshAfterCmd(d time.Duration, gen int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return refreshMsg{gen: gen} })
}
