package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/audit"
	"spotdeck/azure"
)

// Exit codes of the changing verbs, beside exitOK, exitError and exitUsage.
const (
	exitNotFound     = 3
	exitReadOnly     = 4
	exitNotConfirmed = 5
)

// exitCodesHelp ends the help of every changing verb: scripts and runbooks branch on these.
const exitCodesHelp = `
Exit codes:
  0  done
  1  failed: Azure refused or the operation failed (the audit log records it)
  2  usage: a flag is missing or wrong, or the action does not apply to the scale set
  3  not found: the scale set or an instance does not exist
  4  read-only: --read-only forbids changes
  5  not confirmed: no --yes and no terminal to ask on, or the answer was no`

// defaultActionTimeout bounds one change: reimaging many instances takes many minutes.
const defaultActionTimeout = 30 * time.Minute

// auditWriteTimeout bounds writing the audit record, which happens even after Ctrl-C.
const auditWriteTimeout = 30 * time.Second

// codedError ends the command with a given exit code.
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// ExitCode is the code the process exits with.
func (e codedError) ExitCode() int { return e.code }

// actionFlags are the flags every changing verb shares.
type actionFlags struct {
	scaleSet string
	ids      []string
	yes      bool
	output   string
	timeout  time.Duration
}

func (f *actionFlags) register(cmd *cobra.Command, withIDs bool) {
	flags := cmd.Flags()
	flags.StringVar(&f.scaleSet, "scale-set", "", "the scale set's name (required)")
	if withIDs {
		flags.StringSliceVar(&f.ids, "ids", nil, "instance IDs, comma-separated, e.g. 0,3")
	}
	flags.BoolVar(&f.yes, "yes", false, "do not ask for confirmation (for scripts)")
	flags.StringVarP(&f.output, "output", "o", "table", "output format: json or table")
	flags.DurationVar(&f.timeout, "timeout", defaultActionTimeout,
		"give up waiting for Azure after this long")
}

// check rejects missing or malformed flags before anything is read.
func (f *actionFlags) check() error {
	switch {
	case f.output != "json" && f.output != "table":
		return usageError{fmt.Errorf("-o %q: give json or table", f.output)}
	case strings.TrimSpace(f.scaleSet) == "":
		return usageError{errors.New("no scale set: pass --scale-set NAME")}
	case f.timeout <= 0:
		return usageError{fmt.Errorf("--timeout %s: give a positive duration", f.timeout)}
	}
	return nil
}

func newInstancesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "instances VERB --scale-set NAME --ids 0,3",
		Short: "Restart, reimage, delete, start or evict instances of a scale set",
		// Without a known verb, cobra lands here; the verbs are what to say.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			given := "no verb"
			if len(args) > 0 {
				given = fmt.Sprintf("unknown verb %q", args[0])
			}
			return usageError{fmt.Errorf("%s: give one of %s (see spotdeck instances --help)",
				given, strings.Join(azure.InstanceActionKinds, ", "))}
		},
	}
	for _, kind := range azure.InstanceActionKinds {
		cmd.AddCommand(newInstanceVerbCmd(g, kind))
	}
	return cmd
}

// instanceVerbHelp is the one-line help of each instance verb.
var instanceVerbHelp = map[string]string{
	azure.ActionRestart:          "Restart instances (they stop working until they are back)",
	azure.ActionReimage:          "Reimage instances: rebuild their OS disks (destructive)",
	azure.ActionDelete:           "Delete instances and their disks; capacity drops (destructive)",
	azure.ActionStart:            "Start deallocated instances (e.g. evicted Spot instances)",
	azure.ActionSimulateEviction: "Ask Azure to evict Spot instances, as a real eviction would",
}

func newInstanceVerbCmd(g *globals, kind string) *cobra.Command {
	f := &actionFlags{}
	cmd := &cobra.Command{
		Use:   kind + " --scale-set NAME --ids 0,3",
		Short: instanceVerbHelp[kind],
		Long: instanceVerbHelp[kind] + ".\n\nWithout --yes it names the targets and the " +
			"effect and asks; destructive verbs ask for the scale set's name. The resource " +
			"group is found from the name unless --resource-group is given.\n" + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.ids) == 0 {
				return usageError{errors.New("no instances: pass --ids, e.g. --ids 0,3")}
			}
			return runChange(cmd, g, f, azure.Action{Kind: kind, ScaleSet: f.scaleSet,
				InstanceIDs: f.ids})
		},
	}
	f.register(cmd, true)
	return cmd
}

func newScaleCmd(g *globals) *cobra.Command {
	f := &actionFlags{}
	var capacity int64
	cmd := &cobra.Command{
		Use:   "scale --scale-set NAME --capacity N",
		Short: "Set a scale set's capacity (sends only the capacity)",
		Long: "Sets the capacity and nothing else, so instances stay on the model they " +
			"have. Scaling in removes instances the scale-in policy chooses and asks for the " +
			"scale set's name.\n" + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("capacity") {
				return usageError{errors.New("no capacity: pass --capacity N")}
			}
			return runChange(cmd, g, f, azure.Action{Kind: azure.ActionScale,
				ScaleSet: f.scaleSet, Capacity: &capacity})
		},
	}
	f.register(cmd, false)
	cmd.Flags().Int64Var(&capacity, "capacity", 0, "the number of instances to have")
	return cmd
}

func newMaxPriceCmd(g *globals) *cobra.Command {
	f := &actionFlags{}
	var price float64
	cmd := &cobra.Command{
		Use:   "max-price --scale-set NAME [--price P]",
		Short: "Show or set a Spot scale set's max price (USD per hour)",
		Long: "Without --price, shows the max price. With it, sets billingProfile.maxPrice " +
			"and nothing else; -1 means never evict for price. Azure accepts a new price " +
			"only while the instances are deallocated.\n" + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("price") {
				return showMaxPrice(cmd, g, f)
			}
			return runChange(cmd, g, f, azure.Action{Kind: azure.ActionMaxPrice,
				ScaleSet: f.scaleSet, MaxPrice: &price})
		},
	}
	f.register(cmd, false)
	cmd.Flags().Float64Var(&price, "price", 0, "max price in USD per hour, or -1")
	return cmd
}

// runChange is every changing verb: refuse when read-only, check the action against the
// scale set, confirm, run it, record it in the audit log, report.
func runChange(cmd *cobra.Command, g *globals, f *actionFlags, a azure.Action) error {
	if err := f.check(); err != nil {
		return err
	}
	if g.readOnly {
		return codedError{exitReadOnly, fmt.Errorf("--read-only: %s would change the fleet; "+
			"nothing was sent", cmd.CommandPath())}
	}
	s, client, err := loadClient(g)
	if err != nil {
		return err
	}
	log, err := s.openAudit()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	plan, err := planChange(ctx, client, s, a)
	if err != nil {
		return err
	}
	if err := confirmChange(cmd, f.yes, plan); err != nil {
		return err
	}
	ran := runAndRecord(ctx, cmd, client, log, plan)
	if err := writeChange(cmd, f.output, ran); err != nil {
		return err
	}
	return classify(ran.err)
}

func loadClient(g *globals) (settings, *azure.Client, error) {
	s, err := g.load()
	if err != nil {
		return settings{}, nil, err
	}
	client, err := s.client()
	return s, client, err
}

// planChange finds the resource group and checks the action against the scale set.
func planChange(ctx context.Context, client *azure.Client, s settings,
	a azure.Action) (azure.ActionPlan, error) {
	// The resource group may be looked up below; everything else is checked first, so
	// that a wrong flag costs no request and exits 2.
	early := a
	if early.ResourceGroup = s.cfg.ResourceGroup; early.ResourceGroup == "" {
		early.ResourceGroup = "looked-up"
	}
	if err := early.Validate(); err != nil {
		return azure.ActionPlan{}, classify(err)
	}
	group, err := resolveGroup(ctx, client, s.cfg.ResourceGroup, a.ScaleSet)
	if err != nil {
		return azure.ActionPlan{}, err
	}
	a.ResourceGroup = group
	plan, err := client.Plan(ctx, a)
	return plan, classify(err)
}

// resolveGroup returns the configured resource group, or the one holding the only scale
// set of that name in the subscription.
func resolveGroup(ctx context.Context, client *azure.Client, group, name string) (string,
	error) {
	if group != "" {
		return group, nil
	}
	sets, err := client.ListScaleSets(ctx)
	if err != nil {
		return "", err
	}
	var groups []string
	for _, set := range sets {
		if strings.EqualFold(set.Name, name) && set.ResourceGroup != "" {
			groups = append(groups, set.ResourceGroup)
		}
	}
	switch len(groups) {
	case 0:
		return "", codedError{exitNotFound, fmt.Errorf("no scale set named %q in "+
			"subscription %s: check the name (spotdeck status lists them) or pass "+
			"--resource-group", name, client.SubscriptionID())}
	case 1:
		return groups[0], nil
	}
	return "", usageError{fmt.Errorf("scale set %q exists in resource groups %s: pass "+
		"--resource-group", name, strings.Join(groups, ", "))}
}

// classify gives Azure's answers their exit codes: not found 3, not applicable 2.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, azure.ErrTargetNotFound):
		return codedError{exitNotFound, err}
	case errors.Is(err, azure.ErrInvalidAction):
		return usageError{err}
	}
	return err
}

// changeRun is one change as it went: the plan, who made it, Azure's answer and the
// audit record.
type changeRun struct {
	plan     azure.ActionPlan
	who      string
	result   azure.ActionResult
	err      error
	record   audit.Record
	auditErr error
	shared   bool
}

// runAndRecord runs the confirmed change and appends its audit record, even when the
// operator interrupted it: a change half made must be on record.
func runAndRecord(ctx context.Context, cmd *cobra.Command, client *azure.Client,
	log *audit.Log, plan azure.ActionPlan) changeRun {
	a := plan.Action
	run := changeRun{plan: plan, who: identify(ctx, client), shared: log.Shared()}
	// The record is stamped when the change is sent, and completed when it ends.
	run.record = audit.NewRecord(run.who, a.Kind, a.Targets(), a.Params())
	line := newProgressLine(cmd.ErrOrStderr())
	line.show("waiting for Azure: " + a.Describe())
	run.result, run.err = client.Run(ctx, a)
	line.clear()
	run.record.Result = audit.Outcome(run.err)
	auditCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditWriteTimeout)
	defer cancel()
	run.auditErr = log.Append(auditCtx, run.record)
	if run.auditErr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "spotdeck: warning: audit log: %v\n", run.auditErr)
	}
	return run
}

// identify names the signed-in identity for the audit log. Failing to tell is not a
// reason to refuse: if the sign-in is broken, the change fails and says why.
func identify(ctx context.Context, client *azure.Client) string {
	who, err := client.Who(ctx)
	if err != nil {
		return "unknown"
	}
	return who
}

// priceText writes a max price for people: "-1 (never evicted for price)" or "0.05".
func priceText(price *float64) string {
	switch {
	case price == nil:
		return "not set"
	case *price == azure.NeverEvictForPrice:
		return "-1 (never evicted for price)"
	}
	return azure.PriceText(*price) + " USD/hour"
}

// capacityText writes a capacity that may be unknown.
func capacityText(capacity *int64) string {
	if capacity == nil {
		return "unknown"
	}
	return strconv.FormatInt(*capacity, 10)
}
