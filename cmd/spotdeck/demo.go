package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	"spotdeck/events"
	"spotdeck/tui"
	"spotdeck/tui/bundles"
	"spotdeck/tui/rollouts"
)

// speedFlag is the --speed flag of demo and sim: simulated time runs this many times faster.
func speedFlag(cmd *cobra.Command, speed *float64, byDefault float64) {
	cmd.Flags().Float64Var(speed, "speed", byDefault,
		"simulated time runs this many times faster (1 is real time)")
}

// evictionsFlag is the --evictions-per-hour flag of demo and sim.
func evictionsFlag(cmd *cobra.Command, perHour *float64, byDefault float64) {
	cmd.Flags().Float64Var(perHour, "evictions-per-hour", byDefault,
		"how often the platform evicts an instance of each Spot scale set, in simulated time")
}

// checkEvictions refuses a rate the simulation cannot follow.
func checkEvictions(perHour float64) error {
	if !(perHour >= 0 && perHour <= 3600) {
		return usageError{fmt.Errorf("--evictions-per-hour %g is out of range; give 0 (none) "+
			"to 3600", perHour)}
	}
	return nil
}

func checkSpeed(speed float64) error {
	// Written so that NaN, which fails every comparison, is out of range too.
	if !(speed >= 0.1 && speed <= 10000) {
		return usageError{fmt.Errorf("--speed %g is out of range; give a number from 0.1 to "+
			"10000", speed)}
	}
	return nil
}

// The demo's story, tuned so that a person watching for two minutes at the default speed
// (forty simulated minutes) sees evictions, the queue grow while hosts are missing and
// drain once the refills are healthy. Faster evictions, or hosts that drain less, leave
// the queue growing for good once the Deallocate scale set has lost its instances.
const (
	// demoSpeed is the demo's default --speed: real boot times and refill delays are
	// minutes, too slow to watch.
	demoSpeed = 20
	// demoEvictionsPerHour is the platform's eviction rate for each Spot scale set.
	demoEvictionsPerHour = 12
	// demoDrainPerInstance is how many messages a healthy host takes off the queue per
	// minute; the queue gets 170 a minute, so it takes five healthy hosts to keep up.
	demoDrainPerInstance = 40
)

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
			if err := errors.Join(checkSpeed(speed), checkEvictions(evictions)); err != nil {
				return err
			}
			return runDemo(g, demoSimOptions(speed, evictions))
		},
	}
	speedFlag(cmd, &speed, demoSpeed)
	evictionsFlag(cmd, &evictions, demoEvictionsPerHour)
	return cmd
}

// demoSimOptions are the options of the demo's simulated subscription.
func demoSimOptions(speed, evictionsPerHour float64) sim.Options {
	return sim.Options{Speed: speed, EvictionsPerHour: evictionsPerHour,
		QueueDrainPerInstance: demoDrainPerInstance}
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
	store, err := openDemoEvents()
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

// openDemoEvents opens the demo's events file, emptied first: each demo simulates a new
// fleet from now on, so what an earlier demo recorded is not this fleet's history.
func openDemoEvents() (*events.Store, error) {
	dir, err := config.StateDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "demo-events.jsonl")
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("start the demo's events afresh: %w", err)
	}
	return events.Open(path, time.Now())
}

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
		evictions  float64
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
			err := errors.Join(checkSpeed(speed), checkEvictions(evictions), checkLoopback(listen))
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts, err := fleet.options(speed)
			if err != nil {
				return err
			}
			opts.EvictionsPerHour = evictions
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
	speedFlag(cmd, &speed, 1)
	// None by default, so what a test or a script sees is what it asked for.
	evictionsFlag(cmd, &evictions, 0)
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
}

func (f *simFleetFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.instances, "instances", nil,
		"size of a scale set, e.g. vmss-func-win=10 (repeatable)")
}

// options turns the flags into the simulator's options, refusing unknown scale sets.
func (f *simFleetFlags) options(speed float64) (sim.Options, error) {
	opts := sim.Options{Speed: speed}
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
