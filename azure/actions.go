package azure

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kinds of operator action. The names double as the CLI verbs and as the audit log's
// action names, so they must stay stable.
const (
	ActionRestart          = "restart"
	ActionReimage          = "reimage"
	ActionDelete           = "delete"
	ActionStart            = "start"
	ActionSimulateEviction = "simulate-eviction"
	ActionScale            = "scale"
	ActionMaxPrice         = "max-price"
)

// InstanceActionKinds lists the kinds that act on chosen instances, in the order the
// console and the CLI offer them.
var InstanceActionKinds = []string{ActionRestart, ActionReimage, ActionDelete, ActionStart,
	ActionSimulateEviction}

// MaxCapacity is the most instances a scale set may hold (uniform orchestration with
// several placement groups); Azure refuses more.
const MaxCapacity = 1000

// NeverEvictForPrice is the max price meaning "pay up to the on-demand price": Spot
// instances are then evicted for capacity only, never for price.
const NeverEvictForPrice = -1.0

// maxPriceDecimals is how many decimals of USD Azure keeps in a max price.
const maxPriceDecimals = 5

// Errors an action can be classified by with errors.Is.
var (
	// ErrInvalidAction marks an action that cannot run as described: an unknown kind, a
	// missing name, a capacity or price out of range, or an action the target does not
	// support. Nothing was sent to Azure.
	ErrInvalidAction = errors.New("azure: invalid action")
	// ErrTargetNotFound marks a scale set or instance that does not exist.
	ErrTargetNotFound = errors.New("azure: target not found")
)

// Action describes one change an operator asks for. The console and the CLI build it,
// show Describe before running it, and hand it to Client.Run.
type Action struct {
	// Kind is one of the Action constants.
	Kind          string
	ScaleSet      string
	ResourceGroup string
	// InstanceIDs are the instances an instance action targets ("3", or a VM name in
	// flexible orchestration). Scale-set actions leave it empty.
	InstanceIDs []string
	// Capacity is the capacity a scale action asks for.
	Capacity *int64
	// MaxPrice is the Spot max price, USD per hour, a max-price action sets; -1 means
	// never evict for price.
	MaxPrice *float64
}

// IsInstanceAction tells whether the action targets chosen instances rather than the
// scale set.
func (a Action) IsInstanceAction() bool {
	for _, kind := range InstanceActionKinds {
		if a.Kind == kind {
			return true
		}
	}
	return false
}

// Validate checks the action without calling Azure. Its errors wrap ErrInvalidAction and
// say what to give instead.
func (a Action) Validate() error {
	if err := a.validateTarget(); err != nil {
		return err
	}
	switch {
	case a.IsInstanceAction():
		return a.validateInstances()
	case a.Kind == ActionScale:
		return a.validateCapacity()
	case a.Kind == ActionMaxPrice:
		return a.validateMaxPrice()
	}
	return invalid("unknown action %q; use one of %s, %s, %s", a.Kind,
		strings.Join(InstanceActionKinds, ", "), ActionScale, ActionMaxPrice)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidAction, fmt.Sprintf(format, args...))
}

func (a Action) validateTarget() error {
	if strings.TrimSpace(a.ScaleSet) == "" {
		return invalid("no scale set: give its name (--scale-set)")
	}
	if strings.TrimSpace(a.ResourceGroup) == "" {
		return invalid("no resource group for scale set %s: give it (--resource-group)",
			a.ScaleSet)
	}
	if err := checkPathName("scale set", "--scale-set", a.ScaleSet); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAction, err)
	}
	if err := checkPathName("resource group", "--resource-group", a.ResourceGroup); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAction, err)
	}
	return nil
}

func (a Action) validateInstances() error {
	if a.Capacity != nil || a.MaxPrice != nil {
		return invalid("%s acts on instances and takes no capacity or price", a.Kind)
	}
	if len(a.InstanceIDs) == 0 {
		return invalid("%s needs at least one instance ID (--ids 0,3)", a.Kind)
	}
	seen := map[string]bool{}
	for _, id := range a.InstanceIDs {
		if strings.TrimSpace(id) == "" {
			return invalid("an instance ID is empty; give IDs such as --ids 0,3")
		}
		if err := checkPathName("instance ID", "--ids", id); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidAction, err)
		}
		if seen[strings.ToLower(id)] {
			return invalid("instance %s is named twice; name each instance once", id)
		}
		seen[strings.ToLower(id)] = true
	}
	return nil
}

func (a Action) validateCapacity() error {
	if len(a.InstanceIDs) > 0 || a.MaxPrice != nil {
		return invalid("scale takes only a capacity")
	}
	if a.Capacity == nil {
		return invalid("scale needs the capacity to set (--capacity N)")
	}
	if *a.Capacity < 0 || *a.Capacity > MaxCapacity {
		return invalid("capacity %d is out of range; give 0 to %d", *a.Capacity, MaxCapacity)
	}
	return nil
}

func (a Action) validateMaxPrice() error {
	if len(a.InstanceIDs) > 0 || a.Capacity != nil {
		return invalid("max-price takes only a price")
	}
	if a.MaxPrice == nil {
		return invalid("max-price needs the price to set (--price 0.05, or -1)")
	}
	price := *a.MaxPrice
	if price == NeverEvictForPrice {
		return nil
	}
	if math.IsNaN(price) || math.IsInf(price, 0) || price <= 0 {
		return invalid("max price %v is not valid; give a price in USD per hour above 0, "+
			"or -1 to never evict for price", price)
	}
	scaled := price * math.Pow10(maxPriceDecimals)
	if math.Abs(scaled-math.Round(scaled)) > 1e-6 {
		return invalid("max price %v has more than %d decimals, which Azure does not keep",
			price, maxPriceDecimals)
	}
	return nil
}

// Destructive tells whether the action loses instances or their disks: delete, reimage
// and scale-in. Without the current capacity a scale counts as destructive, because it
// may be a scale-in.
func (a Action) Destructive() bool {
	return a.DestructiveGiven(nil)
}

// DestructiveGiven is Destructive knowing the scale set's current capacity; nil means
// unknown.
func (a Action) DestructiveGiven(current *int64) bool {
	switch a.Kind {
	case ActionDelete, ActionReimage:
		return true
	case ActionScale:
		return current == nil || a.Capacity == nil || *a.Capacity < *current
	}
	return false
}

// Describe names the action's targets and its effect, for the confirmation an operator
// answers before it runs.
func (a Action) Describe() string {
	return a.DescribeGiven(nil)
}

// DescribeGiven is Describe knowing the scale set's current capacity; nil means unknown.
func (a Action) DescribeGiven(current *int64) string {
	if a.IsInstanceAction() {
		return a.verbPhrase() + " " + a.instancesPhrase() + ": " + instanceEffects[a.Kind]
	}
	switch a.Kind {
	case ActionScale:
		return a.describeScale(current)
	case ActionMaxPrice:
		return a.describeMaxPrice()
	}
	return a.Kind + " " + a.scaleSetPhrase()
}

// instanceEffects says what each instance action does to the instances it targets.
var instanceEffects = map[string]string{
	ActionRestart: "each one reboots; the work it runs stops until it is back",
	ActionReimage: "each one's OS disk is rebuilt from the image; anything stored on the " +
		"instance is lost, then it boots with the scale set's model",
	ActionDelete: "they are removed with their disks and the capacity drops by the same " +
		"number; this cannot be undone",
	ActionStart: "deallocated instances boot again and are billed at the Spot price; " +
		"running ones are left as they are",
	ActionSimulateEviction: "Azure evicts each one as if it reclaimed the capacity, within " +
		"about 30 minutes, following the scale set's eviction policy (deallocate or delete)",
}

func (a Action) verbPhrase() string {
	if a.Kind == ActionSimulateEviction {
		return "simulate a Spot eviction of"
	}
	return a.Kind
}

func (a Action) instancesPhrase() string {
	noun := "instances"
	if len(a.InstanceIDs) == 1 {
		noun = "instance"
	}
	return noun + " " + strings.Join(a.InstanceIDs, ", ") + " of " + a.scaleSetPhrase()
}

func (a Action) scaleSetPhrase() string {
	return "scale set " + a.ScaleSet + " (resource group " + a.ResourceGroup + ")"
}

func (a Action) describeScale(current *int64) string {
	target := "?"
	if a.Capacity != nil {
		target = strconv.FormatInt(*a.Capacity, 10)
	}
	if current == nil || a.Capacity == nil {
		return fmt.Sprintf("set the capacity of %s to %s instances; the current capacity "+
			"is unknown, so this may remove instances", a.scaleSetPhrase(), target)
	}
	head := fmt.Sprintf("scale %s from %d to %s instances: ", a.scaleSetPhrase(), *current,
		target)
	switch diff := *a.Capacity - *current; {
	case diff > 0:
		return head + fmt.Sprintf("%s added with the latest model", countOf(diff))
	case diff < 0:
		return head + fmt.Sprintf("%s removed with their disks, chosen by the scale-in "+
			"policy", countOf(-diff))
	}
	return head + "nothing changes"
}

// countOf reads "1 instance is" or "3 instances are".
func countOf(n int64) string {
	if n == 1 {
		return "1 instance is"
	}
	return fmt.Sprintf("%d instances are", n)
}

func (a Action) describeMaxPrice() string {
	head := "set the Spot max price of " + a.scaleSetPhrase() + " to "
	if a.MaxPrice == nil {
		return head + "?"
	}
	if *a.MaxPrice == NeverEvictForPrice {
		return head + "-1: its instances are never evicted for price, only for capacity, " +
			"and pay at most the on-demand price"
	}
	return head + PriceText(*a.MaxPrice) + " USD per hour: its instances are evicted when " +
		"the Spot price rises above it; Azure applies a new price only to deallocated " +
		"instances"
}

// PriceText writes a max price as Azure keeps it: up to five decimals, no trailing zeros.
func PriceText(price float64) string {
	return strconv.FormatFloat(price, 'f', -1, 64)
}

// Targets names what the action touches, for the audit log: "rg/scale-set" for a
// scale-set action, "rg/scale-set/instance" for each instance of an instance action.
func (a Action) Targets() []string {
	base := a.ResourceGroup + "/" + a.ScaleSet
	if !a.IsInstanceAction() {
		return []string{base}
	}
	targets := make([]string, 0, len(a.InstanceIDs))
	for _, id := range a.InstanceIDs {
		targets = append(targets, base+"/"+id)
	}
	return targets
}

// Params gives the action's parameters as text, for the audit log; nil when it has none.
func (a Action) Params() map[string]string {
	params := map[string]string{}
	if a.Capacity != nil {
		params["capacity"] = strconv.FormatInt(*a.Capacity, 10)
	}
	if a.MaxPrice != nil {
		params["maxPrice"] = PriceText(*a.MaxPrice)
	}
	if len(params) == 0 {
		return nil
	}
	return params
}

// ActionResult is what Run reports of an action, including one that failed part way.
type ActionResult struct {
	Action Action
	// Done lists the instances the platform reported done. Batch operations succeed or
	// fail as a whole; a simulated eviction is sent per instance and may stop part way.
	Done []string
	// Failed lists the instances whose request failed, with why.
	Failed []InstanceFailure
	// ScaleSet is the scale set as the platform returned it after a scale or max-price
	// change; nil for instance actions.
	ScaleSet *ScaleSet
	Started  time.Time
	Finished time.Time
}

// InstanceFailure is one instance an action could not change.
type InstanceFailure struct {
	InstanceID string
	Err        error
}

// ActionPlan is an action checked against the scale set as it is now: what the operator
// confirms.
type ActionPlan struct {
	Action Action
	// ScaleSet is the scale set as read for the plan; Instances is filled for instance
	// and max-price actions.
	ScaleSet ScaleSet
	// Destructive tells whether confirming needs the scale set's name typed.
	Destructive bool
	// Description names the targets and the effect.
	Description string
	// Warnings are things the operator should know before confirming.
	Warnings []string
}
