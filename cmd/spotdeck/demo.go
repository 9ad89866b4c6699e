package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/azure/sim"
	"spotdeck/config"
	"spotdeck/tui"
	"spotdeck/tui/bundles"
	"spotdeck/tui/rollouts"
)

// speedFlag is the --speed flag of demo and sim: simulated time runs this many times faster.
func speedFlag(cmd *cobra.Command, speed *float64) {
	cmd.Flags().Float64Var(speed, "speed", 1,
		"simulated time runs this many times faster (e.g. 10)")
}

func checkSpeed(speed float64) error {
	if speed <= 0 || speed > 10000 {
		return usageError{fmt.Errorf("--speed %g is out of range; give a number from 0.1 to "+
			"10000", speed)}
	}
	return nil
}

// demoEvictionsPerHour makes evictions frequent enough that a person watching the demo
// for two minutes sees one, and the queue grow after it.
const demoEvictionsPerHour = 30

// demoMaxDepth is the demo queue's alert threshold.
const demoMaxDepth = 400

func newDemoCmd(g *globals) *cobra.Command {
	var (
		speed     float64
		evictions float64
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the console on a built-in simulated subscription (no Azure needed)",
		Long: "demo runs the console on a simulated subscription in this process: Spot scale\n" +
			"sets whose instances boot, get evicted and come back, and a work queue that\n" +
			"grows when hosts are evicted. Nothing leaves this machine.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkSpeed(speed); err != nil {
				return err
			}
			return runDemo(g, sim.Options{Speed: speed, EvictionsPerHour: evictions})
		},
	}
	speedFlag(cmd, &speed)
	cmd.Flags().Float64Var(&evictions, "evictions-per-hour", demoEvictionsPerHour,
		"how often each Spot scale set loses an instance, in simulated time")
	return cmd
}

func runDemo(g *globals, simOpts sim.Options) error {
	s := sim.New(simOpts)
	client, err := azure.NewClient(azure.ClientOptions{SubscriptionID: s.SubscriptionID(),
		ARMEndpoint: sim.InProcessEndpoint, Transport: s.Transport()})
	if err != nil {
		return err
	}
	closeLog, err := openLog()
	if err != nil {
		return err
	}
	defer closeLog()
	store, err := openEvents("demo-events.jsonl")
	if err != nil {
		return err
	}
	opts := tui.Options{
		Reader:     client,
		Scope:      "demo (simulated)",
		Refresh:    demoRefresh,
		Events:     store,
		Queues:     s.Queues(),
		QueueNames: []string{sim.QueueName},
		Thresholds: azure.QueueThresholds{MaxDepth: demoMaxDepth, PoisonGrowth: true},
		Spot:       client,
		Actor:      client,
		ReadOnly:   g.readOnly,
		Now:        s.Now,
		Wall:       time.Now,
	}
	if activity, err := client.Activity(); err == nil {
		opts.Activity = activity
	}
	log, err := openDemoAudit()
	if err != nil {
		return err
	}
	opts.Rollouts = demoRolloutDeps(client)
	withAudit(&opts, log, client)
	sampleDir, err := os.MkdirTemp("", "spotdeck-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(sampleDir)
	opts.Bundles = demoBundleDeps(sampleDir)
	return tui.Run(opts)
}

// demoStorageHelp tells how to give the demo storage for bundles and rollouts.
const demoStorageHelp = "start the storage emulator (scripts/demo-storage.sh) and run the " +
	"demo with SPOTDECK_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true"

// demoBundleDeps prefills the bundle form with a sample; uploads go to the storage in
// SPOTDECK_STORAGE_CONNECTION_STRING (Azurite, for instance) when it is set.
func demoBundleDeps(sampleDir string) bundles.Deps {
	deps := bundles.Deps{StorageHelp: demoStorageHelp}
	if sample, err := writeDemoSample(sampleDir); err == nil {
		deps.Defaults = sample
	}
	conn := os.Getenv("SPOTDECK_STORAGE_CONNECTION_STRING")
	if conn == "" {
		return deps
	}
	storage := azure.StorageOptions{ConnectionString: conn}
	deps.Upload = func(ctx context.Context, dir string,
		progress func(azure.UploadProgress)) (azure.UploadResult, error) {
		return azure.UploadBundle(ctx, storage, dir, demoContainer,
			azure.UploadOptions{Progress: progress, Access: azure.AccessSAS})
	}
	return deps
}

// demoContainer is where the demo keeps its bundles and rollout records.
const demoContainer = "spotdeck-demo"

// demoRolloutDeps lets the demo roll bundles out to the simulated fleet when storage is
// given in SPOTDECK_STORAGE_CONNECTION_STRING.
func demoRolloutDeps(client *azure.Client) rollouts.Deps {
	deps := rollouts.Deps{Help: demoStorageHelp}
	conn := os.Getenv("SPOTDECK_STORAGE_CONNECTION_STRING")
	if conn == "" {
		return deps
	}
	dir, err := config.StateDir()
	if err != nil {
		deps.Help = err.Error()
		return deps
	}
	store, err := azure.OpenRolloutStore(azure.StorageOptions{ConnectionString: conn},
		demoContainer, filepath.Join(dir, "demo-rollouts"))
	if err != nil {
		deps.Help = err.Error()
		return deps
	}
	deps.Driver = azure.NewRolloutDriver(client, store, azure.RolloutDriverOptions{
		Container: demoContainer, Access: azure.AccessSAS, Who: operatorName()})
	return deps
}

// demoAuditFile keeps the demo's changes apart from the real audit log: they changed
// nothing but the simulation.
const demoAuditFile = "demo-audit.jsonl"

// openDemoAudit opens the demo's own audit log in the state folder.
func openDemoAudit() (*audit.Log, error) {
	dir, err := config.StateDir()
	if err != nil {
		return nil, err
	}
	return audit.Open(filepath.Join(dir, demoAuditFile), nil)
}

func newSimCmd() *cobra.Command {
	var (
		speed      float64
		listen     string
		setupFlags *simSetupFlags
		fleet      simFleetFlags
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the simulated subscription's Resource Manager API on loopback",
		Long: "sim serves the simulated subscription over HTTP until interrupted. Its first\n" +
			"line gives the flags to point spotdeck at it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkSpeed(speed); err != nil {
				return err
			}
			if err := checkLoopback(listen); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts, err := fleet.options(speed)
			if err != nil {
				return err
			}
			s := sim.New(opts)
			if err := setupFlags.apply(s); err != nil {
				return err
			}
			endpoint, err := s.Serve(ctx, listen)
			if err != nil {
				return fmt.Errorf("serve simulator on %s: %w", listen, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "spotdeck sim: --arm-endpoint %s --subscription %s\n",
				endpoint, s.SubscriptionID())
			<-ctx.Done()
			return nil
		},
	}
	setupFlags = addSimSetupFlags(cmd)
	fleet.register(cmd)
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0",
		"loopback address to serve on; port 0 picks a free one")
	speedFlag(cmd, &speed)
	return cmd
}

// checkLoopback refuses to serve the simulator anywhere but this machine.
func checkLoopback(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return usageError{fmt.Errorf("--listen %q: give host:port, e.g. 127.0.0.1:8443", listen)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Errorf("--listen %q: the simulator serves loopback only; "+
			"use 127.0.0.1", listen)}
	}
	return nil
}

// simFleetFlags shape the simulated fleet that sim serves.
type simFleetFlags struct {
	instances []string
	evictions float64
}

func (f *simFleetFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.instances, "instances", nil,
		"size of a scale set, e.g. vmss-func-win=10 (repeatable)")
	cmd.Flags().Float64Var(&f.evictions, "evictions-per-hour", 0,
		"how often each Spot scale set loses an instance, in simulated time")
}

// options turns the flags into the simulator's options, refusing unknown scale sets.
func (f *simFleetFlags) options(speed float64) (sim.Options, error) {
	opts := sim.Options{Speed: speed, EvictionsPerHour: f.evictions}
	if f.evictions < 0 {
		return opts, usageError{fmt.Errorf("--evictions-per-hour %g: give 0 or more",
			f.evictions)}
	}
	for _, spec := range f.instances {
		name, count, ok := strings.Cut(spec, "=")
		n, err := strconv.Atoi(count)
		if !ok || err != nil || n < 0 || n > 5000 {
			return opts, usageError{fmt.Errorf("--instances %q: give NAME=COUNT with a "+
				"count from 0 to 5000, e.g. vmss-func-win=10", spec)}
		}
		if opts.InstancesPerScaleSet == nil {
			opts.InstancesPerScaleSet = map[string]int{}
		}
		opts.InstancesPerScaleSet[name] = n
	}
	if err := opts.Validate(); err != nil {
		return opts, usageError{fmt.Errorf("--instances: %w", err)}
	}
	return opts, nil
}
