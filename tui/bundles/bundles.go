// Package bundles is the console's bundle screen: a form for the inputs, a build with a
// progress bar and the preflight findings, then an upload with bytes, rate and time left.
package bundles

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"spotdeck/azure"
	"spotdeck/bundle"
)

// UploadFunc uploads a built bundle folder, reporting progress.
type UploadFunc func(ctx context.Context, dir string,
	progress func(azure.UploadProgress)) (azure.UploadResult, error)

// Deps are what the screen needs from the program around it.
type Deps struct {
	// Defaults prefill the form.
	Defaults bundle.Options
	// Upload is nil when no storage is configured; StorageHelp then says how to set it.
	Upload      UploadFunc
	StorageHelp string
}

// stage is where the screen is in its walk.
type stage int

const (
	stageForm stage = iota
	stageBuilding
	stageBuilt
	stageUploading
	stageUploaded
)

var (
	uploadKey = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "upload the bundle"))
	againKey  = key.NewBinding(key.WithKeys("n"),
		key.WithHelp("n", "new bundle, the form keeping the last values"))
	stopKey = key.NewBinding(key.WithKeys("esc"),
		key.WithHelp("esc", "stop the build or upload; u continues an upload"))
)

// Model is the bundle screen.
type Model struct {
	deps   Deps
	stage  stage
	form   *huh.Form
	in     formValues
	bar    progress.Model
	frac   float64
	detail string
	result *bundle.Result
	upload *azure.UploadResult
	// buildErr stops the screen at the build's findings; uploadErr leaves the built bundle
	// on screen, ready for another try.
	buildErr  error
	uploadErr error
	// cancel stops the build or upload running, if any.
	cancel context.CancelFunc
	width  int
	height int
}

// formValues are the form's fields as text, bound to huh inputs.
type formValues struct {
	host, app, env, os, label, port, out string
}

// New returns the bundle screen on its form.
func New(deps Deps) *Model {
	m := &Model{deps: deps, bar: progress.New(progress.WithDefaultGradient())}
	m.in = defaultValues(deps.Defaults)
	m.resetForm()
	return m
}

// defaultValues fills the form from the configured defaults.
func defaultValues(d bundle.Options) formValues {
	in := formValues{host: d.HostPath, app: d.AppPath, env: d.EnvPath, os: d.OS,
		port: strconv.Itoa(d.HealthPort), out: d.OutDir}
	if in.os == "" {
		in.os = bundle.OSLinux
	}
	if d.HealthPort <= 0 {
		in.port = strconv.Itoa(bundle.DefaultHealthPort)
	}
	return in
}

// resetForm opens a new form on the values of m.in: the defaults at first, then what was
// typed last, so that fixing one path does not mean typing the others again.
func (m *Model) resetForm() {
	m.form = newForm(&m.in)
	m.stage, m.result, m.upload, m.frac = stageForm, nil, nil, 0
	m.buildErr, m.uploadErr = nil, nil
}

func newForm(v *formValues) *huh.Form {
	required := func(what string) func(string) error {
		return func(s string) error {
			if strings.TrimSpace(s) == "" {
				return fmt.Errorf("give the %s", what)
			}
			return nil
		}
	}
	return huh.NewForm(huh.NewGroup(
		huh.NewInput().Title("Host build").Description("folder or zip of azure-functions-host").
			Value(&v.host).Validate(required("host build path")),
		huh.NewInput().Title("Function app").Description("folder or zip of the published app").
			Value(&v.app).Validate(required("function app path")),
		huh.NewInput().Title("App settings").Description("KEY=VALUE file; values stay secret").
			Value(&v.env).Validate(required("env file path")),
		huh.NewSelect[string]().Title("Instance OS").Options(
			huh.NewOption("Linux (install.sh, systemd)", bundle.OSLinux),
			huh.NewOption("Windows (install.ps1)", bundle.OSWindows)).Value(&v.os),
		huh.NewInput().Title("Label").Description("empty: derived from the content").
			Value(&v.label).Validate(func(s string) error {
			if s == "" {
				return nil
			}
			return bundle.ValidateLabel(s)
		}),
		huh.NewInput().Title("Health port").Value(&v.port).Validate(validPort),
		huh.NewInput().Title("Output folder").Value(&v.out).Validate(required("output folder")),
	)).WithShowHelp(true)
}

func validPort(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q is not a port; give 1-65535", s)
	}
	return nil
}

// Title names the screen.
func (m *Model) Title() string { return "bundle" }

// Keys lists the screen's keys.
func (m *Model) Keys() []key.Binding { return []key.Binding{uploadKey, againKey, stopKey} }

// Capturing is true while the form takes typing, so letters are not commands, and while a
// build or upload runs, so that esc stops it rather than leaving it running unseen.
func (m *Model) Capturing() bool {
	return m.stage == stageForm || m.stage == stageBuilding || m.stage == stageUploading
}

// SetSize lays out the form and the bar.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.form = m.form.WithWidth(min(width, 100)).WithHeight(max(height-2, 8))
	m.bar.Width = max(min(width-20, 60), 10)
}

// SetFleet is part of screen.Screen; the bundle screen does not use the fleet.
func (m *Model) SetFleet(azure.Fleet) {}

// Init starts the form.
func (m *Model) Init() tea.Cmd { return m.form.Init() }
