package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/azure/sim"
	"spotdeck/config"
	"spotdeck/tui"
	"spotdeck/tui/bundles"
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
	withAudit(&opts, log, client)
	sampleDir, err := os.MkdirTemp("", "spotdeck-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(sampleDir)
	opts.Bundles = demoBundleDeps(sampleDir)
	return tui.Run(opts)
}

// demoBundleDeps prefills the bundle form with a sample; uploads go to the storage in
// SPOTDECK_STORAGE_CONNECTION_STRING (Azurite, for instance) when it is set.
func demoBundleDeps(sampleDir string) bundles.Deps {
	deps := bundles.Deps{StorageHelp: "start Azurite and set " +
		"SPOTDECK_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true to upload in the demo"}
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
		return azure.UploadBundle(ctx, storage, dir, "spotdeck-demo",
			azure.UploadOptions{Progress: progress, Access: azure.AccessSAS})
	}
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
			s := sim.New(sim.Options{Speed: speed})
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
