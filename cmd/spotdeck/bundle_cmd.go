package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/azure"
	"spotdeck/bundle"
)

// connStringEnv is where the upload finds a connection string when no flag gives one. An
// environment variable, unlike a flag, does not show in the process list.
const connStringEnv = "SPOTDECK_STORAGE_CONNECTION_STRING"

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Build, check and upload a host-plus-app deployment bundle",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newBundleBuildCmd(), newBundleCheckCmd(), newBundleUploadCmd())
	return cmd
}

// bundleInputs are the flags that name a bundle's inputs, shared by build and check.
type bundleInputs struct {
	host, app, env, os, label, identity string
	healthPort                          int
}

func (in *bundleInputs) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&in.host, "host", "", "folder or zip of the published azure-functions-host")
	f.StringVar(&in.app, "app", "", "folder or zip of the published function app")
	f.StringVar(&in.env, "env", "", "KEY=VALUE file of app settings (values stay secret)")
	f.StringVar(&in.os, "os", "", "target OS of the scale set: windows or linux")
	f.StringVar(&in.label, "label", "", "bundle label (default: derived from the content)")
	f.IntVar(&in.healthPort, "health-port", 0,
		fmt.Sprintf("local port of the host (default %d)", bundle.DefaultHealthPort))
	f.StringVar(&in.identity, "identity-client-id", "",
		"client ID of a user-assigned identity the host uses for AzureWebJobsStorage")
}

func (in *bundleInputs) options() bundle.Options {
	return bundle.Options{HostPath: in.host, AppPath: in.app, EnvPath: in.env, OS: in.os,
		Label: in.label, HealthPort: in.healthPort, IdentityClientID: in.identity}
}

// bundleError turns the bundle package's option errors into usage errors (exit 2).
func bundleError(err error) error {
	if errors.Is(err, bundle.ErrOptions) {
		return usageError{err}
	}
	return err
}

func newBundleCheckCmd() *cobra.Command {
	in := &bundleInputs{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check a bundle's inputs without writing anything",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			findings, err := bundle.Preflight(in.options())
			if err != nil {
				return bundleError(err)
			}
			writeFindings(cmd.OutOrStdout(), findings)
			return findingsVerdict(cmd.OutOrStdout(), findings)
		},
	}
	in.register(cmd)
	return cmd
}

// writeFindings prints one finding a line, errors first as preflight sorts them.
func writeFindings(w io.Writer, findings []bundle.Finding) {
	for _, f := range findings {
		fmt.Fprintln(w, f.String())
	}
}

// findingsVerdict sums the findings up and fails when any is an error.
func findingsVerdict(w io.Writer, findings []bundle.Finding) error {
	errs, warns := 0, 0
	for _, f := range findings {
		if f.Severity == bundle.Error {
			errs++
		} else {
			warns++
		}
	}
	if errs > 0 {
		return fmt.Errorf("preflight found %d error(s) and %d warning(s): fix the errors "+
			"above and run again", errs, warns)
	}
	fmt.Fprintf(w, "preflight: no errors, %d warning(s)\n", warns)
	return nil
}

func newBundleBuildCmd() *cobra.Command {
	in := &bundleInputs{}
	var out string
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Check the inputs, then write DIR/<label>/ with zips, env, script and manifest",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("no output folder: pass --out DIR")}
			}
			opts := in.options()
			opts.OutDir = out
			line := newProgressLine(cmd.ErrOrStderr())
			opts.Progress = func(p bundle.Progress) { line.show(buildProgressText(p)) }
			res, err := bundle.Build(cmd.Context(), opts)
			line.clear()
			if res != nil {
				writeFindings(cmd.OutOrStdout(), res.Findings)
			}
			if errors.Is(err, bundle.ErrPreflight) {
				return findingsVerdict(cmd.OutOrStdout(), res.Findings)
			}
			if err != nil {
				return bundleError(err)
			}
			return writeBuildResult(cmd.OutOrStdout(), res)
		},
	}
	in.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "folder that receives <label>/")
	return cmd
}

// buildProgressText is the progress line of a build.
func buildProgressText(p bundle.Progress) string {
	if p.Total <= 0 {
		return "building: " + p.Stage
	}
	return fmt.Sprintf("building %s: %3d%% of %s", p.Stage, p.Done*100/p.Total,
		byteText(p.Total))
}

// writeBuildResult prints where the bundle is and the hash of every file.
func writeBuildResult(w io.Writer, res *bundle.Result) error {
	m := res.Manifest
	state := "written to"
	if res.Reused {
		state = "already in"
	}
	fmt.Fprintf(w, "bundle %s %s %s\n", m.Label, state, res.Dir)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "label\t%s\nos\t%s\nhost version\t%s\nfunctions\t%s\nenv keys\t%d\n",
		m.Label, m.OS, orUnknown(m.HostVersion), functionsText(m.Functions), len(m.EnvKeys))
	fmt.Fprintln(tw, "\nFILE\tSIZE\tSHA-256")
	for _, f := range m.Files {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", f.Name, f.Size, f.SHA256)
	}
	return tw.Flush()
}

func functionsText(names []string) string {
	if len(names) == 0 {
		return "none found"
	}
	return strings.Join(names, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// uploadFlags are the flags of bundle upload.
type uploadFlags struct {
	container, account, connection, output string
	sas                                    bool
	sasValidity                            time.Duration
}

func newBundleUploadCmd() *cobra.Command {
	fl := &uploadFlags{}
	cmd := &cobra.Command{
		Use:   "upload DIR/<label>",
		Short: "Upload a built bundle to blob storage, sending only what changed",
		Long: "Uploads a built bundle to <container>/<label>/. Files already in the " +
			"container are copied on the service side; an interrupted upload continues " +
			"where it stopped when run again. The connection string may also come from $" +
			connStringEnv + ".",
		Args: exactlyOneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpload(cmd, fl, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.container, "container", "", "blob container to upload to (created if absent)")
	f.StringVar(&fl.account, "account", "", "storage account name; signs in with Entra ID")
	f.StringVar(&fl.connection, "connection-string", "",
		"storage connection string (prefer $"+connStringEnv+": flags show in process lists)")
	f.BoolVar(&fl.sas, "sas", false,
		"give instances read-only SAS links instead of managed identity access")
	f.DurationVar(&fl.sasValidity, "sas-validity", 0,
		"how long SAS links last (default 720h with an account key, 168h with Entra ID)")
	f.StringVarP(&fl.output, "output", "o", "table", "output format: json or table")
	return cmd
}

// storage checks the flags and says how to reach the account.
func (fl *uploadFlags) storage() (azure.StorageOptions, error) {
	if fl.output != "json" && fl.output != "table" {
		return azure.StorageOptions{}, usageError{fmt.Errorf("-o %q: give json or table",
			fl.output)}
	}
	if fl.container == "" {
		return azure.StorageOptions{}, usageError{errors.New("no container: pass --container")}
	}
	conn := fl.connection
	if conn == "" && fl.account == "" {
		conn = os.Getenv(connStringEnv)
	}
	if conn != "" && fl.account != "" {
		return azure.StorageOptions{}, usageError{errors.New("give either --account or a " +
			"connection string, not both")}
	}
	if conn == "" && fl.account == "" {
		return azure.StorageOptions{}, usageError{errors.New("no storage account: pass " +
			"--account NAME, or --connection-string, or set $" + connStringEnv)}
	}
	return azure.StorageOptions{ConnectionString: conn, Account: fl.account}, nil
}

func runUpload(cmd *cobra.Command, fl *uploadFlags, dir string) error {
	storage, err := fl.storage()
	if err != nil {
		return err
	}
	if err := labelFolderHint(dir); err != nil {
		return err
	}
	up := azure.UploadOptions{Access: azure.AccessIdentity, SASValidity: fl.sasValidity}
	if fl.sas {
		up.Access = azure.AccessSAS
	}
	line := newProgressLine(cmd.ErrOrStderr())
	up.Progress = func(p azure.UploadProgress) { line.show(uploadProgressText(p)) }
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	res, err := azure.UploadBundle(ctx, storage, dir, fl.container, up)
	line.clear()
	if errors.Is(err, context.Canceled) {
		return errors.New("upload interrupted: run the same command again to continue " +
			"where it stopped")
	}
	if errors.Is(err, azure.ErrUploadOptions) || errors.Is(err, azure.ErrSASValidity) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if fl.output == "json" {
		return writeUploadJSON(cmd.OutOrStdout(), res)
	}
	return writeUploadTable(cmd.OutOrStdout(), res)
}

// labelFolderHint catches the output folder of bundle build passed instead of one of its
// label folders, and names the newest of those.
func labelFolderHint(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, bundle.ManifestName)); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var newest string
	var newestAt time.Time
	count := 0
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(dir, e.Name(), bundle.ManifestName))
		if err != nil || !e.IsDir() {
			continue
		}
		count++
		if newest == "" || info.ModTime().After(newestAt) {
			newest, newestAt = e.Name(), info.ModTime()
		}
	}
	if count == 0 {
		return nil
	}
	return usageError{fmt.Errorf("%s is the output folder, not a bundle: pass one of the %d "+
		"label folders it holds, e.g. the newest, %s", dir, count, filepath.Join(dir, newest))}
}

// uploadProgressText is the progress line of an upload: bytes, rate and time left.
func uploadProgressText(p azure.UploadProgress) string {
	text := fmt.Sprintf("uploading %s: %s of %s", p.File, byteText(p.Bytes), byteText(p.Total))
	if p.Rate > 0 {
		text += fmt.Sprintf(", %s/s", byteText(int64(p.Rate)))
	}
	if p.Remaining > 0 {
		text += ", " + p.Remaining.Round(time.Second).String() + " left"
	}
	return text
}

// The JSON shape of `bundle upload -o json`. Links are masked: the signature of a SAS
// never reaches the output.
type (
	uploadDoc struct {
		Label     string       `json:"label"`
		Container string       `json:"container"`
		Access    string       `json:"access"`
		BytesSent int64        `json:"bytesSent"`
		SASExpiry *time.Time   `json:"sasExpiry"`
		Files     []uploadFile `json:"files"`
	}
	uploadFile struct {
		Name      string `json:"name"`
		Blob      string `json:"blob"`
		URL       string `json:"url"`
		SHA256    string `json:"sha256"`
		Size      int64  `json:"size"`
		How       string `json:"how"`
		BytesSent int64  `json:"bytesSent"`
	}
)

func writeUploadJSON(w io.Writer, res azure.UploadResult) error {
	doc := uploadDoc{Label: res.Label, Container: res.Container, Access: res.Access,
		BytesSent: res.BytesSent, Files: []uploadFile{}}
	if !res.SASExpiry.IsZero() {
		expiry := res.SASExpiry.UTC()
		doc.SASExpiry = &expiry
	}
	for _, f := range res.Files {
		doc.Files = append(doc.Files, uploadFile{Name: f.Name, Blob: f.Blob,
			URL: azure.MaskSAS(f.URL), SHA256: f.SHA256, Size: f.Size, How: f.How,
			BytesSent: f.BytesSent})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Links stay readable ("&", not "\u0026"); the output is not meant for HTML.
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func writeUploadTable(w io.Writer, res azure.UploadResult) error {
	fmt.Fprintf(w, "bundle %s uploaded to %s/%s/, %s sent\n", res.Label, res.Container,
		res.Label, byteText(res.BytesSent))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tHOW\tSIZE\tSENT\tURL")
	for _, f := range res.Files {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Name, f.How, byteText(f.Size),
			byteText(f.BytesSent), azure.MaskSAS(f.URL))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, accessNote(res, time.Now()))
	return nil
}

// accessNote says how instances will read the bundle and what can break it.
func accessNote(res azure.UploadResult, now time.Time) string {
	if res.Access != azure.AccessSAS {
		return "instances read with the scale set's managed identity: it needs Storage " +
			"Blob Data Reader on container " + res.Container
	}
	return fmt.Sprintf("SAS links (signature hidden above) expire %s, in %s: after that "+
		"every scale-out and reimage fails to download the bundle; upload again before then",
		res.SASExpiry.UTC().Format("2006-01-02 15:04 UTC"), untilText(res.SASExpiry.Sub(now)))
}

// untilText renders a time left in days when it is long, in hours and minutes otherwise.
func untilText(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Round(time.Hour).Hours())/24)
	}
	return d.Round(time.Minute).String()
}

// byteText renders a byte count in binary units.
func byteText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	value, exp := float64(n)/unit, 0
	for value >= unit && exp < 4 {
		value /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", value, "KMGTP"[exp])
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q (see --help)",
			cmd.CommandPath(), args)}
	}
	return nil
}

// exactlyOneArg requires the bundle folder as the only argument.
func exactlyOneArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageError{fmt.Errorf("%s needs one argument, the bundle folder "+
			"DIR/<label> (see --help)", cmd.CommandPath())}
	}
	return nil
}

// isTerminal tells whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
