package azure

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"spotdeck/bundle"
)

// sasWarnWithin is how close to expiry a link makes the plan warn: instances created by a
// scale-out after expiry cannot install the bundle.
const sasWarnWithin = 7 * 24 * time.Hour

// BundleSource is where a rollout finds an uploaded bundle and the links instances read.
type BundleSource interface {
	// ReadManifest reads <label>/manifest.json.
	ReadManifest(ctx context.Context, label string) (bundle.Manifest, error)
	// FileLinks checks that every named file of the label is readable and returns the
	// links instances download, and when SAS links expire (zero for identity access).
	FileLinks(ctx context.Context, label string, names []string, access string,
		validity time.Duration) ([]string, time.Time, error)
}

// PlanInput is what an operator asks of a rollout.
type PlanInput struct {
	ResourceGroup string
	ScaleSet      string
	Label         string
	Container     string
	// Access is AccessIdentity (or "") or AccessSAS: how instances read the bundle.
	Access      string
	SASValidity time.Duration
	Limits      RolloutLimits
	// Who names the operator in the record and its log.
	Who string
}

// RolloutFinding is one refusal or warning of a plan.
type RolloutFinding struct {
	// Refuse tells that the rollout must not start.
	Refuse  bool   `json:"refuse"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// String reads "refused: MESSAGE (fix: FIX)" or "warning: ...".
func (f RolloutFinding) String() string {
	head := "warning: "
	if f.Refuse {
		head = "refused: "
	}
	if f.Fix == "" {
		return head + f.Message
	}
	return head + f.Message + " (fix: " + f.Fix + ")"
}

// DiffLine is one changed field of the extension, secrets masked.
type DiffLine struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Refused tells whether any finding refuses the rollout.
func Refused(findings []RolloutFinding) bool {
	for _, f := range findings {
		if f.Refuse {
			return true
		}
	}
	return false
}

// Plan reads the scale set and the bundle and returns the rollout record to start, the
// extension change as a diff and what stands against starting. It changes nothing. An
// error means the plan could not be made at all; refusals come back as findings.
func (e *RolloutEngine) Plan(ctx context.Context, bundles BundleSource, in PlanInput) (
	Rollout, []DiffLine, []RolloutFinding, error) {
	if err := in.check(); err != nil {
		return Rollout{}, nil, nil, err
	}
	model, err := e.Target.ReadScriptModel(ctx, in.ResourceGroup, in.ScaleSet)
	if err != nil {
		return Rollout{}, nil, nil, err
	}
	if model.Script == nil {
		return Rollout{}, nil, []RolloutFinding{{Refuse: true, Message: "scale set " +
			in.ScaleSet + " has no Custom Script Extension in its model",
			Fix: "add a Custom Script Extension to the scale set's model once " +
				"(az vmss extension set), then roll out"}}, nil
	}
	instances, err := e.Target.ListInstances(ctx, in.ResourceGroup, in.ScaleSet)
	if err != nil {
		return Rollout{}, nil, nil, err
	}
	r := e.newRecord(in, model)
	findings := preflightFleet(r, model.ScaleSet, instances)
	next, more := e.nextScript(ctx, bundles, in, model)
	findings = append(findings, more...)
	if next == nil {
		return r, nil, findings, nil
	}
	r.Next = *next
	findings = append(findings, linkFindings("the previous settings' link",
		r.Previous.Settings.FileURIs, e.now(), false)...)
	return r, ScriptDiff(r.Previous, r.Next), findings, nil
}

// check validates the input without calling Azure.
func (in PlanInput) check() error {
	l := in.Limits
	switch {
	case strings.TrimSpace(in.ScaleSet) == "":
		return fmt.Errorf("%w: no scale set: pass --scale-set NAME", ErrInvalidAction)
	case strings.TrimSpace(in.ResourceGroup) == "":
		return fmt.Errorf("%w: no resource group for scale set %s: pass --resource-group",
			ErrInvalidAction, in.ScaleSet)
	case strings.TrimSpace(in.Label) == "":
		return fmt.Errorf("%w: no bundle label: pass --bundle LABEL", ErrInvalidAction)
	case l.BatchSize < 0 || l.BatchPercent < 0 || l.BatchPercent > 100:
		return fmt.Errorf("%w: batch size must be a count above 0 or a share of 1%% to "+
			"100%% (--batch 20%% or --batch 3)", ErrInvalidAction)
	case l.MaxUnhealthy < 0 || l.MaxUnhealthy > 100:
		return fmt.Errorf("%w: max unhealthy %d%% is out of range: give 0%% to 100%% "+
			"(--max-unhealthy)", ErrInvalidAction, l.MaxUnhealthy)
	case l.Pause < 0 || l.HealthTimeout <= 0:
		return fmt.Errorf("%w: the pause must not be negative and the health timeout must "+
			"be above zero (--pause 30s --health-timeout 10m)", ErrInvalidAction)
	}
	if err := checkScaleSetRef(in.ResourceGroup, in.ScaleSet); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAction, err)
	}
	return nil
}

// newRecord starts the record of a planned rollout.
func (e *RolloutEngine) newRecord(in PlanInput, model ScriptModel) Rollout {
	now := e.now()
	set := model.ScaleSet
	mode := set.UpgradeMode
	if mode == "" {
		mode = "manual"
	}
	r := Rollout{ID: newRolloutID(now), ScaleSet: in.ScaleSet, ResourceGroup: in.ResourceGroup,
		Label: in.Label, Container: in.Container, UpgradeMode: mode,
		HasHealth: set.HasHealthExtension, Previous: *model.Script, Limits: in.Limits,
		State: RolloutPlanned, StartedBy: in.Who, Created: now, Updated: now}
	r.note(now, fmt.Sprintf("planned by %s: %s → %s", in.Who, labelOrNone(r.Previous.Tag),
		in.Label))
	return r
}

// newRolloutID names a rollout by its start and a random part.
func newRolloutID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// nextScript computes the new extension settings, or nil with the refusals.
func (e *RolloutEngine) nextScript(ctx context.Context, bundles BundleSource, in PlanInput,
	model ScriptModel) (*ScriptExtension, []RolloutFinding) {
	manifest, err := bundles.ReadManifest(ctx, in.Label)
	if err != nil {
		return nil, []RolloutFinding{{Refuse: true, Message: MaskSAS(err.Error()),
			Fix: "upload the bundle first: spotdeck bundle upload DIR/" + in.Label +
				" --container " + in.Container}}
	}
	var findings []RolloutFinding
	osType := model.ScaleSet.OSType
	if osType != "" && manifest.OS != "" && osType != manifest.OS {
		return nil, []RolloutFinding{{Refuse: true, Message: fmt.Sprintf("bundle %s is "+
			"built for %s but scale set %s runs %s", in.Label, manifest.OS, in.ScaleSet,
			osType), Fix: "build the bundle with --os " + osType}}
	}
	names := make([]string, 0, len(manifest.Files))
	for _, f := range manifest.Files {
		names = append(names, f.Name)
	}
	links, _, err := bundles.FileLinks(ctx, in.Label, names, in.Access, in.SASValidity)
	if err != nil {
		return nil, []RolloutFinding{{Refuse: true, Message: MaskSAS(err.Error()),
			Fix: "upload the bundle again: spotdeck bundle upload DIR/" + in.Label}}
	}
	findings = append(findings, linkFindings("a bundle link", links, e.now(), true)...)
	next := model.Script.withSettings(links, installCommand(manifest, in.Label), in.Label)
	return &next, findings
}

// withSettings returns the extension with new links, command and tag, its other public
// settings kept.
func (s ScriptExtension) withSettings(links []string, command, tag string) ScriptExtension {
	next := ScriptExtension{Name: s.Name, Tag: tag,
		HasProtectedSettings: s.HasProtectedSettings,
		Settings:             ScriptSettings{FileURIs: links, CommandToExecute: command}}
	if len(s.Settings.Other) > 0 {
		next.Settings.Other = map[string]any{}
		for k, v := range s.Settings.Other {
			next.Settings.Other[k] = v
		}
	}
	return next
}

// installCommand runs the bundle's install script. The label rides in the command so
// that two labels never share settings: the extension reruns on a change of settings.
func installCommand(m bundle.Manifest, label string) string {
	if m.OS == bundle.OSWindows {
		return "powershell -ExecutionPolicy Unrestricted -Command \"$env:SPOTDECK_LABEL='" +
			label + "'; & .\\" + m.InstallScript + "\""
	}
	script := m.InstallScript
	if script == "" {
		script = bundle.LinuxScriptName
	}
	return "env SPOTDECK_LABEL=" + label + " bash " + script
}

// preflightFleet checks the scale set as it is: health gates and the unhealthy share.
func preflightFleet(r Rollout, set ScaleSet, instances []Instance) []RolloutFinding {
	var findings []RolloutFinding
	if !set.HasHealthExtension {
		findings = append(findings, RolloutFinding{Message: "scale set " + r.ScaleSet +
			" has no health extension: batches pass on the script's status alone",
			Fix: "add the Application Health extension so batches wait for the host to " +
				"answer"})
	}
	if reason := gateReason(r, instances); reason != "" {
		findings = append(findings, RolloutFinding{Refuse: true,
			Message: "the rollout would halt at once: " + strings.SplitN(reason, ";", 2)[0],
			Fix:     "repair or replace the unhealthy instances first, or raise --max-unhealthy"})
	}
	return findings
}

// linkFindings checks the expiry of SAS links: expired refuses (when refuse is set),
// close to expiry warns.
func linkFindings(what string, links []string, now time.Time, refuse bool) []RolloutFinding {
	for _, link := range links {
		expiry, ok := sasExpiry(link)
		if !ok {
			continue
		}
		switch {
		case !expiry.After(now):
			return []RolloutFinding{{Refuse: refuse, Message: fmt.Sprintf("%s expired on %s",
				what, expiry.Format(time.RFC3339)),
				Fix: "sign new links: spotdeck bundle upload again with --sas"}}
		case expiry.Sub(now) < sasWarnWithin:
			return []RolloutFinding{{Message: fmt.Sprintf("%s expires on %s: instances "+
				"created after that cannot install the bundle", what,
				expiry.Format(time.RFC3339)),
				Fix: "use managed identity access, or sign longer links (--sas-validity)"}}
		}
	}
	return nil
}

// sasExpiry reads the se= parameter of a SAS link.
func sasExpiry(link string) (time.Time, bool) {
	u, err := url.Parse(link)
	if err != nil {
		return time.Time{}, false
	}
	se := u.Query().Get("se")
	if se == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, se)
	return t, err == nil
}

// ScriptDiff lists what changes between two extension settings, with SAS signatures
// masked. Protected settings are never read back from Azure, so they are only named.
func ScriptDiff(old, next ScriptExtension) []DiffLine {
	var lines []DiffLine
	if old.Tag != next.Tag {
		lines = append(lines, DiffLine{Field: "forceUpdateTag", Old: old.Tag, New: next.Tag})
	}
	if old.Settings.CommandToExecute != next.Settings.CommandToExecute {
		lines = append(lines, DiffLine{Field: "commandToExecute",
			Old: MaskSAS(old.Settings.CommandToExecute),
			New: MaskSAS(next.Settings.CommandToExecute)})
	}
	count := max(len(old.Settings.FileURIs), len(next.Settings.FileURIs))
	for i := 0; i < count; i++ {
		a, b := at(old.Settings.FileURIs, i), at(next.Settings.FileURIs, i)
		if a != b {
			lines = append(lines, DiffLine{Field: fmt.Sprintf("fileUris[%d]", i),
				Old: MaskSAS(a), New: MaskSAS(b)})
		}
	}
	if next.HasProtectedSettings {
		lines = append(lines, DiffLine{Field: "protectedSettings", Old: "(kept, not shown)",
			New: "(kept, not shown)"})
	}
	return lines
}

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}
