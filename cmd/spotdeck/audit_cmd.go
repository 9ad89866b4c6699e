package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/audit"
	"spotdeck/azure"
	"spotdeck/tui"
)

// auditReadTimeout bounds reading the audit log, a request per day of the shared copy.
const auditReadTimeout = 2 * time.Minute

func newAuditCmd(g *globals) *cobra.Command {
	var (
		since  time.Duration
		output string
	)
	cmd := &cobra.Command{
		Use:   "audit [--since 24h]",
		Short: "List the changes made with spotdeck: who, from where, what, and how it ended",
		Long: "Lists the records of the local audit log ($XDG_STATE_HOME/spotdeck/" +
			audit.FileName + ") merged with the team's shared log, one append blob per day " +
			"under audit/ in storage.container, when storage is configured.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "json" && output != "table" {
				return usageError{fmt.Errorf("-o %q: give json or table", output)}
			}
			if since <= 0 {
				return usageError{fmt.Errorf("--since %s: give a positive duration such as "+
					"24h or 168h", since)}
			}
			return runAudit(cmd, g, since, output)
		},
	}
	cmd.Flags().DurationVar(&since, "since", 24*time.Hour, "how far back to list")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: json or table")
	return cmd
}

func runAudit(cmd *cobra.Command, g *globals, since time.Duration, output string) error {
	s, err := g.load()
	if err != nil {
		return err
	}
	log, err := s.openAudit()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), auditReadTimeout)
	defer cancel()
	records, err := log.Read(ctx, since)
	var remote *audit.RemoteError
	if err != nil && !errors.As(err, &remote) {
		return err
	}
	if remote != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "spotdeck: warning: %v\n", remote)
	}
	if output == "json" {
		doc := auditDoc{Records: records, Local: log.Path(), Shared: log.Shared()}
		if doc.Records == nil {
			doc.Records = []audit.Record{}
		}
		if remote != nil {
			doc.SharedError = nullable(remote.Err.Error())
		}
		return writeJSON(cmd.OutOrStdout(), doc)
	}
	return writeAuditTable(cmd.OutOrStdout(), records)
}

// auditDoc is the JSON shape of `audit -o json`.
type auditDoc struct {
	Records []audit.Record `json:"records"`
	// Local is the local log's path; Shared tells whether the team's log was read too.
	Local       string  `json:"local"`
	Shared      bool    `json:"shared"`
	SharedError *string `json:"sharedError"`
}

func writeAuditTable(w io.Writer, records []audit.Record) error {
	if len(records) == 0 {
		_, err := fmt.Fprintln(w, "no changes recorded in that time")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tWHO\tFROM\tACTION\tTARGETS\tPARAMETERS\tRESULT")
	for _, r := range records {
		from := r.Host
		if r.SSHClient != "" {
			from += " (ssh " + r.SSHClient + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format(time.DateTime),
			r.Who, from, r.Action, strings.Join(r.Targets, " "), paramsText(r.Params), r.Result)
	}
	return tw.Flush()
}

// paramsText writes parameters as "k=v k=v" in name order, "-" when there are none.
func paramsText(params map[string]string) string {
	if len(params) == 0 {
		return "-"
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, name := range names {
		parts = append(parts, name+"="+params[name])
	}
	return strings.Join(parts, " ")
}

// openAudit opens the audit log: the local file and, when storage and its container are
// configured, the team's shared copy in that container.
func (s settings) openAudit() (*audit.Log, error) {
	path, err := audit.DefaultPath()
	if err != nil {
		return nil, err
	}
	sink, err := s.auditSink()
	if err != nil {
		return nil, err
	}
	return audit.Open(path, sink)
}

// auditSink returns the shared audit log, nil when storage or its container is not set.
func (s settings) auditSink() (audit.Sink, error) {
	opts := s.storageOptions()
	container := s.cfg.Storage.Container
	if container == "" || (opts.ConnectionString == "" && opts.Account == "" &&
		opts.BlobEndpoint == "") {
		return nil, nil
	}
	blobs, err := azure.NewAuditBlobs(opts, container)
	if err != nil {
		return nil, usageError{fmt.Errorf("the shared audit log (storage in config %s): %w",
			s.configPath, err)}
	}
	return blobs, nil
}

// actionAuditor returns what the console calls after each action to record it in log (its
// Options.Audit). The identity is looked up once, by the first action; actions run
// concurrently, hence the sync.Once.
func actionAuditor(log *audit.Log, client *azure.Client) func(ctx context.Context,
	a azure.Action, res azure.ActionResult, err error) error {
	var (
		once sync.Once
		who  string
	)
	return func(ctx context.Context, a azure.Action, _ azure.ActionResult, err error) error {
		once.Do(func() { who = identify(ctx, client) })
		record := audit.NewRecord(who, a.Kind, a.Targets(), a.Params())
		record.Result = audit.Outcome(err)
		appendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditWriteTimeout)
		defer cancel()
		return log.Append(appendCtx, record)
	}
}

// withAudit lets the console record its changes in log and show them on its audit screen.
func withAudit(opts *tui.Options, log *audit.Log, client *azure.Client) {
	opts.Audit = actionAuditor(log, client)
	opts.AuditLog = log.Read
	opts.Rollouts.Audit = rolloutAuditor(log, client)
}
