package bundles

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"spotdeck/azure"
	"spotdeck/bundle"
	"spotdeck/tui/screen"
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
func buildCmd(ctx context.Context, opts bundle.Options) tea.Cmd {
	ch := make(chan tea.Msg, 1)
	opts.Progress = func(p bundle.Progress) {
		sendLatest(ch, progressMsg{frac: fraction(p.Done, p.Total), detail: buildDetail(p),
			next: ch})
	}
	go func() {
		res, err := bundle.Build(ctx, opts)
		sendLast(ch, builtMsg{res: res, err: err})
	}()
	return listen(ch)
}

func uploadCmd(ctx context.Context, upload UploadFunc, dir string) tea.Cmd {
	ch := make(chan tea.Msg, 1)
	report := func(p azure.UploadProgress) {
		sendLatest(ch, progressMsg{frac: fraction(p.Bytes, p.Total), detail: uploadDetail(p),
			next: ch})
	}
	go func() {
		res, err := upload(ctx, dir, report)
		sendLast(ch, uploadedMsg{res: res, err: err})
	}()
	return listen(ch)
}

// fraction is done over total, zero when the total is not known.
func fraction(done, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return float64(done) / float64(total)
}

// buildDetail says what the build is doing and how far it is.
func buildDetail(p bundle.Progress) string {
	if p.Total <= 0 {
		return p.Stage
	}
	return fmt.Sprintf("%s · %s of %s", p.Stage, size(p.Done), size(p.Total))
}

// uploadDetail gives the file, the bytes, the rate and the time left, once they are known.
func uploadDetail(p azure.UploadProgress) string {
	detail := fmt.Sprintf("%s · %s of %s", p.File, size(p.Bytes), size(p.Total))
	if p.Rate > 0 {
		detail += fmt.Sprintf(" · %s/s", size(int64(p.Rate)))
	}
	if p.Remaining > 0 {
		detail += " · " + screen.Since(p.Remaining) + " left"
	}
	return detail
}

// sendLatest drops a progress report when the screen has not taken the last one yet: the
// bar only needs the newest figure, and the worker must never wait on the screen.
func sendLatest(ch chan tea.Msg, msg tea.Msg) {
	select {
	case ch <- msg:
	default:
	}
}

// sendLast delivers the final message, replacing a progress report nobody took, so that
// the worker never blocks on a screen that is gone.
func sendLast(ch chan tea.Msg, msg tea.Msg) {
	for {
		select {
		case ch <- msg:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// Update walks the screen through form, build and upload.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case progressMsg:
		m.frac, m.detail = msg.frac, msg.detail
		return m, listen(msg.next)
	case builtMsg:
		m.built(msg)
		return m, nil
	case uploadedMsg:
		m.uploaded(msg)
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

// built takes the end of a build and logs it; findings and errors never hold env values.
func (m *Model) built(msg builtMsg) {
	m.stopWork()
	m.result, m.buildErr, m.stage = msg.res, msg.err, stageBuilt
	if msg.err != nil {
		slog.Warn("bundle build failed", "host", m.in.host, "app", m.in.app,
			"findings", findingCount(msg.res), "err", msg.err)
		return
	}
	slog.Info("bundle built", "label", msg.res.Manifest.Label, "dir", msg.res.Dir,
		"reused", msg.res.Reused, "findings", len(msg.res.Findings))
}

// uploaded takes the end of an upload. A failed upload leaves the built bundle on screen,
// so that u tries again and continues where it stopped.
func (m *Model) uploaded(msg uploadedMsg) {
	m.stopWork()
	if msg.err != nil {
		m.uploadErr, m.stage = msg.err, stageBuilt
		slog.Warn("bundle upload failed", "label", m.result.Manifest.Label, "err", msg.err)
		return
	}
	m.upload, m.uploadErr, m.stage = &msg.res, nil, stageUploaded
	slog.Info("bundle uploaded", "label", msg.res.Label, "container", msg.res.Container,
		"access", msg.res.Access, "bytesSent", msg.res.BytesSent)
}

// findingCount counts the findings of a result that may be nil.
func findingCount(res *bundle.Result) int {
	if res == nil {
		return 0
	}
	return len(res.Findings)
}

// startWork gives a build or upload its context, which esc cancels.
func (m *Model) startWork(timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	m.cancel = cancel
	return ctx
}

// stopWork cancels the running work's context, if any.
func (m *Model) stopWork() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
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
	return buildCmd(m.startWork(buildTimeout), m.options())
}

func (m *Model) options() bundle.Options {
	port, _ := strconv.Atoi(m.in.port)
	return bundle.Options{HostPath: strings.TrimSpace(m.in.host),
		AppPath: strings.TrimSpace(m.in.app), EnvPath: strings.TrimSpace(m.in.env), OS: m.in.os,
		Label: strings.TrimSpace(m.in.label), HealthPort: port,
		OutDir:           strings.TrimSpace(m.in.out),
		IdentityClientID: m.deps.Defaults.IdentityClientID}
}

// canUpload tells whether a built bundle is on screen and storage is configured.
func (m *Model) canUpload() bool {
	return m.stage == stageBuilt && m.buildErr == nil && m.result != nil && m.deps.Upload != nil
}

func (m *Model) handleKey(km tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(km, stopKey) && (m.stage == stageBuilding || m.stage == stageUploading):
		m.stopWork()
		m.detail = "stopping…"
	case key.Matches(km, uploadKey) && m.canUpload():
		m.stage, m.frac, m.uploadErr = stageUploading, 0, nil
		m.detail = "checking the files and what the container holds"
		return uploadCmd(m.startWork(uploadTimeout), m.deps.Upload, m.result.Dir)
	case key.Matches(km, againKey) && (m.stage == stageBuilt || m.stage == stageUploaded):
		m.resetForm()
		m.SetSize(m.width, m.height)
		return m.form.Init()
	}
	return nil
}
