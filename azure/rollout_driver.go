package azure

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"spotdeck/bundle"
)

// RolloutPlan is a rollout ready to start, with the change it makes and what stands
// against it.
type RolloutPlan struct {
	Rollout  Rollout
	Diff     []DiffLine
	Findings []RolloutFinding
}

// Refused tells whether the plan must not start.
func (p RolloutPlan) Refused() bool { return Refused(p.Findings) }

// BundleLabel is a bundle found in the container.
type BundleLabel struct {
	Label    string
	Uploaded time.Time
}

// RolloutDriver runs the rollouts of one operator: it plans, takes each scale set's lock,
// steps the engine while the lock holds, and releases the lock when a rollout finishes.
// The rollout command and the console's rollout screen both drive rollouts through it.
type RolloutDriver struct {
	engine    *RolloutEngine
	store     *RolloutStore
	container string
	access    string
	validity  time.Duration
	who       string

	mu    sync.Mutex
	locks map[string]*RolloutLock // by RolloutKey
}

// RolloutDriverOptions configure a driver.
type RolloutDriverOptions struct {
	// Container holds the bundles and the records; Access is how instances read bundles.
	Container string
	Access    string
	// SASValidity is how long SAS links last; zero means the default of the signing key.
	SASValidity time.Duration
	// Who names the operator in records, locks and logs.
	Who string
}

// NewRolloutDriver returns a driver of rollouts on target, keeping records in store.
func NewRolloutDriver(target RolloutTarget, store *RolloutStore,
	opts RolloutDriverOptions) *RolloutDriver {
	return &RolloutDriver{engine: &RolloutEngine{Target: target, Saver: store}, store: store,
		container: opts.Container, access: opts.Access, validity: opts.SASValidity,
		who:   opts.Who,
		locks: map[string]*RolloutLock{}}
}

// Container names the blob container of the driver's bundles and records.
func (d *RolloutDriver) Container() string { return d.container }

// Plan makes the plan of a rollout of label to a scale set. It changes nothing.
func (d *RolloutDriver) Plan(ctx context.Context, resourceGroup, scaleSet, label string,
	limits RolloutLimits) (RolloutPlan, error) {
	r, diff, findings, err := d.engine.Plan(ctx, d.store, PlanInput{
		ResourceGroup: resourceGroup, ScaleSet: scaleSet, Label: label,
		Container: d.container, Access: d.access, SASValidity: d.validity, Limits: limits,
		Who: d.who})
	return RolloutPlan{Rollout: r, Diff: diff, Findings: findings}, err
}

// Load returns the scale set's latest rollout record; ErrNoRollout when it has none.
func (d *RolloutDriver) Load(ctx context.Context, resourceGroup, scaleSet string) (Rollout,
	error) {
	return d.store.Load(ctx, resourceGroup, scaleSet)
}

// Start takes the lock of a planned rollout and saves its record. It refuses while the
// scale set's last rollout is unfinished, and a plan with refusals.
func (d *RolloutDriver) Start(ctx context.Context, plan RolloutPlan) (Rollout, error) {
	r := plan.Rollout
	if plan.Refused() {
		return r, fmt.Errorf("%w: the plan lists what to fix first", ErrRolloutRefused)
	}
	last, err := d.store.Load(ctx, r.ResourceGroup, r.ScaleSet)
	switch {
	case err == nil && !last.Finished():
		return r, fmt.Errorf("%w: the rollout of %s to %s is %s: resume, abort or roll it "+
			"back first", ErrRolloutState, last.Label, r.ScaleSet, last.State)
	case err != nil && !errors.Is(err, ErrNoRollout):
		return r, err
	}
	if r.LeaseID == "" {
		r.LeaseID = NewLeaseID()
	}
	if err := d.hold(ctx, r); err != nil {
		return r, err
	}
	if err := d.store.Save(ctx, r); err != nil {
		d.letGo(context.WithoutCancel(ctx), r, false)
		return r, err
	}
	return r, nil
}

// Hold takes the lock of a rollout this driver did not start (a resumed one), so that it
// may step it. Holding it already is fine.
func (d *RolloutDriver) Hold(ctx context.Context, r Rollout) error {
	return d.hold(ctx, r)
}

// Holds tells whether this driver holds the lock of the rollout's scale set.
func (d *RolloutDriver) Holds(r Rollout) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.locks[RolloutKey(r.ResourceGroup, r.ScaleSet)]
	return ok
}

func (d *RolloutDriver) hold(ctx context.Context, r Rollout) error {
	key := RolloutKey(r.ResourceGroup, r.ScaleSet)
	d.mu.Lock()
	_, held := d.locks[key]
	d.mu.Unlock()
	if held {
		return nil
	}
	lock, err := d.store.Lock(ctx, r.ResourceGroup, r.ScaleSet, r.LeaseID, d.who)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.locks[key] = lock
	d.mu.Unlock()
	return nil
}

// Step advances a rollout by one step under its lock; a finished rollout's lock is
// released. A lost lock stops the rollout from advancing and says so.
func (d *RolloutDriver) Step(ctx context.Context, r Rollout) (Rollout, error) {
	d.mu.Lock()
	lock := d.locks[RolloutKey(r.ResourceGroup, r.ScaleSet)]
	d.mu.Unlock()
	if lock == nil {
		return r, fmt.Errorf("%w: this console does not hold the lock of %s; resume the "+
			"rollout to take it", ErrRolloutState, r.ScaleSet)
	}
	if err := lock.Err(); err != nil {
		d.letGo(ctx, r, false)
		return r, err
	}
	next, answered, err := d.answerAsked(ctx, r)
	if !answered && err == nil {
		next, err = d.engine.Step(ctx, r)
	}
	if err != nil {
		return next, fmt.Errorf("%w (the record is saved: resume carries on)", err)
	}
	if next.Stopped() {
		// Stopped rollouts wait for an operator, who may be anywhere: free the lock.
		d.letGo(context.WithoutCancel(ctx), next, true)
	}
	return next, nil
}

// Operate pauses, resumes, aborts or rolls back a rollout and saves the record. The record
// has one writer at a time, the holder of the lock: when another process drives the
// rollout, pause, abort and rollback are asked of it (ErrRolloutAsked), and it carries
// them out at its next step; resume is refused.
func (d *RolloutDriver) Operate(ctx context.Context, r Rollout, verb string) (Rollout,
	error) {
	op, err := d.operation(verb)
	if err != nil {
		return r, err
	}
	if err := d.hold(ctx, r); err != nil {
		if verb == "resume" || !errors.Is(err, ErrRolloutLocked) {
			return r, err
		}
		if err := d.store.ask(ctx, r, verb, d.who); err != nil {
			return r, err
		}
		return r, fmt.Errorf("%w: asked the process that drives the rollout of %s to %s; "+
			"it does so at its next step", ErrRolloutAsked, r.ScaleSet, verbText(verb))
	}
	// Done here: what was asked of a driver that has since stopped is void.
	if _, err := d.store.takeAsked(ctx, r); err != nil {
		return r, err
	}
	next, err := op(ctx, r, d.who)
	if err != nil {
		return next, err
	}
	if next.Stopped() {
		d.letGo(context.WithoutCancel(ctx), next, true)
	}
	return next, nil
}

// Withdraw takes back what this operator asked of the rollout's driver and it has not
// done yet.
func (d *RolloutDriver) Withdraw(ctx context.Context, r Rollout) error {
	_, err := d.store.takeAsked(ctx, r)
	return err
}

// verbText spells a verb as a sentence does.
func verbText(verb string) string {
	if verb == "rollback" {
		return "roll back"
	}
	return verb
}

// operation returns the engine's operation of a verb.
func (d *RolloutDriver) operation(verb string) (func(context.Context, Rollout, string) (
	Rollout, error), error) {
	ops := map[string]func(context.Context, Rollout, string) (Rollout, error){
		"pause": d.engine.Pause, "resume": d.engine.Resume, "abort": d.engine.Abort,
		"rollback": d.engine.Rollback,
	}
	op, ok := ops[verb]
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a rollout operation; use pause, resume, "+
			"abort or rollback", ErrRolloutState, verb)
	}
	return op, nil
}

// answerAsked carries out what another process asked of the rollout, if anything.
func (d *RolloutDriver) answerAsked(ctx context.Context, r Rollout) (Rollout, bool, error) {
	asked, err := d.store.takeAsked(ctx, r)
	if err != nil || asked == nil {
		return r, false, err
	}
	op, err := d.operation(asked.Verb)
	if err != nil {
		return r, false, err
	}
	next, err := op(ctx, r, asked.Who)
	return next, true, err
}

// letGo forgets the rollout's lock: released when the rollout is finished, otherwise left
// to expire, so that a resume with the same ID takes it back at once.
func (d *RolloutDriver) letGo(ctx context.Context, r Rollout, release bool) {
	key := RolloutKey(r.ResourceGroup, r.ScaleSet)
	d.mu.Lock()
	lock := d.locks[key]
	delete(d.locks, key)
	d.mu.Unlock()
	if lock == nil {
		return
	}
	if release {
		_ = lock.Release(ctx)
		return
	}
	lock.Stop()
}

// Close stops renewing every lock the driver holds, without releasing them: the rollouts
// they guard are unfinished and resume takes them back.
func (d *RolloutDriver) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for key, lock := range d.locks {
		lock.Stop()
		delete(d.locks, key)
	}
}

// Labels lists the bundles uploaded to the container, newest first.
func (d *RolloutDriver) Labels(ctx context.Context) ([]BundleLabel, error) {
	return d.store.Labels(ctx)
}

// Labels lists the bundles whose manifest is in the container, newest first: a bundle is
// complete once its manifest is there, since upload sends the manifest last.
func (s *RolloutStore) Labels(ctx context.Context) ([]BundleLabel, error) {
	var out []BundleLabel
	pager := s.blobs.container.NewListBlobsFlatPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if isNotFound(err) {
			return out, nil
		}
		if err != nil {
			return nil, maskedError{err: fmt.Errorf("list the bundles in container %s: %w",
				s.blobs.name, err)}
		}
		out = append(out, manifestLabels(page.Segment)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Uploaded.After(out[j].Uploaded) })
	return out, nil
}

// manifestLabels picks the "<label>/manifest.json" blobs of one page of a listing.
func manifestLabels(segment *container.BlobFlatListSegment) []BundleLabel {
	if segment == nil {
		return nil
	}
	var out []BundleLabel
	for _, item := range segment.BlobItems {
		if item == nil || item.Name == nil {
			continue
		}
		label, ok := strings.CutSuffix(*item.Name, "/"+bundle.ManifestName)
		if !ok || strings.Contains(label, "/") {
			continue
		}
		found := BundleLabel{Label: label}
		if item.Properties != nil && item.Properties.LastModified != nil {
			found.Uploaded = *item.Properties.LastModified
		}
		out = append(out, found)
	}
	return out
}
