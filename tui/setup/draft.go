package setup

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"spotdeck/azure"
	"spotdeck/config"
)

// Storage access modes the operator picks from.
const (
	modeEntra = "entra"
	modeKey   = "key"
)

// Sentinel choices of the forms.
const (
	noAccount     = "(none)"
	newContainer  = "(new)"
	accessSAS     = "(sas)"
	allGroups     = ""
	noIdentity    = ""
	defaultBucket = "spotdeck-bundles"
)

// draft is what the operator has chosen so far, bound to the forms' fields.
type draft struct {
	subscription  string
	resourceGroup string
	scaleSets     []string
	createNew     bool

	account      string
	mode         string
	connString   string // secret: never shown, stored only when storeSecret
	queues       []string
	container    string
	newContainer string
	createIt     bool

	hostPath   string
	appPath    string
	envPath    string
	os         string
	healthPort string
	access     string // an identity's client ID, or accessSAS

	refresh      string
	maxDepth     string
	poisonAlerts bool

	storeSecret bool
	write       bool
	rerunCheck  string

	create createDraft
}

// loaded is what the steps read from Azure.
type loaded struct {
	signIn        azure.SignIn
	subscriptions []azure.Subscription
	groups        []string
	scaleSets     []azure.ScaleSet
	accounts      []azure.StorageAccount
	queues        []string
	containers    []string
	identities    []azure.Identity
	access        []azure.AccessResult
	sizes         []azure.VMSize
	userIDs       []azure.Identity
}

// draftFrom preselects what the current configuration says.
func draftFrom(cfg config.Config) draft {
	d := draft{
		subscription: cfg.Subscription, resourceGroup: cfg.ResourceGroup,
		scaleSets: append([]string(nil), cfg.ScaleSets...),
		account:   cfg.Storage.Account, mode: modeEntra,
		connString: cfg.Storage.ConnectionString,
		queues:     append([]string(nil), cfg.Queues...),
		container:  cfg.Storage.Container, newContainer: defaultBucket,
		hostPath: cfg.Bundle.HostPath, appPath: cfg.Bundle.AppPath,
		envPath: cfg.Bundle.EnvPath, os: cfg.Bundle.OS,
		refresh:      cfg.RefreshInterval().String(),
		maxDepth:     strconv.FormatInt(cfg.Alerts.MaxDepth, 10),
		poisonAlerts: cfg.Alerts.PoisonAlerts(),
		storeSecret:  cfg.Storage.ConnectionString != "",
		write:        true,
		create:       defaultCreate(),
	}
	if d.connString != "" {
		d.mode = modeKey
	}
	if d.account == "" && cfg.Storage.ConnectionString == "" {
		d.account = noAccount
	}
	if cfg.Bundle.HealthPort > 0 {
		d.healthPort = strconv.Itoa(cfg.Bundle.HealthPort)
	}
	d.access = accessSAS
	if cfg.Bundle.Access == "identity" && cfg.Bundle.IdentityClientID != "" {
		d.access = cfg.Bundle.IdentityClientID
	}
	return d
}

// storageOptions says how the wizard reaches the chosen account.
func (m *Model) storageOptions() azure.StorageOptions {
	if m.d.mode == modeKey && m.d.connString != "" {
		return azure.StorageOptions{ConnectionString: m.d.connString}
	}
	account := m.chosenAccount()
	return azure.StorageOptions{Account: account.Name, QueueEndpoint: account.QueueEndpoint,
		BlobEndpoint: account.BlobEndpoint}
}

// chosenAccount returns the chosen storage account as listed, or one with just its name.
func (m *Model) chosenAccount() azure.StorageAccount {
	for _, a := range m.data.accounts {
		if a.Name == m.d.account {
			return a
		}
	}
	return azure.StorageAccount{Name: m.d.account}
}

// chosenScaleSets returns the listed scale sets the operator chose.
func (m *Model) chosenScaleSets() []azure.ScaleSet {
	var out []azure.ScaleSet
	for _, ss := range m.data.scaleSets {
		for _, name := range m.d.scaleSets {
			if ss.Name == name {
				out = append(out, ss)
			}
		}
	}
	return out
}

// buildConfig turns the draft into the configuration to write. Fields the wizard does
// not ask about keep their current values.
func (m *Model) buildConfig() (config.Config, error) {
	cfg := m.opts.Config
	cfg.Subscription, cfg.ResourceGroup = m.d.subscription, m.d.resourceGroup
	cfg.ScaleSets = append([]string(nil), m.d.scaleSets...)
	cfg.Storage = m.storageConfig()
	cfg.Queues = nil
	if cfg.Storage.Configured() {
		cfg.Queues = append([]string(nil), m.d.queues...)
	}
	if err := m.applyBundle(&cfg.Bundle); err != nil {
		return cfg, err
	}
	return cfg, m.applyAlerts(&cfg)
}

// storageConfig keeps the connection string only when the operator chose to store it.
func (m *Model) storageConfig() config.Storage {
	if m.d.account == noAccount {
		return config.Storage{}
	}
	account := m.chosenAccount()
	st := config.Storage{Account: account.Name, QueueEndpoint: account.QueueEndpoint,
		BlobEndpoint: account.BlobEndpoint, Container: m.d.container}
	if m.d.mode == modeKey && m.d.storeSecret {
		st.ConnectionString = m.d.connString
	}
	return st
}

func (m *Model) applyBundle(b *config.BundleDefaults) error {
	b.HostPath, b.AppPath = strings.TrimSpace(m.d.hostPath), strings.TrimSpace(m.d.appPath)
	b.EnvPath, b.OS = strings.TrimSpace(m.d.envPath), m.d.os
	b.HealthPort = 0
	if m.d.healthPort != "" {
		port, err := parsePort(m.d.healthPort)
		if err != nil {
			return err
		}
		b.HealthPort = port
	}
	b.Access, b.IdentityClientID = "sas", ""
	if m.d.access != accessSAS {
		b.Access, b.IdentityClientID = "identity", m.d.access
	}
	return nil
}

func (m *Model) applyAlerts(cfg *config.Config) error {
	refresh, err := parseRefresh(m.d.refresh)
	if err != nil {
		return err
	}
	cfg.Refresh = config.Duration(refresh)
	depth, err := parseDepth(m.d.maxDepth)
	if err != nil {
		return err
	}
	cfg.Alerts.MaxDepth = depth
	poison := m.d.poisonAlerts
	cfg.Alerts.PoisonGrowth = &poison
	return nil
}

// parseRefresh reads an interval such as "10s"; below 2 s would hammer read limits.
func parseRefresh(text string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(text))
	if err != nil {
		return 0, fmt.Errorf("refresh %q: write it like 10s or 1m", text)
	}
	if d < 2*time.Second {
		return 0, fmt.Errorf("refresh %s: give at least 2s, to stay within Azure's read "+
			"limits", d)
	}
	return d, nil
}

func parseDepth(text string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("queue depth alert %q: give a whole number, 0 to turn it off",
			text)
	}
	return n, nil
}

func parsePort(text string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q: give a number from 1 to 65535", text)
	}
	return n, nil
}

// validator adapts a parser to a huh field validator.
func validator[T any](parse func(string) (T, error)) func(string) error {
	return func(s string) error {
		_, err := parse(s)
		return err
	}
}
