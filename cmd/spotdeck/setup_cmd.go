package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"spotdeck/azure"
	"spotdeck/azure/sim"
	"spotdeck/tui/setup"
)

// storageSecretEnv carries a storage connection string that is not stored in the file.
const storageSecretEnv = "SPOTDECK_STORAGE_CONNECTION_STRING"

func newSetupCmd(g *globals) *cobra.Command {
	var noConsole bool
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Guided setup: from sign-in to a saved, verified configuration",
		Long: "setup walks you through sign-in, subscription, scale sets, storage, bundle\n" +
			"defaults and alerts, checks every permission spotdeck needs, and saves the\n" +
			"config file (mode 0600). It can also create a Spot scale set for the Functions\n" +
			"host. Run it again to change the configuration; Esc cancels without writing.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			result, err := runSetup(g)
			if err != nil || !result.OpenConsole || noConsole {
				return err
			}
			return runConsole(g, false)
		},
	}
	cmd.Flags().BoolVar(&noConsole, "no-console", false,
		"exit after saving instead of opening the console")
	return cmd
}

// runSetup runs the wizard on the current settings. A connection string read but not
// stored is handed to the console of this process only.
func runSetup(g *globals) (setup.Result, error) {
	if !interactive() {
		return setup.Result{}, usageError{errors.New("setup needs a terminal; to configure " +
			"without one, write the config file (see README) or pass --subscription")}
	}
	s, err := g.load()
	if err != nil {
		return setup.Result{}, err
	}
	source, err := azure.NewSetup(azure.SetupOptions{ARMEndpoint: s.cfg.ARMEndpoint})
	if err != nil {
		return setup.Result{}, err
	}
	// The wizard's changes are recorded like every other change, in the team's log too
	// when the current configuration names storage.
	log, err := s.openAudit()
	if err != nil {
		return setup.Result{}, err
	}
	result, err := setup.Run(setup.Options{Source: source, Config: s.cfg,
		ConfigPath: s.configPath, Audit: log.Append})
	if err != nil || !result.Saved {
		if err == nil {
			fmt.Fprintln(os.Stderr, "spotdeck: setup cancelled; nothing was written")
		}
		return result, err
	}
	fmt.Fprintln(os.Stderr, "spotdeck: configuration written to "+result.Path)
	if result.ConnectionString != "" && result.Config.Storage.ConnectionString == "" &&
		os.Getenv(storageSecretEnv) == "" {
		if err := os.Setenv(storageSecretEnv, result.ConnectionString); err != nil {
			return result, fmt.Errorf("hand the storage connection string to the console: %w",
				err)
		}
	}
	return result, nil
}

// firstStart offers the setup when spotdeck starts with no config and no subscription:
// a new operator should not need to know resource IDs to begin.
func firstStart(g *globals, startOnWatch bool) error {
	result, err := runSetup(g)
	if err != nil {
		return err
	}
	if result.Saved && !result.OpenConsole {
		return nil
	}
	if !result.Saved {
		return usageError{errors.New("no configuration: run spotdeck setup, pass " +
			"--subscription, or try spotdeck demo")}
	}
	return runConsole(g, startOnWatch)
}

// interactive tells whether a person is at a terminal to answer the wizard.
func interactive() bool {
	return term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd())
}

// simSetupFlags are the setup-related flags of `spotdeck sim`.
type simSetupFlags struct {
	deny    []string
	storage string
}

// addSimSetupFlags adds --deny and --storage-emulator to the sim command.
func addSimSetupFlags(cmd *cobra.Command) *simSetupFlags {
	f := &simSetupFlags{}
	cmd.Flags().StringArrayVar(&f.deny, "deny", nil,
		"deny the signed-in identity an RBAC action, e.g. "+sim.ActionWriteScaleSets+
			" (repeatable)")
	cmd.Flags().StringVar(&f.storage, "storage-emulator", "",
		"connection string of a storage emulator the simulated storage account points at")
	return f
}

// apply denies the actions and points the storage account at the emulator.
func (f *simSetupFlags) apply(s *sim.Sim) error {
	for _, action := range f.deny {
		if err := s.Deny(action); err != nil {
			return usageError{fmt.Errorf("--deny: %w", err)}
		}
	}
	if f.storage == "" {
		return nil
	}
	conn, err := azure.ParseConnectionString(f.storage)
	if err != nil {
		// The parse error never repeats the string, which holds a key.
		return usageError{fmt.Errorf("--storage-emulator: %w", err)}
	}
	s.SetStorageAccount(conn.BlobEndpoint, conn.QueueEndpoint)
	return nil
}
