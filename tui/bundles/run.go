package bundles

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
	"spotdeck/bundle"
	"spotdeck/tui/screen"
	"spotdeck/tui/theme"
)

// buildTimeout and uploadTimeout bound the work the screen starts.
const (
	buildTimeout  = 30 * time.Minute
	uploadTimeout = 2 * time.Hour
)

type (
	progressMsg struct {
		frac   float64
		detail string
		next   <-chan tea.Msg
	}
	builtMsg struct {
		res *bundle.Result
		err error
	}
	uploadedMsg struct {
		res azure.UploadResult
		err error
	}
)

// listen waits for the next message a running build or upload sends.
func listen(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

// buildCmd runs bundle.Build in the background, reporting progress through a channel that
// the screen listens to, one message at a time.
func buildCmd(opts bundle.Options) tea.Cmd {
	ch := make(chan tea.Msg, 1)
	opts.Progress = func(p bundle.Progress) {
		frac := 0.0
		if p.Total > 0 {
			frac = float64(p.Done) / float64(p.Total)
		}
		sendLatest(ch, progressMsg{frac: frac, detail: p.Stage, next: ch})
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		res, err := bundle.Build(ctx, opts)
		ch <- builtMsg{res: res, err: err}
	}()
	return listen(ch)
}

func uploadCmd(upload UploadFunc, dir string) tea.Cmd {
	ch := make(chan tea.Msg, 1)
	report := func(p azure.UploadProgress) {
		frac := 0.0
		if p.Total > 0 {
			frac = float64(p.Bytes) / float64(p.Total)
		}
		detail := fmt.Sprintf("%s · %s of %s · %s/s · %s left", p.File, size(p.Bytes),
			size(p.Total), size(int64(p.Rate)), screen.Since(p.Remaining))
		sendLatest(ch, progressMsg{frac: frac, detail: detail, next: ch})
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), uploadTimeout)
		defer cancel()
		res, err := upload(ctx, dir, report)
		ch <- uploadedMsg{res: res, err: err}
	}()
	return listen(ch)
}

// sendLatest drops a progress report when the screen has not taken the last one yet: the
// bar only needs the newest figure, and the worker must never wait on the screen.
func sendLatest(ch chan tea.Msg, msg tea.Msg) {
	select {
	case ch <- msg:
	default:
	}
}

// Update walks the screen through form, build and upload.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case progressMsg:
		m.frac, m.detail = msg.frac, msg.detail
		return m, listen(msg.next)
	case builtMsg:
		m.result, m.err, m.stage = msg.res, msg.err, stageBuilt
		return m, nil
	case uploadedMsg:
		m.upload, m.err, m.stage = &msg.res, msg.err, stageUploaded
		if msg.err != nil {
			m.upload, m.stage = nil, stageBuilt
		}
		return m, nil
	case tea.KeyMsg:
		if m.stage != stageForm {
			return m, m.handleKey(msg)
		}
		if msg.Type == tea.KeyEsc {
			return m, screen.Open(screen.BackMsg{})
		}
	}
	if m.stage != stageForm {
		return m, nil
	}
	return m, m.updateForm(msg)
}

func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	f, cmd := m.form.Update(msg)
	if form, ok := f.(*huh.Form); ok {
		m.form = form
	}
	if m.form.State != huh.StateCompleted {
		return cmd
	}
	m.stage, m.frac, m.detail = stageBuilding, 0, "checking inputs"
	return buildCmd(m.options())
}

func (m *Model) options() bundle.Options {
	port, _ := strconv.Atoi(m.in.port)
	return bundle.Options{HostPath: strings.TrimSpace(m.in.host),
		AppPath: strings.TrimSpace(m.in.app), EnvPath: strings.TrimSpace(m.in.env), OS: m.in.os,
		Label: strings.TrimSpace(m.in.label), HealthPort: port,
		OutDir:           strings.TrimSpace(m.in.out),
		IdentityClientID: m.deps.Defaults.IdentityClientID}
}

func (m *Model) handleKey(km tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(km, uploadKey) && m.stage == stageBuilt && m.err == nil &&
		m.result != nil && m.deps.Upload != nil:
		m.stage, m.frac, m.detail = stageUploading, 0, "starting"
		return uploadCmd(m.deps.Upload, m.result.Dir)
	case key.Matches(km, againKey) && (m.stage == stageBuilt || m.stage == stageUploaded):
		m.resetForm()
		m.SetSize(m.width, m.height)
		return m.form.Init()
	}
	return nil
}

// View draws the stage the screen is at.
func (m *Model) View() string {
	switch m.stage {
	case stageForm:
		return m.form.View()
	case stageBuilding:
		return "Building bundle…\n\n" + m.bar.ViewAs(m.frac) + "\n" + theme.Dim.Render(m.detail)
	case stageUploading:
		return "Uploading " + m.result.Manifest.Label + "…\n\n" + m.bar.ViewAs(m.frac) + "\n" +
			theme.Dim.Render(m.detail)
	case stageUploaded:
		return m.uploadedView()
	}
	return m.builtView()
}

func (m *Model) builtView() string {
	var b strings.Builder
	if m.result != nil {
		for _, f := range m.result.Findings {
			tone := theme.Busy
			if f.Severity == bundle.Error {
				tone = theme.Bad
			}
			b.WriteString(theme.State(tone, f.String()) + "\n")
		}
	}
	if m.err != nil {
		b.WriteString(theme.ErrorLine.Render("✗ "+m.err.Error()) + "\n\n")
		if errors.Is(m.err, context.DeadlineExceeded) {
			b.WriteString("The work took too long and was stopped.\n")
		}
		b.WriteString(theme.Dim.Render("n: new bundle · esc: back"))
		return b.String()
	}
	man := m.result.Manifest
	fmt.Fprintf(&b, "%s bundle %s built in %s\n\n", theme.OKLine.Render("✓"),
		theme.Title.Render(man.Label), m.result.Dir)
	for _, f := range man.Files {
		fmt.Fprintf(&b, "  %-14s %10s  sha256 %s…\n", f.Name, size(f.Size), f.SHA256[:12])
	}
	fmt.Fprintf(&b, "\n  %s · host %s · functions: %s\n  settings (values kept secret): %s\n\n",
		man.OS, screen.Or(man.HostVersion), strings.Join(man.Functions, ", "),
		strings.Join(man.EnvKeys, ", "))
	if m.deps.Upload == nil {
		b.WriteString(theme.WarnLine.Render("No storage configured, so it cannot be "+
			"uploaded from here: "+m.deps.StorageHelp) + "\n")
		b.WriteString(theme.Dim.Render("n: new bundle · esc: back"))
		return b.String()
	}
	b.WriteString(theme.Dim.Render("u: upload · n: new bundle · esc: back"))
	return b.String()
}

func (m *Model) uploadedView() string {
	var b strings.Builder
	up := m.upload
	fmt.Fprintf(&b, "%s bundle %s uploaded to container %s (%s sent)\n\n",
		theme.OKLine.Render("✓"), theme.Title.Render(up.Label), up.Container,
		size(up.BytesSent))
	for _, f := range up.Files {
		fmt.Fprintf(&b, "  %-14s %-7s %s\n", f.Name, f.How, azure.MaskSAS(f.URL))
	}
	if up.Access == azure.AccessSAS && !up.SASExpiry.IsZero() {
		left := time.Until(up.SASExpiry)
		fmt.Fprintf(&b, "\nSAS links expire %s (in %s): a link that expires breaks every "+
			"later scale-out and reimage.\n", up.SASExpiry.Format(time.RFC3339),
			screen.Since(left))
	}
	b.WriteString("\n" + theme.Dim.Render("n: new bundle · esc: back"))
	return b.String()
}

// size writes bytes in binary units.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
