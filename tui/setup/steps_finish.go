package setup

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"spotdeck/azure"
	"spotdeck/config"
	"spotdeck/tui/theme"
)

// Choices after the access check.
const (
	accessContinue = "continue"
	accessAgain    = "again"
)

func loadAccess(m *Model) loader {
	src := m.opts.Source
	target := azure.AccessTarget{
		Subscription: m.d.subscription, ResourceGroup: m.d.resourceGroup,
		ScaleSets: m.chosenScaleSets(), Queues: append([]string(nil), m.d.queues...),
	}
	if m.d.account != noAccount {
		target.Storage, target.Account = m.storageOptions(), m.d.account
		target.Container = m.d.container
	}
	return func(ctx context.Context) (func(*Model), error) {
		results := src.CheckAccess(ctx, target)
		return func(m *Model) { m.data.access = results }, nil
	}
}

// accessView lists one line per capability: ✓, ✗ with the role to grant, or – skipped.
func accessView(m *Model) string {
	if m.loading != "" {
		return ""
	}
	var b strings.Builder
	for _, r := range m.data.access {
		b.WriteString(accessLine(r))
		b.WriteString("\n")
	}
	if len(m.data.access) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

func accessLine(r azure.AccessResult) string {
	switch {
	case r.Skipped:
		return theme.Dim.Render(fmt.Sprintf("– %-25s skipped: %s", r.Capability, r.Detail))
	case r.OK:
		return theme.OKLine.Render(fmt.Sprintf("✓ %-25s", r.Capability)) + " " +
			theme.Dim.Render(r.Detail)
	case r.Grant != "":
		// The grant gets a line of its own: role and scope must be read whole.
		return theme.ErrorLine.Render(fmt.Sprintf("✗ %-25s %s\n    grant %s", r.Capability,
			r.Detail, r.Grant))
	}
	return theme.ErrorLine.Render(fmt.Sprintf("✗ %-25s %s", r.Capability, r.Detail))
}

func accessForm(m *Model) (*huh.Form, huh.Field) {
	m.d.rerunCheck = accessContinue
	description := "Every check passed."
	if failed := failedChecks(m.data.access); failed > 0 {
		// Kept to one line: a wrapped description hides the select's second option.
		description = fmt.Sprintf("%d check(s) failed: grant the roles, then check again.",
			failed)
	}
	field := huh.NewSelect[string]().Title("Access").Description(description).Options(
		huh.NewOption("Continue", accessContinue),
		huh.NewOption("Check again", accessAgain),
	).Value(&m.d.rerunCheck)
	return huh.NewForm(huh.NewGroup(field)), field
}

func failedChecks(results []azure.AccessResult) int {
	n := 0
	for _, r := range results {
		if !r.OK && !r.Skipped {
			n++
		}
	}
	return n
}

func accessDone(m *Model) (step, tea.Cmd) {
	if m.d.rerunCheck == accessAgain {
		return stepAccess, nil
	}
	return stepSave, nil
}

func saveForm(m *Model) (*huh.Form, huh.Field) {
	m.d.write = true
	write := huh.NewConfirm().Title("Write the configuration?").
		Description(m.opts.ConfigPath + " (mode 0600)").
		Affirmative("Write").Negative("Go back").Value(&m.d.write)
	if m.d.mode != modeKey || m.d.connString == "" || m.d.account == noAccount {
		return huh.NewForm(huh.NewGroup(write)), write
	}
	secret := huh.NewConfirm().Title("Store the storage connection string in the file?").
		Description("It holds the account key. Without it, set " +
			"SPOTDECK_STORAGE_CONNECTION_STRING before each start.").
		Affirmative("Store it").Negative("Don't store").Value(&m.d.storeSecret)
	return huh.NewForm(huh.NewGroup(secret, write)), secret
}

func saveDone(m *Model) (step, tea.Cmd) {
	if !m.d.write {
		return stepAccess, nil
	}
	cfg, err := m.buildConfig()
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil {
		err = m.opts.Save(m.opts.ConfigPath, cfg)
		m.recorder()(AuditSaveConfig, []string{m.opts.ConfigPath}, m.saveParams(cfg), err)
	}
	if err != nil {
		m.err = err
		return stepSave, nil
	}
	m.result = Result{Config: cfg, Saved: true, Path: m.opts.ConfigPath,
		ConnectionString: m.d.connString}
	return stepDone, nil
}

// Actions of the wizard's audit records.
const (
	AuditCreateScaleSet  = "setup-create-scale-set"
	AuditCreateContainer = "setup-create-container"
	AuditSaveConfig      = "setup-save-config"
)

// saveParams say what the configuration holds, for the audit record; never the secret.
// "storage" tells whether the account key went into the file.
func (m *Model) saveParams(cfg config.Config) map[string]string {
	storage := "none"
	switch {
	case cfg.Storage.ConnectionString != "":
		storage = cfg.Storage.Account + ", account key stored in the file"
	case m.d.mode == modeKey && cfg.Storage.Configured():
		storage = cfg.Storage.Account + ", account key not stored"
	case cfg.Storage.Configured():
		storage = cfg.Storage.Account + ", Entra ID"
	}
	return map[string]string{"subscription": cfg.Subscription,
		"scaleSets": strings.Join(cfg.ScaleSets, ","), "storage": storage,
		"queues": strings.Join(cfg.Queues, ","), "container": cfg.Storage.Container}
}

// doneView summarises what was written and where; never the secret itself.
func doneView(m *Model) string {
	cfg := m.result.Config
	lines := []string{
		"Wrote " + m.result.Path + " (mode 0600):",
		"  subscription   " + cfg.Subscription,
		"  resource group " + orAll(cfg.ResourceGroup, "all"),
		"  scale sets     " + orAll(strings.Join(cfg.ScaleSets, ", "), "all"),
		"  storage        " + orAll(cfg.Storage.Account, "none"),
		"  queues         " + orAll(strings.Join(cfg.Queues, ", "), "none"),
		"  container      " + orAll(cfg.Storage.Container, "none"),
		"  refresh        " + cfg.RefreshInterval().String(),
	}
	switch {
	case cfg.Storage.ConnectionString != "":
		lines = append(lines, "  connection string stored in the file (it holds the key)")
	case m.d.mode == modeKey && m.d.connString != "":
		lines = append(lines, "  connection string NOT stored: set "+
			"SPOTDECK_STORAGE_CONNECTION_STRING before the next start")
	}
	return strings.Join(lines, "\n") + "\n\n"
}

func orAll(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

func doneForm(*Model) (*huh.Form, huh.Field) {
	note := huh.NewNote().Title("Setup complete").Next(true).NextLabel("Open the console")
	return huh.NewForm(huh.NewGroup(note)), note
}

func doneDone(m *Model) (step, tea.Cmd) {
	return 0, m.finish()
}
