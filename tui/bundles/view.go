package bundles

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"spotdeck/azure"
	"spotdeck/bundle"
	"spotdeck/tui/screen"
	"spotdeck/tui/theme"
)

// minWidth is the narrowest the screen lays its text out for, before SetSize is called.
const minWidth = 40

// View draws the stage the screen is at.
func (m *Model) View() string {
	switch m.stage {
	case stageForm:
		return m.form.View()
	case stageBuilding:
		return m.workView("Building bundle…")
	case stageUploading:
		return m.workView("Uploading " + m.result.Manifest.Label + "…")
	case stageUploaded:
		return m.uploadedView()
	}
	return m.builtView()
}

// workView draws the progress bar of the running build or upload.
func (m *Model) workView(title string) string {
	return title + "\n\n" + m.bar.ViewAs(m.frac) + "\n" + theme.Dim.Render(m.detail) +
		"\n\n" + theme.Dim.Render("esc: stop")
}

// builtView draws the findings, then the bundle or the error that stopped it, and fits
// them in the screen's height: findings that do not fit are counted, not cut off.
func (m *Model) builtView() string {
	var body []string
	if m.buildErr != nil {
		body = m.wrap(theme.ErrorLine, "✗ ", buildErrorText(m.buildErr))
		body = append(body, "", theme.Dim.Render("n: new bundle · esc: back"))
	} else {
		body = m.bundleLines()
	}
	var findings []bundle.Finding
	if m.result != nil {
		findings = m.result.Findings
	}
	head := []string{theme.Dim.Render(preflightSummary(findings))}
	room := m.bodyHeight() - len(body) - len(head) - 1
	return strings.Join(append(append(m.findingLines(findings, room), head...),
		append([]string{""}, body...)...), "\n")
}

// buildErrorText explains a build that did not finish.
func buildErrorText(err error) string {
	switch {
	case errors.Is(err, bundle.ErrPreflight):
		return "build refused: fix the errors above, then n to build again"
	case errors.Is(err, context.Canceled):
		return "build stopped; nothing was written"
	case errors.Is(err, context.DeadlineExceeded):
		return "the build took too long and was stopped"
	}
	return err.Error()
}

// bundleLines describe a built bundle and what can be done with it.
func (m *Model) bundleLines() []string {
	man := m.result.Manifest
	built := "built in"
	if m.result.Reused {
		built = "already built in"
	}
	lines := m.wrap(theme.OKLine, "✓ ", fmt.Sprintf("bundle %s %s", man.Label, built))
	lines = append(lines, m.wrap(lipgloss.NewStyle(), "  ", m.result.Dir)...)
	lines = append(lines, "")
	for _, f := range man.Files {
		lines = append(lines, fmt.Sprintf("  %-14s %10s  sha256 %s…", f.Name, size(f.Size),
			f.SHA256[:12]))
	}
	lines = append(lines, "")
	lines = append(lines, m.wrap(lipgloss.NewStyle(), "  ", fmt.Sprintf(
		"%s · host %s · functions: %s", man.OS, screen.Or(man.HostVersion),
		orNone(man.Functions)))...)
	lines = append(lines, m.wrap(lipgloss.NewStyle(), "  ", "settings (values kept "+
		"secret): "+orNone(man.EnvKeys))...)
	lines = append(lines, "")
	return append(lines, m.uploadLines()...)
}

// uploadLines say whether and how the bundle can be uploaded, with the last upload's error.
func (m *Model) uploadLines() []string {
	if m.deps.Upload == nil {
		lines := m.wrap(theme.WarnLine, "⚠ ", "No storage configured, so it cannot be "+
			"uploaded from here: "+m.deps.StorageHelp)
		return append(lines, theme.Dim.Render("n: new bundle · esc: back"))
	}
	if m.uploadErr == nil {
		return []string{theme.Dim.Render("u: upload · n: new bundle · esc: back")}
	}
	text := "upload failed: " + m.uploadErr.Error()
	if errors.Is(m.uploadErr, context.Canceled) {
		text = "upload stopped"
	}
	lines := m.wrap(theme.ErrorLine, "✗ ", text)
	return append(lines, theme.Dim.Render("u: upload again, continuing where it stopped · "+
		"n: new bundle · esc: back"))
}

// preflightSummary counts the findings by severity.
func preflightSummary(findings []bundle.Finding) string {
	errs := 0
	for _, f := range findings {
		if f.Severity == bundle.Error {
			errs++
		}
	}
	warns := len(findings) - errs
	if errs+warns == 0 {
		return "preflight: no errors, no warnings"
	}
	return fmt.Sprintf("preflight: %d error(s), %d warning(s)", errs, warns)
}

// findingLines wraps each finding whole, the file and the fix included, in at most room
// lines; the findings left out are counted on the last line.
func (m *Model) findingLines(findings []bundle.Finding, room int) []string {
	var out []string
	for i, f := range findings {
		tone := theme.Busy
		if f.Severity == bundle.Error {
			tone = theme.Bad
		}
		lines := m.wrap(tone.Style(), tone.Glyph()+" ", f.String())
		left := len(findings) - i
		if len(out)+len(lines) > room-1 && left > 1 || len(out)+len(lines) > room {
			more := fmt.Sprintf("… %d more: run `spotdeck bundle check` with the same "+
				"inputs to see them all", left)
			return append(out, m.wrap(theme.Dim, "", more)...)
		}
		out = append(out, lines...)
	}
	return out
}

// wrap fits text to the screen's width behind a prefix, indenting the lines after the
// first by as much, and styles each line on its own so that colour survives clipping.
func (m *Model) wrap(style lipgloss.Style, prefix, text string) []string {
	indent := strings.Repeat(" ", ansi.StringWidth(prefix))
	width := max(m.width, minWidth) - len(indent)
	lines := strings.Split(ansi.Wrap(text, width, ""), "\n")
	for i, l := range lines {
		lead := indent
		if i == 0 {
			lead = prefix
		}
		lines[i] = style.Render(lead + strings.TrimRight(l, " "))
	}
	return lines
}

// bodyHeight is the height the screen may fill, with a floor for before SetSize.
func (m *Model) bodyHeight() int {
	if m.height <= 0 {
		return 24
	}
	return m.height
}

func (m *Model) uploadedView() string {
	up := m.upload
	lines := m.wrap(theme.OKLine, "✓ ", fmt.Sprintf("bundle %s uploaded to container %s "+
		"(%s sent)", up.Label, up.Container, size(up.BytesSent)))
	lines = append(lines, "", fmt.Sprintf("  %-14s %-7s %10s", "FILE", "HOW", "SENT"))
	for _, f := range up.Files {
		lines = append(lines, fmt.Sprintf("  %-14s %-7s %10s", f.Name, f.How,
			size(f.BytesSent)))
	}
	lines = append(lines, "")
	if folder := folderURL(up.Files); folder != "" {
		lines = append(lines, m.wrap(lipgloss.NewStyle(), "", "Blobs: "+folder+"<file>")...)
	}
	lines = append(lines, m.wrap(accessStyle(up), "", accessText(up, time.Now()))...)
	lines = append(lines, "", theme.Dim.Render("n: new bundle · esc: back"))
	return strings.Join(lines, "\n")
}

// folderURL is the link of the label folder that holds the files, without any SAS.
func folderURL(files []azure.UploadedFile) string {
	if len(files) == 0 {
		return ""
	}
	u, err := url.Parse(files[0].URL)
	if err != nil || u.Host == "" {
		return ""
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path, u.RawPath = path.Dir(u.Path)+"/", ""
	return u.String()
}

// accessStyle warns about links that expire; identity access needs no warning colour.
func accessStyle(up *azure.UploadResult) lipgloss.Style {
	if up.Access == azure.AccessSAS {
		return theme.WarnLine
	}
	return lipgloss.NewStyle()
}

// accessText says how instances will read the bundle and what can break it.
func accessText(up *azure.UploadResult, now time.Time) string {
	if up.Access != azure.AccessSAS {
		return "Instances read it with the scale set's managed identity, which needs " +
			"Storage Blob Data Reader on container " + up.Container + "."
	}
	return fmt.Sprintf("Instances read it through read-only SAS links (signature not "+
		"shown) that expire %s, in %s: a link that expires breaks every later scale-out "+
		"and reimage; upload again before then.",
		up.SASExpiry.UTC().Format("2006-01-02 15:04 UTC"), screen.Since(up.SASExpiry.Sub(now)))
}

// orNone joins names, or says there are none.
func orNone(names []string) string {
	if len(names) == 0 {
		return "none found"
	}
	return strings.Join(names, ", ")
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
