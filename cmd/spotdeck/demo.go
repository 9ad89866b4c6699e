package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"spotdeck/azure"
	"spotdeck/azure/sim"
	"spotdeck/tui"
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

func newDemoCmd() *cobra.Command {
	var speed float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the console on a built-in simulated subscription (no Azure needed)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkSpeed(speed); err != nil {
				return err
			}
			s := sim.New(sim.Options{Speed: speed})
			client, err := azure.NewClient(azure.ClientOptions{
				SubscriptionID: s.SubscriptionID(),
				ARMEndpoint:    sim.InProcessEndpoint,
				Transport:      s.Transport(),
			})
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
			return tui.Run(tui.Options{Reader: client, Scope: "demo (simulated)",
				Refresh: demoRefresh, Events: store})
		},
	}
	speedFlag(cmd, &speed)
	return cmd
}

func newSimCmd() *cobra.Command {
	var (
		speed  float64
		listen string
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
