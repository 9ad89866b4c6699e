package setup

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"spotdeck/azure"
)

func loadAccounts(m *Model) loader {
	src, sub := m.opts.Source, m.d.subscription
	return func(ctx context.Context) (func(*Model), error) {
		accounts, err := src.StorageAccounts(ctx, sub)
		return func(m *Model) { m.data.accounts = accounts }, err
	}
}

func storageForm(m *Model) (*huh.Form, huh.Field) {
	options := []huh.Option[string]{huh.NewOption("No storage: no queues, no bundles",
		noAccount)}
	for _, a := range m.data.accounts {
		options = append(options, huh.NewOption(fmt.Sprintf("%-24s %-14s %s", a.Name,
			a.Location, a.ResourceGroup), a.Name))
	}
	account := huh.NewSelect[string]().Title("Storage account").
		Description("Holds the work queues and the bundle container.").
		Options(options...).Value(&m.d.account)
	mode := huh.NewSelect[string]().Title("How spotdeck reaches it").Options(
		huh.NewOption("Entra ID sign-in (no secret kept; needs data roles)", modeEntra),
		huh.NewOption("Account key (connection string read from the account)", modeKey),
	).Value(&m.d.mode)
	return huh.NewForm(huh.NewGroup(account, mode)), account
}

func storageDone(m *Model) (step, tea.Cmd) {
	if m.d.account == noAccount {
		m.d.queues, m.d.container, m.d.connString = nil, "", ""
		return stepBundle, nil
	}
	if m.d.mode != modeKey {
		m.d.connString = ""
	}
	return stepQueues, nil
}

func loadQueues(m *Model) loader {
	src, sub, account := m.opts.Source, m.d.subscription, m.chosenAccount()
	useKey := m.d.mode == modeKey
	opts := m.storageOptions()
	return func(ctx context.Context) (func(*Model), error) {
		conn := ""
		if useKey {
			var err error
			if conn, err = src.AccountConnectionString(ctx, sub, account); err != nil {
				return nil, err
			}
			opts = azure.StorageOptions{ConnectionString: conn}
		}
		queues, err := src.Queues(ctx, opts)
		if err != nil {
			return nil, err
		}
		containers, err := src.Containers(ctx, opts)
		return func(m *Model) {
			m.d.connString = conn
			m.data.queues, m.data.containers = queues, containers
		}, err
	}
}

func queuesForm(m *Model) (*huh.Form, huh.Field) {
	var queueOptions []huh.Option[string]
	queues := markedFirst(m.data.queues, func(q string) bool { return contains(m.d.queues, q) })
	for _, q := range queues {
		if strings.HasSuffix(q, "-poison") {
			continue // watched with its work queue
		}
		queueOptions = append(queueOptions, huh.NewOption(q, q).
			Selected(contains(m.d.queues, q)))
	}
	containerOptions := make([]huh.Option[string], 0, len(m.data.containers)+1)
	for _, c := range m.data.containers {
		containerOptions = append(containerOptions, huh.NewOption(c, c))
	}
	containerOptions = append(containerOptions, huh.NewOption("A new container…",
		newContainer))
	if !contains(m.data.containers, m.d.container) {
		m.d.container = newContainer
	}
	container := huh.NewSelect[string]().Title("Bundle container").
		Options(containerOptions...).Value(&m.d.container)
	fields := []huh.Field{container}
	if len(queueOptions) > 0 {
		queues := huh.NewMultiSelect[string]().Title("Queues to watch").
			Description("Each one's -poison twin is watched too.").
			Options(queueOptions...).Value(&m.d.queues)
		fields = []huh.Field{queues, container}
	}
	m.d.createIt = true
	create := huh.NewGroup(
		huh.NewInput().Title("New container name").Value(&m.d.newContainer).
			Validate(validContainer),
		huh.NewConfirm().Title("Create it now?").Affirmative("Create").Negative("Not now").
			Value(&m.d.createIt),
	).WithHideFunc(func() bool { return m.d.container != newContainer })
	return huh.NewForm(huh.NewGroup(fields...), create), fields[0]
}

// validContainer checks the name as Azure will, so a typo shows before the call.
func validContainer(name string) error {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "--") ||
		strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" ||
		strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return fmt.Errorf("use 3 to 63 lower-case letters, digits and single dashes")
	}
	return nil
}

func queuesDone(m *Model) (step, tea.Cmd) {
	if m.d.container != newContainer {
		return stepBundle, nil
	}
	if !m.d.createIt {
		m.d.container = ""
		return stepBundle, nil
	}
	name := m.d.newContainer
	src, opts, record := m.opts.Source, m.storageOptions(), m.recorder()
	target := []string{m.d.account + "/" + name}
	m.loading = "Creating container " + name
	return 0, m.runThen(stepQueues, stepBundle, func(ctx context.Context) (func(*Model), error) {
		err := src.CreateContainer(ctx, opts, name)
		record(AuditCreateContainer, target, nil, err)
		if err != nil {
			return nil, err
		}
		return func(m *Model) {
			m.d.container = name
			m.data.containers = append(m.data.containers, name)
		}, nil
	})
}

func loadIdentities(m *Model) loader {
	chosen := m.chosenScaleSets()
	if len(chosen) == 0 {
		m.data.identities = nil
		return nil
	}
	src, sub, first := m.opts.Source, m.d.subscription, chosen[0]
	if m.d.os == "" {
		m.d.os = first.OSType
	}
	return func(ctx context.Context) (func(*Model), error) {
		ids, err := src.ScaleSetIdentities(ctx, sub, first.ResourceGroup, first.Name)
		return func(m *Model) { m.data.identities = ids }, err
	}
}

func bundleForm(m *Model) (*huh.Form, huh.Field) {
	if m.d.os == "" {
		m.d.os = "windows"
	}
	if m.d.healthPort == "" {
		m.d.healthPort = "80"
	}
	access := []huh.Option[string]{huh.NewOption("SAS links (read-only, expiring)",
		accessSAS)}
	for _, id := range m.data.identities {
		if id.ClientID == "" {
			continue // the system-assigned identity is used without a client ID
		}
		access = append(access, huh.NewOption("managed identity "+id.Name, id.ClientID))
	}
	host := huh.NewInput().Title("Functions host build (folder or zip)").Value(&m.d.hostPath)
	fields := []huh.Field{
		host,
		huh.NewInput().Title("Function app (folder or zip)").Value(&m.d.appPath),
		huh.NewInput().Title("App settings file (.env); only its path is kept").
			Value(&m.d.envPath),
		huh.NewSelect[string]().Title("Instance OS").Options(
			huh.NewOption("Windows", "windows"), huh.NewOption("Linux", "linux"),
		).Value(&m.d.os),
		huh.NewInput().Title("Health port of the host").Value(&m.d.healthPort).
			Validate(validator(parsePort)),
		huh.NewSelect[string]().Title("How instances read bundles").Options(access...).
			Value(&m.d.access),
	}
	return huh.NewForm(huh.NewGroup(fields...)), host
}

func alertsForm(m *Model) (*huh.Form, huh.Field) {
	refresh := huh.NewInput().Title("Refresh interval").
		Description("How often the console reads the fleet, e.g. 10s.").
		Value(&m.d.refresh).Validate(validator(parseRefresh))
	depth := huh.NewInput().Title("Queue depth alert").
		Description("Alert when a queue holds more messages; 0 turns it off.").
		Value(&m.d.maxDepth).Validate(validator(parseDepth))
	poison := huh.NewConfirm().Title("Alert when a poison queue grows?").
		Affirmative("Yes").Negative("No").Value(&m.d.poisonAlerts)
	return huh.NewForm(huh.NewGroup(refresh, depth, poison)), refresh
}
