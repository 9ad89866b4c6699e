package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/azure"
	"spotdeck/config"
	"spotdeck/tui"
)

// globals are the flags every subcommand shares.
type globals struct {
	subscription  string
	resourceGroup string
	armEndpoint   string
	configPath    string
	readOnly      bool
}

// settings are the flags, the environment and the config file merged, flags first.
type settings struct {
	cfg         config.Config
	configPath  string
	configFound bool
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "spotdeck",
		Short: "Console for Azure Functions hosts on Spot VM scale sets",
		Long: "spotdeck lists your Spot scale sets and their instances, live.\n\n" +
			"Try it with no Azure at all: spotdeck demo",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConsole(g, false)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see spotdeck --help)", err)}
	})
	flags := root.PersistentFlags()
	flags.StringVar(&g.subscription, "subscription", "",
		"subscription ID (default: $AZURE_SUBSCRIPTION_ID, then the config file)")
	flags.StringVar(&g.resourceGroup, "resource-group", "", "only this resource group")
	flags.StringVar(&g.armEndpoint, "arm-endpoint", "",
		"Resource Manager endpoint (default: Azure public cloud)")
	flags.StringVar(&g.configPath, "config", "",
		"config file (default: $XDG_CONFIG_HOME/spotdeck/config.yaml)")
	flags.BoolVar(&g.readOnly, "read-only", false,
		"never change anything: the console hides changing keys, changing verbs exit 4")
	root.AddCommand(newDemoCmd(g), newSimCmd(), newStatusCmd(g), newWatchCmd(g))
	root.AddCommand(newBundleCmd(), newRolloutCmd(g))
	root.AddCommand(newSetupCmd(g))
	root.AddCommand(newInstancesCmd(g), newScaleCmd(g), newMaxPriceCmd(g), newAuditCmd(g))
	return root
}

// load merges the config file, the environment and the flags.
func (g *globals) load() (settings, error) {
	path := g.configPath
	if path == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return settings{}, err
		}
		path = p
	}
	cfg, found, err := config.Load(path)
	if err != nil {
		return settings{}, err
	}
	if env := os.Getenv("AZURE_SUBSCRIPTION_ID"); env != "" && cfg.Subscription == "" {
		cfg.Subscription = env
	}
	override(&cfg.Subscription, g.subscription)
	override(&cfg.ResourceGroup, g.resourceGroup)
	override(&cfg.ARMEndpoint, g.armEndpoint)
	return settings{cfg: cfg, configPath: path, configFound: found}, nil
}

// checkConfigGiven refuses a --config that names no file: the queues, alerts and scale
// sets it was meant to bring would silently be missing.
func (g *globals) checkConfigGiven(s settings) error {
	if g.configPath == "" || s.configFound {
		return nil
	}
	return usageError{fmt.Errorf("--config %s: no such file; give the path of an existing "+
		"config file, or leave --config out to use %s", g.configPath, defaultConfigPath())}
}

// defaultConfigPath names the default config file for messages.
func defaultConfigPath() string {
	if p, err := config.DefaultPath(); err == nil {
		return p
	}
	return "$XDG_CONFIG_HOME/spotdeck/config.yaml"
}

func override(dst *string, flag string) {
	if flag != "" {
		*dst = flag
	}
}

// client builds the fleet reader the settings describe.
func (s settings) client() (*azure.Client, error) {
	if s.cfg.Subscription == "" {
		return nil, usageError{fmt.Errorf("no subscription: pass --subscription, set " +
			"AZURE_SUBSCRIPTION_ID, or write subscription: in the config file; " +
			"to try spotdeck without Azure, run: spotdeck demo")}
	}
	return azure.NewClient(azure.ClientOptions{
		SubscriptionID: s.cfg.Subscription,
		ResourceGroup:  s.cfg.ResourceGroup,
		ARMEndpoint:    s.cfg.ARMEndpoint,
	})
}

func newWatchCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "watch",
		Short: "Open the console on the incident watch screen",
		Long: "watch shows, per scale set, running, healthy, unhealthy, evicted and updating\n" +
			"instances, each watched queue's depth with its last hour, and the latest events.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runConsole(g, true) },
	}
}

func runConsole(g *globals, startOnWatch bool) error {
	s, err := g.load()
	if err != nil {
		return err
	}
	// First start: no config file and no subscription given; offer the guided setup.
	if !s.configFound && s.cfg.Subscription == "" && interactive() {
		return firstStart(g, startOnWatch)
	}
	if err := g.checkConfigGiven(s); err != nil {
		return err
	}
	client, err := s.client()
	if err != nil {
		return err
	}
	queues := s.queueReader()
	closeLog, err := openLog()
	if err != nil {
		return err
	}
	defer closeLog()
	store, err := openEvents(eventsFile(s.cfg.Subscription))
	if err != nil {
		return err
	}
	opts := tui.Options{
		Reader:       client,
		Events:       store,
		Scope:        scope(s.cfg.Subscription, s.cfg.ResourceGroup, s.cfg.ARMEndpoint),
		Refresh:      s.cfg.RefreshInterval(),
		ScaleSets:    s.cfg.ScaleSets,
		QueueNames:   s.cfg.Queues,
		Thresholds:   s.thresholds(),
		StartOnWatch: startOnWatch,
		ReadOnly:     g.readOnly,
		Actor:        client,
		Bundles:      s.bundleDeps(),
		Rollouts:     s.rolloutDeps(client),
	}
	if queues != nil {
		opts.Queues = queues
	}
	log, err := s.openAudit()
	if err != nil {
		return err
	}
	withAudit(&opts, log, client)
	opts.Spot = client
	if activity, err := client.Activity(); err == nil {
		opts.Activity = activity
	} else {
		slog.Warn("activity log unavailable; evictions stay suspected", "err", err)
	}
	return tui.Run(opts)
}

// storageOptions says how to reach the configured storage account; the environment's
// connection string wins over the file's, so a secret need not be stored.
func (s settings) storageOptions() azure.StorageOptions {
	st := s.cfg.Storage
	conn := st.ConnectionString
	if env := os.Getenv("SPOTDECK_STORAGE_CONNECTION_STRING"); env != "" {
		conn = env
	}
	return azure.StorageOptions{ConnectionString: conn, Account: st.Account,
		QueueEndpoint: st.QueueEndpoint, BlobEndpoint: st.BlobEndpoint}
}

// rolloutStore opens the store of rollout records in the bundle container: container, or
// storage.container of the config file. It returns nil, nil when no storage is configured.
func (s settings) rolloutStore(container string) (*azure.RolloutStore, error) {
	if container == "" {
		container = s.cfg.Storage.Container
	}
	opts := s.storageOptions()
	if container == "" || opts.ConnectionString == "" && opts.Account == "" {
		return nil, nil
	}
	dir, err := config.StateDir()
	if err != nil {
		return nil, err
	}
	return azure.OpenRolloutStore(opts, container, filepath.Join(dir, "rollouts"))
}

// queueReader reads the configured queues; none configured gives nil. A storage setting
// that cannot make a reader, such as a bad connection string, gives a reader whose every
// row carries the error: the queue rows say what to fix, and the fleet is still shown.
func (s settings) queueReader() azure.QueueDepthReader {
	if len(s.cfg.Queues) == 0 {
		return nil
	}
	r, err := azure.NewQueueReader(s.storageOptions())
	if err != nil {
		// The cause first: a queue row has room for the start of the message only.
		return unreadableQueues{err: fmt.Errorf("%w (storage in config %s)", err, s.configPath)}
	}
	return r
}

// unreadableQueues reports the same error on every queue row.
type unreadableQueues struct{ err error }

// Depths returns every watched queue, and its poison twin, with the error.
func (u unreadableQueues) Depths(_ context.Context, queues []string) []azure.QueueDepth {
	return azure.UnreadableDepths(queues, u.err, time.Now())
}

func (s settings) thresholds() azure.QueueThresholds {
	return azure.QueueThresholds{MaxDepth: s.cfg.Alerts.MaxDepth,
		PoisonGrowth: s.cfg.Alerts.PoisonAlerts()}
}

// scope names what the console shows, short enough for the header.
func scope(subscription, resourceGroup, endpoint string) string {
	parts := []string{"sub " + shortID(subscription)}
	if resourceGroup != "" {
		parts = append(parts, resourceGroup)
	}
	if u, err := url.Parse(endpoint); err == nil && endpoint != "" &&
		!strings.HasSuffix(u.Hostname(), "management.azure.com") {
		parts = append(parts, u.Host)
	}
	return strings.Join(parts, " · ")
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
