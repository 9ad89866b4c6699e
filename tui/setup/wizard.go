// Package setup is the guided first-time setup: a sequence of forms that walks an operator
// from sign-in to a saved, verified configuration, and can create a Spot scale set on the
// way. Every step can go back (shift+tab on its first field); Esc cancels without writing.
package setup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/x/ansi"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/config"
	"spotdeck/tui/theme"
)

// defaultTimeout bounds one call to Azure made by a step.
const defaultTimeout = 60 * time.Second

// maxFormWidth keeps forms readable on wide terminals.
const maxFormWidth = 96

// Options configure the wizard.
type Options struct {
	// Source reads and changes Azure; tests hand in a stand-in.
	Source azure.SetupSource
	// Config is the current configuration, whose values are preselected.
	Config config.Config
	// ConfigPath is where the configuration is written.
	ConfigPath string
	// Save writes the configuration; nil means config.Save.
	Save func(path string, cfg config.Config) error
	// Timeout bounds one call to Azure; zero means a minute.
	Timeout time.Duration
	// Audit records a change the wizard made: a scale set or a container created, the
	// configuration written. Nil records nothing.
	Audit func(ctx context.Context, r audit.Record) error
}

// Result is how the wizard ended.
type Result struct {
	// Config is the configuration written, or the one handed in when nothing was.
	Config config.Config
	// Saved tells whether the configuration was written.
	Saved bool
	// Path is where it was written.
	Path string
	// OpenConsole tells the operator asked to open the console on the saved config.
	OpenConsole bool
	// ConnectionString is the storage secret read during setup, for the console that
	// follows in the same process, even when the operator chose not to store it.
	ConnectionString string
}

// String describes the result without its secret.
func (r Result) String() string {
	return fmt.Sprintf("setup result: saved=%t path=%s", r.Saved, r.Path)
}

// GoString keeps %#v as discreet as %v.
func (r Result) GoString() string { return r.String() }

// Model is the wizard's bubbletea model. Use it through a pointer.
type Model struct {
	opts    Options
	step    step
	history []step
	form    *huh.Form
	// first is the form's first field: shift+tab there goes back a step.
	first   huh.Field
	loading string
	spinner spinner.Model
	err     error
	width   int
	height  int

	d      draft
	data   loaded
	result Result
	// progress holds the lines of a running creation; progressCh delivers them.
	progress   []string
	progressCh chan tea.Msg
	// retrying tells the form on screen is the "try again" of a failed load.
	retrying bool
}

// New prepares the wizard.
func New(opts Options) *Model {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.Save == nil {
		opts.Save = config.Save
	}
	m := &Model{opts: opts, spinner: spinner.New(spinner.WithSpinner(spinner.Dot))}
	m.d = draftFrom(opts.Config)
	m.result = Result{Config: opts.Config, Path: opts.ConfigPath}
	return m
}

// Run shows the wizard in the terminal and returns how it ended.
func Run(opts Options) (Result, error) {
	m := New(opts)
	final, err := tea.NewProgram(m, tea.WithAltScreen()).Run()
	if err != nil {
		return Result{}, fmt.Errorf("setup: %w", err)
	}
	return final.(*Model).Result(), nil
}

// Result returns how the wizard ended; before the end it reports nothing saved.
func (m *Model) Result() Result {
	return m.result
}

// Init starts at the sign-in step.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.spinner.Tick, m.enter(stepSignIn))
}

// loadedMsg carries what a step's load read; apply stores it in the model.
type loadedMsg struct {
	step  step
	apply func(m *Model)
	err   error
	// next, when set, is the step to go to once the data is stored.
	next step
}

// Update hands each message to its handler.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		if m.form != nil {
			m.form = m.form.WithWidth(formWidth(m.width))
		}
		return m, nil
	case tea.KeyMsg:
		if cmd, handled := m.handleKey(msg); handled {
			return m, cmd
		}
	case loadedMsg:
		return m, m.handleLoaded(msg)
	case progressMsg:
		m.progress = append(m.progress, string(msg))
		return m, waitProgress(m.progressCh)
	case createdMsg:
		return m, m.handleCreated(msg)
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	}
	return m, m.updateForm(msg)
}

// handleKey takes the wizard's own keys before the form sees them.
func (m *Model) handleKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	switch msg.String() {
	case "esc", "ctrl+c":
		if m.step == stepDone {
			return tea.Quit, true // saved; the operator only declines the console
		}
		// Nothing is written: the result still says not saved.
		return tea.Quit, true
	case "shift+tab":
		if m.loading == "" && (m.form == nil || m.form.GetFocusedField() == m.first) {
			return m.back(), true
		}
	}
	return nil, false
}

// handleLoaded stores a step's data and shows its form, or the error.
func (m *Model) handleLoaded(msg loadedMsg) tea.Cmd {
	if msg.step != m.step {
		return nil // the operator went elsewhere while it loaded
	}
	m.loading = ""
	if msg.err != nil {
		m.err = msg.err
		return m.showRetry()
	}
	if msg.apply != nil {
		msg.apply(m)
	}
	if msg.next != 0 {
		return m.enter(msg.next)
	}
	return m.showForm()
}

// updateForm passes a message to the form and moves on when the form completes.
func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	if m.form == nil || m.loading != "" {
		return nil
	}
	model, cmd := m.form.Update(msg)
	if form, ok := model.(*huh.Form); ok {
		m.form = form
	}
	if m.form.State == huh.StateCompleted {
		m.form = nil
		return tea.Batch(cmd, m.complete())
	}
	return cmd
}

// enter makes s the current step and starts its load, or shows its form at once.
func (m *Model) enter(s step) tea.Cmd {
	if m.step != s && m.step != 0 {
		m.history = append(m.history, m.step)
	}
	return m.show(s)
}

// show displays a step without recording history.
func (m *Model) show(s step) tea.Cmd {
	m.step, m.err, m.form, m.retrying = s, nil, nil, false
	def := steps[s]
	if def.start != nil {
		return def.start(m)
	}
	if def.load == nil {
		return m.showForm()
	}
	load := def.load(m)
	if load == nil {
		return m.showForm()
	}
	m.loading = def.loading
	return tea.Batch(m.spinner.Tick, m.run(s, load))
}

// run calls Azure in a command with a deadline and hands back what apply stores.
func (m *Model) run(s step, load loader) tea.Cmd {
	return m.runThen(s, 0, load)
}

// runThen is run, going on to next once the call succeeded.
func (m *Model) runThen(s, next step, load loader) tea.Cmd {
	timeout := m.opts.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		apply, err := load(ctx)
		return loadedMsg{step: s, apply: apply, err: err, next: next}
	}
}

// showForm builds the current step's form.
func (m *Model) showForm() tea.Cmd {
	form, first := steps[m.step].form(m)
	form = form.WithShowHelp(true).WithTheme(huh.ThemeBase())
	if m.width > 0 {
		form = form.WithWidth(formWidth(m.width))
	}
	m.form, m.first = form, first
	return form.Init()
}

// showRetry offers to repeat a step whose call to Azure failed.
func (m *Model) showRetry() tea.Cmd {
	note := huh.NewNote().Title("That did not work").
		Description("Fix what the message above says, then try again; shift+tab goes back.").
		Next(true).NextLabel("Try again")
	m.form, m.first, m.retrying = huh.NewForm(huh.NewGroup(note)), note, true
	if m.width > 0 {
		m.form = m.form.WithWidth(formWidth(m.width))
	}
	return m.form.Init()
}

// complete applies the finished form and moves to the step it leads to.
func (m *Model) complete() tea.Cmd {
	if m.retrying {
		m.retrying = false
		return m.show(m.step)
	}
	next, cmd := steps[m.step].done(m)
	if next == m.step {
		// The step refused its answers: show it again with the reason, which show
		// would otherwise clear.
		err := m.err
		shown := m.show(next)
		m.err = err
		return tea.Batch(cmd, shown)
	}
	if next == 0 {
		return cmd
	}
	return tea.Batch(cmd, m.enter(next))
}

// back returns to the previous step; on the first step there is nowhere to go.
func (m *Model) back() tea.Cmd {
	if m.step == stepCreating {
		// Going back from a created scale set must not offer to create it again.
		_, cmd := createdDone(m)
		return cmd
	}
	if len(m.history) == 0 {
		return nil
	}
	prev := m.history[len(m.history)-1]
	m.history = m.history[:len(m.history)-1]
	return m.show(prev)
}

// finish ends the wizard after the configuration was written, opening the console.
func (m *Model) finish() tea.Cmd {
	m.result.OpenConsole = true
	return tea.Quit
}

// auditTimeout bounds writing one audit record, which may go to the team's blob.
const auditTimeout = 30 * time.Second

// recorder returns what records one change of the wizard, made by the signed-in identity.
// It is called from the change's own command, so it captures values, not the model.
func (m *Model) recorder() func(action string, targets []string, params map[string]string,
	err error) {
	record, who := m.opts.Audit, m.data.signIn.Identity
	return func(action string, targets []string, params map[string]string, err error) {
		if record == nil {
			return
		}
		r := audit.NewRecord(who, action, targets, params)
		r.Result = audit.Outcome(err)
		ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
		defer cancel()
		if aerr := record(ctx, r); aerr != nil {
			slog.Error("audit record", "action", action, "err", aerr)
		}
	}
}

func formWidth(width int) int {
	return max(min(width-2, maxFormWidth), 20)
}

// View draws the header, the step's form or its loading line, and the keys.
func (m *Model) View() string {
	var b strings.Builder
	def := steps[m.step]
	b.WriteString(theme.Title.Render(fmt.Sprintf("spotdeck setup · step %d of %d · %s",
		def.number, stepCount, def.title)))
	b.WriteString("\n\n")
	if m.err != nil {
		// Wrapped, not cut at the edge: the end of a refusal names the role to grant.
		text := "✗ " + errorText(m.err)
		if m.width > 0 {
			text = ansi.Wrap(text, formWidth(m.width), " ")
		}
		b.WriteString(theme.ErrorLine.Render(text))
		b.WriteString("\n\n")
	}
	if extra := def.view; extra != nil {
		text := extra(m)
		if m.width > 0 {
			// Results and summaries wrap: a grant names its scope at the end.
			text = ansi.Wrap(text, formWidth(m.width), " ")
		}
		b.WriteString(text)
	}
	switch {
	case m.loading != "":
		b.WriteString(m.spinner.View() + " " + m.loading + "…\n")
	case m.form != nil:
		b.WriteString(m.form.View())
		b.WriteString("\n")
	}
	b.WriteString("\n" + theme.Dim.Render(footer(m)))
	return b.String()
}

func footer(m *Model) string {
	switch {
	case m.step == stepDone:
		return "enter open the console · esc close"
	case m.step == stepCreating && m.loading != "":
		return "esc leaves setup without saving; Azure goes on creating the scale set"
	}
	return "shift+tab back · esc cancel without saving"
}

// errorText keeps an error on a few lines: wrapped SDK errors can be long.
func errorText(err error) string {
	text := err.Error()
	var ctxErr = context.DeadlineExceeded
	if errors.Is(err, ctxErr) {
		return "Azure did not answer in time; go back and try again"
	}
	const maxRunes = 600
	if r := []rune(text); len(r) > maxRunes {
		return string(r[:maxRunes-1]) + "…"
	}
	return text
}
