package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/config"
)

// rolloutFlags are the flags the rollout verbs share.
type rolloutFlags struct {
	uploadFlags
	scaleSet      string
	label         string
	batch         string
	maxUnhealthy  string
	pause         time.Duration
	healthTimeout time.Duration
	dryRun        bool
	yes           bool
	poll          time.Duration
}

func newRolloutCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Roll a bundle out to a scale set in health-gated batches",
		Args:  noArgs,
	}
	cmd.AddCommand(newRolloutStartCmd(g), newRolloutStatusCmd(g))
	for _, verb := range []string{"pause", "resume", "abort", "rollback"} {
		cmd.AddCommand(newRolloutVerbCmd(g, verb))
	}
	return cmd
}

// register adds the storage and scale-set flags every verb takes.
func (fl *rolloutFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&fl.scaleSet, "scale-set", "", "scale set to roll out to")
	f.StringVar(&fl.container, "container", "", "blob container of the bundle "+
		"(default: storage.container in the config file)")
	f.StringVar(&fl.account, "account", "", "storage account name; signs in with Entra ID")
	f.StringVar(&fl.connection, "connection-string", "",
		"storage connection string (prefer $"+connStringEnv+")")
	f.DurationVar(&fl.poll, "poll", 5*time.Second, "how often instances are read")
	_ = f.MarkHidden("poll")
}

func newRolloutStartCmd(g *globals) *cobra.Command {
	fl := &rolloutFlags{}
	cmd := &cobra.Command{
		Use:   "start --scale-set NAME --bundle LABEL",
		Short: "Show the plan, ask, then roll the bundle out batch by batch",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRolloutStart(cmd, g, fl)
		},
	}
	fl.register(cmd)
	f := cmd.Flags()
	f.StringVar(&fl.label, "bundle", "", "label of the uploaded bundle")
	f.StringVar(&fl.batch, "batch", "20%", "instances per batch: a share (20%) or a count")
	f.StringVar(&fl.maxUnhealthy, "max-unhealthy", "20%",
		"halt when more than this share of instances is unhealthy")
	f.DurationVar(&fl.pause, "pause", 30*time.Second, "wait between batches")
	f.DurationVar(&fl.healthTimeout, "health-timeout", 10*time.Minute,
		"how long a batch may take to become healthy")
	f.BoolVar(&fl.dryRun, "dry-run", false, "show the plan and change nothing")
	f.BoolVar(&fl.yes, "yes", false, "start without asking")
	f.BoolVar(&fl.sas, "sas", false, "give instances SAS links instead of identity access")
	f.DurationVar(&fl.sasValidity, "sas-validity", 0, "how long SAS links last")
	return cmd
}

func newRolloutStatusCmd(g *globals) *cobra.Command {
	fl := &rolloutFlags{}
	cmd := &cobra.Command{
		Use:   "status --scale-set NAME",
		Short: "Show a rollout's state, batches and instances",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := openRollout(cmd.Context(), g, fl)
			if err != nil {
				return err
			}
			r, err := env.store.Load(cmd.Context(), env.group, fl.scaleSet)
			if err != nil {
				return err
			}
			if fl.output == "json" {
				return writeMaskedJSON(cmd.OutOrStdout(), r)
			}
			writeRolloutText(cmd.OutOrStdout(), r)
			return nil
		},
	}
	fl.register(cmd)
	cmd.Flags().StringVarP(&fl.output, "output", "o", "table", "output format: json or table")
	return cmd
}

func newRolloutVerbCmd(g *globals, verb string) *cobra.Command {
	fl := &rolloutFlags{}
	short := map[string]string{
		"pause":    "Pause a running rollout after its current step",
		"resume":   "Resume a paused or halted rollout, or one whose process died",
		"abort":    "End a rollout and leave the instances as they are",
		"rollback": "Restore the previous settings on the instances the rollout touched",
	}[verb]
	cmd := &cobra.Command{
		Use:   verb + " --scale-set NAME",
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRolloutVerb(cmd, g, fl, verb)
		},
	}
	fl.register(cmd)
	return cmd
}

// rolloutEnv is what every verb works with once flags and config are read.
type rolloutEnv struct {
	settings settings
	client   *azure.Client
	store    *azure.RolloutStore
	group    string
	who      string
}

// driver returns the rollout driver of the operator's environment.
func (env *rolloutEnv) driver(container, access string,
	validity time.Duration) *azure.RolloutDriver {
	return azure.NewRolloutDriver(env.client, env.store, azure.RolloutDriverOptions{
		Container: container, Access: access, SASValidity: validity, Who: env.who})
}

// openRollout reads the settings and prepares Azure, the store and the scale set's group.
func openRollout(ctx context.Context, g *globals, fl *rolloutFlags) (*rolloutEnv, error) {
	if fl.scaleSet == "" {
		return nil, usageError{errors.New("no scale set: pass --scale-set NAME")}
	}
	if fl.output == "" {
		fl.output = "table"
	}
	s, err := g.load()
	if err != nil {
		return nil, err
	}
	if fl.container == "" {
		fl.container = s.cfg.Storage.Container
	}
	if fl.connection == "" && fl.account == "" {
		fl.account = s.cfg.Storage.Account
		if opts := s.storageOptions(); opts.ConnectionString != "" {
			fl.connection, fl.account = opts.ConnectionString, ""
		}
	}
	storage, err := fl.storage()
	if err != nil {
		return nil, err
	}
	client, err := s.client()
	if err != nil {
		return nil, err
	}
	dir, err := config.StateDir()
	if err != nil {
		return nil, err
	}
	store, err := azure.OpenRolloutStore(storage, fl.container, filepath.Join(dir, "rollouts"))
	if err != nil {
		return nil, usageError{err}
	}
	group, err := scaleSetGroup(ctx, client, s.cfg.ResourceGroup, fl.scaleSet)
	if err != nil {
		return nil, err
	}
	return &rolloutEnv{settings: s, client: client, store: store, group: group,
		who: operatorName()}, nil
}

// scaleSetGroup returns the configured resource group, or finds the scale set's.
func scaleSetGroup(ctx context.Context, client *azure.Client, group, name string) (string,
	error) {
	if group != "" {
		return group, nil
	}
	sets, err := client.ListScaleSets(ctx)
	if err != nil {
		return "", err
	}
	set, err := azure.Fleet{ScaleSets: sets}.FindScaleSet(name)
	if err != nil {
		return "", err
	}
	return set.ResourceGroup, nil
}

// operatorName names the operator in records and locks: user@host.
func operatorName() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// parseShare reads "20%" as a share, or "3" as a count when counts are allowed.
func parseShare(flag, text string, countOK bool) (percent, count int, err error) {
	text = strings.TrimSpace(text)
	if strings.HasSuffix(text, "%") {
		n, err := strconv.Atoi(strings.TrimSuffix(text, "%"))
		if err != nil || n < 0 || n > 100 {
			return 0, 0, usageError{fmt.Errorf("%s %q: give a share from 0%% to 100%%",
				flag, text)}
		}
		return n, 0, nil
	}
	n, err := strconv.Atoi(text)
	if !countOK || err != nil || n < 1 {
		return 0, 0, usageError{fmt.Errorf("%s %q: give a share such as 20%%%s", flag, text,
			map[bool]string{true: " or a count such as 3", false: ""}[countOK])}
	}
	return 0, n, nil
}

func (fl *rolloutFlags) limits() (azure.RolloutLimits, error) {
	percent, count, err := parseShare("--batch", fl.batch, true)
	if err != nil {
		return azure.RolloutLimits{}, err
	}
	if percent == 0 && count == 0 {
		return azure.RolloutLimits{}, usageError{fmt.Errorf("--batch %q: a batch must hold "+
			"instances; give a share from 1%% to 100%% or a count such as 3", fl.batch)}
	}
	if fl.sasValidity != 0 && (!fl.sas || fl.sasValidity < time.Hour) {
		return azure.RolloutLimits{}, usageError{fmt.Errorf("--sas-validity %s: give 1h or "+
			"more, with --sas (without it instances read with the scale set's identity)",
			fl.sasValidity)}
	}
	if fl.pause < 0 || fl.healthTimeout <= 0 || fl.sasValidity < 0 {
		return azure.RolloutLimits{}, usageError{fmt.Errorf("--pause %s, --health-timeout "+
			"%s, --sas-validity %s: the pause and the validity must not be negative and the "+
			"health timeout must be above zero, e.g. --pause 30s --health-timeout 10m",
			fl.pause, fl.healthTimeout, fl.sasValidity)}
	}
	maxBad, _, err := parseShare("--max-unhealthy", fl.maxUnhealthy, false)
	if err != nil {
		return azure.RolloutLimits{}, err
	}
	return azure.RolloutLimits{BatchPercent: percent, BatchSize: count, MaxUnhealthy: maxBad,
		Pause: fl.pause, HealthTimeout: fl.healthTimeout}, nil
}

func runRolloutStart(cmd *cobra.Command, g *globals, fl *rolloutFlags) error {
	limits, err := fl.limits()
	if err != nil {
		return err
	}
	if fl.label == "" {
		return usageError{errors.New("no bundle: pass --bundle LABEL")}
	}
	if g.readOnly && !fl.dryRun {
		return codedError{exitReadOnly, errors.New("--read-only: a rollout changes the " +
			"scale set; drop --read-only, or add --dry-run to see the plan")}
	}
	ctx := cmd.Context()
	env, err := openRollout(ctx, g, fl)
	if err != nil {
		return err
	}
	if err := refuseRunning(ctx, env, fl.scaleSet); err != nil {
		return err
	}
	access := azure.AccessIdentity
	if fl.sas {
		access = azure.AccessSAS
	}
	driver := env.driver(fl.container, access, fl.sasValidity)
	defer driver.Close()
	plan, err := driver.Plan(ctx, env.group, fl.scaleSet, fl.label, limits)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	writePlan(out, plan.Rollout, plan.Diff, plan.Findings)
	if plan.Refused() {
		return errors.New("the rollout was refused: fix what is listed above")
	}
	if fl.dryRun {
		return nil
	}
	if !fl.yes && !confirmRollout(cmd.InOrStdin(), out, "start the rollout of "+fl.label+" to "+
		fl.scaleSet+"? [y/N] ") {
		return codedError{exitNotConfirmed, errors.New("not confirmed: nothing was changed")}
	}
	r, err := driver.Start(ctx, plan)
	recordAudit(ctx, env, "rollout-start", r, err)
	if err != nil {
		return err
	}
	return driveRollout(cmd, driver, r, fl.poll)
}

// refuseRunning refuses a new rollout while the scale set's last one is not finished.
func refuseRunning(ctx context.Context, env *rolloutEnv, scaleSet string) error {
	last, err := env.store.Load(ctx, env.group, scaleSet)
	if errors.Is(err, azure.ErrNoRollout) {
		return nil
	}
	if err != nil {
		return err
	}
	if last.Finished() {
		return nil
	}
	started := fmt.Sprintf("the rollout of %s to %s (started by %s at %s) is %s", last.Label,
		scaleSet, last.StartedBy, last.Created.Local().Format("Jan 2 15:04"), last.State)
	if last.Stopped() {
		return fmt.Errorf("%s: resume, abort or roll it back first (spotdeck rollout "+
			"resume --scale-set %s)", started, scaleSet)
	}
	return fmt.Errorf("%s, last step at %s: let it finish, or pause, abort or roll it back "+
		"(spotdeck rollout status --scale-set %s)", started,
		last.Updated.Local().Format("15:04:05"), scaleSet)
}

// confirm asks a yes/no question on the terminal.
func confirmRollout(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprint(out, question)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}

// driveRollout steps a rollout whose lock the driver holds until it stops, printing each
// step.
func driveRollout(cmd *cobra.Command, driver *azure.RolloutDriver, r azure.Rollout,
	poll time.Duration) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	out := cmd.OutOrStdout()
	shown := 0
	for {
		shown = printNewLines(out, r, shown)
		if r.Stopped() || ctx.Err() != nil {
			break
		}
		next, err := driver.Step(ctx, r)
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%w; spotdeck rollout resume --scale-set %s carries on", err,
				r.ScaleSet)
		}
		if next.State == r.State && len(next.Log) == len(r.Log) {
			_ = sleepRollout(ctx, poll)
		}
		r = next
	}
	return driveResult(ctx, r)
}

// driveResult turns how a driven rollout stopped into the command's exit.
func driveResult(ctx context.Context, r azure.Rollout) error {
	switch {
	case r.State == azure.RolloutDone || r.State == azure.RolloutRolledBack:
		return nil
	case ctx.Err() != nil:
		return errors.New("interrupted: the record is saved; spotdeck rollout resume " +
			"--scale-set " + r.ScaleSet + " carries on")
	}
	return fmt.Errorf("rollout %s: %s", r.State, r.Reason)
}

func sleepRollout(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// printNewLines prints the log lines after the first shown ones.
func printNewLines(out io.Writer, r azure.Rollout, shown int) int {
	if shown > len(r.Log) {
		shown = 0
	}
	for _, line := range r.Log[shown:] {
		fmt.Fprintf(out, "%s  %s\n", line.At.Format("15:04:05"), line.Text)
	}
	return len(r.Log)
}

func runRolloutVerb(cmd *cobra.Command, g *globals, fl *rolloutFlags, verb string) error {
	if g.readOnly {
		return codedError{exitReadOnly, fmt.Errorf("--read-only: rollout %s changes the "+
			"rollout; drop --read-only", verb)}
	}
	ctx := cmd.Context()
	env, err := openRollout(ctx, g, fl)
	if err != nil {
		return err
	}
	r, err := env.store.Load(ctx, env.group, fl.scaleSet)
	if err != nil {
		return err
	}
	driver := env.driver(r.Container, "", 0)
	defer driver.Close()
	next, err := driver.Operate(ctx, r, verb)
	recordAudit(ctx, env, "rollout-"+verb, next, err)
	if errors.Is(err, azure.ErrRolloutAsked) {
		fmt.Fprintln(cmd.OutOrStdout(), strings.TrimPrefix(err.Error(),
			azure.ErrRolloutAsked.Error()+": "))
		return waitAnswered(ctx, cmd.OutOrStdout(), env, driver, r, verb, fl.poll)
	}
	if err != nil {
		return err
	}
	r = next
	if verb == "pause" || verb == "abort" {
		printNewLines(cmd.OutOrStdout(), r, len(r.Log)-1)
		return nil
	}
	return driveRollout(cmd, driver, r, fl.poll)
}

// answeredTimeout bounds the wait for the driving process to carry out what was asked.
const answeredTimeout = 2 * time.Minute

// waitAnswered waits until the record shows that the process driving the rollout carried
// out the verb, printing the record's new lines. When that process stops driving (it died,
// or an earlier request stopped it) the lock comes free and the verb is carried out here.
// What is still asked when the wait ends is taken back.
func waitAnswered(ctx context.Context, out io.Writer, env *rolloutEnv,
	driver *azure.RolloutDriver, r azure.Rollout, verb string, poll time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, answeredTimeout)
	defer cancel()
	shown := len(r.Log)
	for {
		if err := sleepRollout(ctx, poll); err != nil {
			_ = driver.Withdraw(context.WithoutCancel(ctx), r)
			return fmt.Errorf("the process driving the rollout did not %s it within %s, and "+
				"its lock did not lapse; the request is withdrawn (spotdeck rollout status "+
				"--scale-set %s)", verb, answeredTimeout, r.ScaleSet)
		}
		now, err := env.store.Load(ctx, env.group, r.ScaleSet)
		if err != nil {
			continue
		}
		shown = printNewLines(out, now, shown)
		if answered(now, verb) {
			return nil
		}
		// Refused while the driver holds the lock (it is asked again); done here once
		// the lock is free.
		if done, err := driver.Operate(ctx, now, verb); err == nil {
			printNewLines(out, done, shown)
			return nil
		}
	}
}

// answered tells whether a record shows the verb carried out.
func answered(r azure.Rollout, verb string) bool {
	switch verb {
	case "pause":
		return r.State == azure.RolloutPaused
	case "abort":
		return r.State == azure.RolloutAborted
	case "rollback":
		return r.State == azure.RolloutRollingBack || r.State == azure.RolloutRollbackWait ||
			r.State == azure.RolloutRolledBack
	}
	return r.Stopped()
}

// recordAudit notes a rollout change in the audit log, locally and in the team's copy.
func recordAudit(ctx context.Context, env *rolloutEnv, action string, r azure.Rollout,
	err error) {
	log, openErr := env.settings.openAudit()
	if openErr != nil {
		slog.Error("open the audit log", "err", openErr)
		return
	}
	rolloutAuditor(log, env.client)(ctx, action, r, err)
}

// rolloutAuditor returns what records a rollout change in log, under the signed-in
// identity. A failure to write is logged, not fatal: the rollout record holds the same
// facts.
func rolloutAuditor(log *audit.Log, client *azure.Client) func(context.Context, string,
	azure.Rollout, error) {
	var (
		once sync.Once
		who  string
	)
	return func(ctx context.Context, action string, r azure.Rollout, err error) {
		once.Do(func() { who = identify(ctx, client) })
		if errors.Is(err, azure.ErrRolloutAsked) {
			// Not a failure: the driving process carries it out and records its step.
			action, err = action+"-asked", nil
		}
		rec := audit.NewRecord(who, action, []string{r.ResourceGroup + "/" + r.ScaleSet},
			map[string]string{"label": r.Label, "state": r.State})
		rec.Result = audit.Outcome(err)
		appendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditWriteTimeout)
		defer cancel()
		if err := log.Append(appendCtx, rec); err != nil {
			slog.Error("audit record", "action", action, "err", err)
		}
	}
}

// writePlan shows the change and the findings before the operator confirms.
func writePlan(out io.Writer, r azure.Rollout, diff []azure.DiffLine,
	findings []azure.RolloutFinding) {
	if r.ScaleSet != "" {
		fmt.Fprintf(out, "rollout of %s to scale set %s (resource group %s, %s upgrade "+
			"mode)\n", r.Label, r.ScaleSet, r.ResourceGroup, r.UpgradeMode)
		fmt.Fprintf(out, "  batches of %s, halt above %d%% unhealthy, %s between batches, "+
			"%s for each batch to become healthy\n", r.Limits.BatchText(),
			r.Limits.MaxUnhealthy, r.Limits.Pause, r.Limits.HealthTimeout)
		if note := r.ModeNote(); note != "" {
			fmt.Fprintln(out, "  "+note)
		}
	}
	if r.Next.Name != "" {
		fmt.Fprintf(out, "extension %s:\n", r.Next.Name)
	}
	for _, line := range diff {
		fmt.Fprintf(out, "  %s\n    - %s\n    + %s\n", line.Field, line.Old, line.New)
	}
	for _, f := range findings {
		fmt.Fprintln(out, f.String())
	}
}

// writeRolloutText prints a rollout's state, batches and instances.
func writeRolloutText(out io.Writer, r azure.Rollout) {
	fmt.Fprintf(out, "rollout %s of %s to %s: %s\n", r.ID, r.Label, r.ScaleSet, r.State)
	if r.Reason != "" {
		fmt.Fprintln(out, "  "+r.Reason)
	}
	c := r.Counts
	fmt.Fprintf(out, "  %d instances: %d on %s, %d healthy, %d unhealthy, %d evicted\n",
		c.Total, c.Updated, r.CountedLabel(), c.Healthy, c.Unhealthy, c.Evicted)
	for _, b := range r.Batches {
		var parts []string
		for _, in := range b.Instances {
			parts = append(parts, "#"+in.ID+" "+in.State)
		}
		fmt.Fprintf(out, "  batch %d: %s\n", b.Index, strings.Join(parts, ", "))
	}
}

// writeMaskedJSON writes v as JSON with every SAS signature masked: a record holds the
// links instances read.
func writeMaskedJSON(out io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, azure.MaskSAS(string(data)))
	return err
}
