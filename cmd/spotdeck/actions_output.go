package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"spotdeck/audit"
)

// The JSON shape of a changing verb's -o json. Scripts read it: keep the names stable. A
// value the platform did not report is null.
type (
	changeDoc struct {
		Action        string   `json:"action"`
		ScaleSet      string   `json:"scaleSet"`
		ResourceGroup string   `json:"resourceGroup"`
		InstanceIDs   []string `json:"instanceIds"`
		Description   string   `json:"description"`
		// Result is "ok" or "failed".
		Result           string          `json:"result"`
		Error            *string         `json:"error"`
		Done             []string        `json:"doneInstanceIds"`
		Failed           []failedDoc     `json:"failedInstances"`
		PreviousCapacity *int64          `json:"previousCapacity"`
		Capacity         *int64          `json:"capacity"`
		MaxPrice         *float64        `json:"maxPrice"`
		Who              string          `json:"who"`
		Started          time.Time       `json:"started"`
		Finished         time.Time       `json:"finished"`
		Audit            auditOutcomeDoc `json:"audit"`
	}
	failedDoc struct {
		InstanceID string `json:"instanceId"`
		Error      string `json:"error"`
	}
	// auditOutcomeDoc says where the change's record went: Local and Shared are "ok",
	// "failed: …" or, for Shared, "not configured".
	auditOutcomeDoc struct {
		ID     string `json:"id"`
		Local  string `json:"local"`
		Shared string `json:"shared"`
	}
)

// writeChange reports a change that ran, whether it succeeded or not.
func writeChange(cmd *cobra.Command, output string, run changeRun) error {
	w := cmd.OutOrStdout()
	if output == "json" {
		return writeJSON(w, changeDocOf(run))
	}
	verdict := "done"
	if run.err != nil {
		verdict = "failed"
	}
	elapsed := run.result.Finished.Sub(run.result.Started).Round(time.Second)
	fmt.Fprintf(w, "%s in %s: %s\n", verdict, elapsed, run.plan.Description)
	for _, failed := range run.result.Failed {
		fmt.Fprintf(w, "  instance %s: %v\n", failed.InstanceID, failed.Err)
	}
	if set := run.result.ScaleSet; set != nil {
		fmt.Fprintf(w, "scale set %s now: capacity %s, max price %s\n", run.plan.Action.ScaleSet,
			capacityText(set.Capacity), priceText(set.MaxPrice))
	}
	return nil
}

func changeDocOf(run changeRun) changeDoc {
	a, result := run.plan.Action, run.result
	doc := changeDoc{
		Action: a.Kind, ScaleSet: a.ScaleSet, ResourceGroup: a.ResourceGroup,
		InstanceIDs: nonNil(a.InstanceIDs), Description: run.plan.Description,
		Result: "ok", Done: nonNil(result.Done), Failed: []failedDoc{},
		PreviousCapacity: run.plan.ScaleSet.Capacity, Who: run.who,
		Started: result.Started.UTC(), Finished: result.Finished.UTC(),
		Audit: auditOutcomeOf(run),
	}
	if run.err != nil {
		doc.Result = "failed"
		doc.Error = nullable(run.err.Error())
	}
	for _, failed := range result.Failed {
		doc.Failed = append(doc.Failed, failedDoc{InstanceID: failed.InstanceID,
			Error: failed.Err.Error()})
	}
	if set := result.ScaleSet; set != nil {
		doc.Capacity, doc.MaxPrice = set.Capacity, set.MaxPrice
	}
	return doc
}

// auditOutcomeOf tells where the record went; a *audit.RemoteError means the local copy
// is intact.
func auditOutcomeOf(run changeRun) auditOutcomeDoc {
	doc := auditOutcomeDoc{ID: run.record.ID, Local: "ok", Shared: "not configured"}
	if run.shared {
		doc.Shared = "ok"
	}
	var remote *audit.RemoteError
	switch {
	case errors.As(run.auditErr, &remote):
		doc.Shared = audit.Outcome(remote.Err)
	case run.auditErr != nil:
		doc.Local = audit.Outcome(run.auditErr)
		if run.shared {
			doc.Shared = "unknown"
		}
	}
	return doc
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func writeJSON(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// maxPriceDoc is the JSON shape of max-price without --price.
type maxPriceDoc struct {
	ScaleSet      string   `json:"scaleSet"`
	ResourceGroup string   `json:"resourceGroup"`
	Priority      *string  `json:"priority"`
	MaxPrice      *float64 `json:"maxPrice"`
}

// showMaxPrice prints a scale set's max price. It changes nothing, so --read-only allows it.
func showMaxPrice(cmd *cobra.Command, g *globals, f *actionFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	s, client, err := loadClient(g)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	group, err := resolveGroup(ctx, client, s.cfg.ResourceGroup, f.scaleSet)
	if err != nil {
		return err
	}
	set, err := client.ReadScaleSet(ctx, group, f.scaleSet)
	if err != nil {
		return classify(err)
	}
	if f.output == "json" {
		return writeJSON(cmd.OutOrStdout(), maxPriceDoc{ScaleSet: f.scaleSet,
			ResourceGroup: group, Priority: nullable(set.Priority), MaxPrice: set.MaxPrice})
	}
	priority := or(set.Priority)
	fmt.Fprintf(cmd.OutOrStdout(), "scale set %s (resource group %s): priority %s, max price "+
		"%s\n", f.scaleSet, group, priority, priceText(set.MaxPrice))
	if set.Priority != "" && !strings.EqualFold(set.Priority, "spot") {
		fmt.Fprintln(cmd.OutOrStdout(), "a max price applies only to Spot scale sets")
	}
	return nil
}
