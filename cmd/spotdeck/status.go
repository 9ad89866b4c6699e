package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/azure"
	"spotdeck/events"
)

// demoRefresh is the demo's refresh interval: short, so the simulated fleet visibly moves.
const demoRefresh = 2 * time.Second

// statusTimeout bounds one non-interactive reading of the fleet.
const statusTimeout = 60 * time.Second

func newStatusCmd(g *globals) *cobra.Command {
	var output, container string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print one snapshot of the scale sets and instances",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "json" && output != "table" {
				return usageError{fmt.Errorf("-o %q: give json or table", output)}
			}
			s, err := g.load()
			if err != nil {
				return err
			}
			if err := g.checkConfigGiven(s); err != nil {
				return err
			}
			client, err := s.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), statusTimeout)
			defer cancel()
			fleet, err := azure.ReadFleet(ctx, client,
				azure.ReadOptions{ScaleSets: s.cfg.ScaleSets})
			if err != nil {
				return err
			}
			snap := snapshot{fleet: fleet}
			snap.queues = s.readQueues(ctx)
			if store, err := openEvents(eventsFile(s.cfg.Subscription)); err == nil {
				snap.events = store.Since(time.Now().Add(-events.Retention))
			}
			snap.rollouts = s.runningRollouts(ctx, container, cmd.ErrOrStderr())
			if output == "json" {
				return writeStatusJSON(cmd.OutOrStdout(), snap)
			}
			return writeStatusTable(cmd.OutOrStdout(), snap)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: json or table")
	cmd.Flags().StringVar(&container, "container", "", "bundle container whose running "+
		"rollouts to show (default: storage.container in the config file)")
	return cmd
}

// snapshot is what status prints: the fleet, the watched queues and the last day's events.
type snapshot struct {
	fleet  azure.Fleet
	queues []azure.QueueDepth
	events []events.Event
	// rollouts are the running rollouts, by azure.RolloutKey.
	rollouts map[string]azure.RolloutSummary
}

// runningRollouts reads the running rollouts from the bundle container, when storage is
// configured. Status still prints the fleet when they cannot be read; it says why.
func (s settings) runningRollouts(ctx context.Context, container string,
	stderr io.Writer) map[string]azure.RolloutSummary {
	store, err := s.rolloutStore(container)
	if err != nil || store == nil {
		return nil
	}
	running, err := store.Summaries(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "spotdeck: rollouts not shown:", err)
	}
	return running
}

// readQueues reads the configured queues once; none configured gives none. A queue that
// cannot be read is a row with its error, not a failed status.
func (s settings) readQueues(ctx context.Context) []azure.QueueDepth {
	r := s.queueReader()
	if r == nil {
		return nil
	}
	return r.Depths(ctx, s.cfg.Queues)
}

// The JSON shape of `status -o json`. Its names are the scriptable face of the console:
// keep them stable. A value the platform did not report is null, never a default.
type (
	statusDoc struct {
		ReadAt    time.Time        `json:"readAt"`
		ScaleSets []statusScaleSet `json:"scaleSets"`
		Queues    []statusQueue    `json:"queues"`
		Events    []events.Event   `json:"events"`
	}
	statusQueue struct {
		Name             string  `json:"name"`
		ApproximateCount *int64  `json:"approximateCount"`
		Poison           bool    `json:"poison"`
		Error            *string `json:"error"`
	}
	statusScaleSet struct {
		Name               string                `json:"name"`
		ResourceGroup      *string               `json:"resourceGroup"`
		Location           *string               `json:"location"`
		SKU                *string               `json:"sku"`
		Capacity           *int64                `json:"capacity"`
		Priority           *string               `json:"priority"`
		EvictionPolicy     *string               `json:"evictionPolicy"`
		MaxPrice           *float64              `json:"maxPrice"`
		UpgradeMode        *string               `json:"upgradeMode"`
		ProvisioningState  *string               `json:"provisioningState"`
		OSType             *string               `json:"osType"`
		HasCustomScript    bool                  `json:"hasCustomScript"`
		HasHealthExtension bool                  `json:"hasHealthExtension"`
		Label              *string               `json:"label"`
		Rollout            *azure.RolloutSummary `json:"rollout"`
		InstancesError     *string               `json:"instancesError"`
		Instances          []statusInstance      `json:"instances"`
	}
	statusInstance struct {
		ID              string     `json:"id"`
		Name            *string    `json:"name"`
		ComputerName    *string    `json:"computerName"`
		Zone            *string    `json:"zone"`
		Power           *string    `json:"power"`
		Provisioning    *string    `json:"provisioning"`
		Health          *string    `json:"health"`
		LatestModel     *bool      `json:"latestModel"`
		ExtensionState  *string    `json:"extensionState"`
		ExtensionDetail *string    `json:"extensionMessage"`
		Label           *string    `json:"label"`
		Created         *time.Time `json:"created"`
	}
)

func writeStatusJSON(w io.Writer, snap snapshot) error {
	doc := statusDoc{ReadAt: snap.fleet.ReadAt.UTC(), ScaleSets: []statusScaleSet{},
		Queues: []statusQueue{}, Events: []events.Event{}}
	for _, s := range snap.fleet.ScaleSets {
		row := toStatusScaleSet(s)
		if r, ok := snap.rollouts[azure.RolloutKey(s.ResourceGroup, s.Name)]; ok {
			row.Rollout = &r
		}
		doc.ScaleSets = append(doc.ScaleSets, row)
	}
	for _, q := range snap.queues {
		row := statusQueue{Name: q.Name, ApproximateCount: q.ApproximateCount, Poison: q.Poison}
		if q.Err != nil {
			row.Error = nullable(q.Err.Error())
		}
		doc.Queues = append(doc.Queues, row)
	}
	doc.Events = append(doc.Events, snap.events...)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func toStatusScaleSet(s azure.ScaleSet) statusScaleSet {
	out := statusScaleSet{
		Name: s.Name, ResourceGroup: nullable(s.ResourceGroup), Location: nullable(s.Location),
		SKU: nullable(s.SKU), Capacity: s.Capacity, Priority: nullable(s.Priority),
		EvictionPolicy: nullable(s.EvictionPolicy), MaxPrice: s.MaxPrice,
		UpgradeMode: nullable(s.UpgradeMode), ProvisioningState: nullable(s.ProvisioningState),
		OSType: nullable(s.OSType), HasCustomScript: s.HasCustomScript,
		HasHealthExtension: s.HasHealthExtension, Label: nullable(s.Label),
		Instances: []statusInstance{},
	}
	if s.InstancesErr != nil {
		out.InstancesError = nullable(s.InstancesErr.Error())
	}
	for _, in := range s.Instances {
		out.Instances = append(out.Instances, statusInstance{
			ID: in.ID, Name: nullable(in.Name), ComputerName: nullable(in.ComputerName),
			Zone: nullable(in.Zone), Power: nullable(in.Power),
			Provisioning: nullable(in.Provisioning), Health: nullable(in.Health),
			LatestModel: in.LatestModel, ExtensionState: nullable(in.Extension.State),
			ExtensionDetail: nullable(in.Extension.Message), Label: nullable(in.Label),
			Created: in.Created,
		})
	}
	return out
}

// nullable turns "not reported" into JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func writeStatusTable(w io.Writer, snap snapshot) error {
	fleet := snap.fleet
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCALE SET\tINSTANCE\tZONE\tPOWER\tHEALTH\tPROVISIONING\tMODEL\tSCRIPT")
	for _, s := range fleet.ScaleSets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, "-", zonesText(s.Zones),
			"capacity "+intText(s.Capacity), priorityText(s),
			or(s.ProvisioningState), or(s.UpgradeMode), or(s.Label))
		if s.InstancesErr != nil {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\n", s.Name, "error: "+s.InstancesErr.Error())
		}
		for _, in := range s.Instances {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, in.ID, or(in.Zone),
				or(in.Power), or(in.Health), or(in.Provisioning), modelText(in.LatestModel),
				or(in.Extension.State))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeQueuesTable(w, snap.queues)
}

// priorityText reads like "spot/delete"; a Regular scale set has no eviction policy.
func priorityText(s azure.ScaleSet) string {
	if s.Priority == "regular" && s.EvictionPolicy == "" {
		return "regular"
	}
	return or(s.Priority) + "/" + or(s.EvictionPolicy)
}

func writeQueuesTable(w io.Writer, queues []azure.QueueDepth) error {
	if len(queues) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nQUEUE\tDEPTH\tNOTE")
	for _, q := range queues {
		depth, note := "unknown", ""
		if q.ApproximateCount != nil {
			depth = "≈" + azure.GroupThousands(*q.ApproximateCount)
		}
		if q.Err != nil {
			note = q.Err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", q.Name, depth, note)
	}
	return tw.Flush()
}

func or(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func intText(n *int64) string {
	if n == nil {
		return "unknown"
	}
	return fmt.Sprint(*n)
}

func zonesText(z []string) string {
	if len(z) == 0 {
		return "-"
	}
	return strings.Join(z, ",")
}

func modelText(latest *bool) string {
	switch {
	case latest == nil:
		return "unknown"
	case *latest:
		return "latest"
	default:
		return "behind"
	}
}
