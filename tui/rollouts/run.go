package rollouts

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"spotdeck/azure"
)

// Deadlines of the screen's requests. A step may wait for a manual upgrade to be
// accepted, which takes the longest.
const (
	readTimeout = 30 * time.Second
	stepTimeout = 10 * time.Minute
)

// Every message of the screen's commands names the scale set whose screen it is for, so
// that the root hands it to that screen even while another is on top: a rollout goes on
// stepping when the operator looks elsewhere.
type (
	loadedMsg struct {
		owner  string
		labels []azure.BundleLabel
		record *azure.Rollout
		err    error
	}
	plannedMsg struct {
		owner string
		plan  azure.RolloutPlan
		err   error
	}
	// recordMsg carries the record after a start, a step, an operation or a reading.
	recordMsg struct {
		owner  string
		record azure.Rollout
		err    error
	}
	tickMsg    struct{ owner string }
	startMsg   struct{ owner string }
	operateMsg struct{ owner, verb string }
)

// Key names the screen of a scale set.
func Key(resourceGroup, name string) string { return azure.RolloutKey(resourceGroup, name) }

// Owner returns the Key of the screen a message is for, when it is one of the screen's.
func Owner(msg tea.Msg) (string, bool) {
	switch msg := msg.(type) {
	case loadedMsg:
		return msg.owner, true
	case plannedMsg:
		return msg.owner, true
	case recordMsg:
		return msg.owner, true
	case tickMsg:
		return msg.owner, true
	case startMsg:
		return msg.owner, true
	case operateMsg:
		return msg.owner, true
	}
	return "", false
}

// loadCmd reads the uploaded bundles and the scale set's last rollout.
func loadCmd(d Driver, resourceGroup, name string) tea.Cmd {
	owner := Key(resourceGroup, name)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		labels, err := d.Labels(ctx)
		r, loadErr := d.Load(ctx, resourceGroup, name)
		msg := loadedMsg{owner: owner, labels: labels, err: err}
		if loadErr == nil {
			msg.record = &r
		} else if !errors.Is(loadErr, azure.ErrNoRollout) {
			msg.err = errors.Join(err, loadErr)
		}
		return msg
	}
}

func planCmd(d Driver, resourceGroup, name, label string, limits azure.RolloutLimits) tea.Cmd {
	owner := Key(resourceGroup, name)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		plan, err := d.Plan(ctx, resourceGroup, name, label, limits)
		return plannedMsg{owner: owner, plan: plan, err: err}
	}
}

func startCmd(deps Deps, plan azure.RolloutPlan) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		r, err := deps.Driver.Start(ctx, plan)
		audit(ctx, deps, "rollout-start", r, err)
		return recordMsg{owner: Key(r.ResourceGroup, r.ScaleSet), record: r, err: err}
	}
}

func stepCmd(d Driver, r azure.Rollout) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		next, err := d.Step(ctx, r)
		return recordMsg{owner: Key(r.ResourceGroup, r.ScaleSet), record: next, err: err}
	}
}

func operateCmd(deps Deps, r azure.Rollout, verb string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		next, err := deps.Driver.Operate(ctx, r, verb)
		audit(ctx, deps, "rollout-"+verb, next, err)
		return recordMsg{owner: Key(r.ResourceGroup, r.ScaleSet), record: next, err: err}
	}
}

// reloadCmd reads the record of a rollout that another process drives, or that waits for
// an operator.
func reloadCmd(d Driver, resourceGroup, name string) tea.Cmd {
	owner := Key(resourceGroup, name)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		r, err := d.Load(ctx, resourceGroup, name)
		return recordMsg{owner: owner, record: r, err: err}
	}
}

func audit(ctx context.Context, deps Deps, action string, r azure.Rollout, err error) {
	if deps.Audit != nil {
		deps.Audit(ctx, action, r, err)
	}
}
