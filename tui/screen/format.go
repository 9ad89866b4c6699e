package screen

import (
	"fmt"
	"strconv"
	"time"

	"spotdeck/azure"
	"spotdeck/tui/theme"
)

// unknownWord is what a value the platform did not report reads as.
const unknownWord = "unknown"

// PowerCell draws a power state; an unreported one reads "unknown", never "running".
func PowerCell(power string) string {
	switch power {
	case azure.PowerRunning:
		return theme.State(theme.Good, power)
	case azure.PowerStarting, azure.PowerStopping, azure.PowerDeallocating:
		return theme.State(theme.Busy, power)
	case azure.PowerDeallocated, azure.PowerStopped:
		return theme.State(theme.Bad, power)
	case "":
		return theme.State(theme.Unknown, unknownWord)
	default:
		return theme.State(theme.Unknown, power)
	}
}

// HealthCell draws an Application Health state.
func HealthCell(health string) string {
	switch health {
	case azure.HealthHealthy:
		return theme.State(theme.Good, health)
	case azure.HealthInitializing:
		return theme.State(theme.Busy, health)
	case azure.HealthUnhealthy:
		return theme.State(theme.Bad, health)
	case "":
		return theme.State(theme.Unknown, unknownWord)
	default:
		return theme.State(theme.Unknown, health)
	}
}

// ProvisioningCell draws a provisioning or extension state.
func ProvisioningCell(state string) string {
	switch state {
	case "succeeded":
		return theme.State(theme.Good, state)
	case "failed", "canceled":
		return theme.State(theme.Bad, state)
	case "":
		return theme.State(theme.Unknown, unknownWord)
	default:
		return theme.State(theme.Busy, state)
	}
}

// ModelCell draws whether an instance runs the scale set's latest model.
func ModelCell(latest *bool) string {
	switch {
	case latest == nil:
		return theme.State(theme.Unknown, unknownWord)
	case *latest:
		return theme.State(theme.Good, "latest")
	default:
		return theme.State(theme.Busy, "behind")
	}
}

// Or returns s, or "unknown" dimmed when s is empty.
func Or(s string) string {
	if s == "" {
		return theme.Dim.Render(unknownWord)
	}
	return s
}

// Int returns the number as text, or "?" when unknown.
func Int(n *int64) string {
	if n == nil {
		return "?"
	}
	return strconv.FormatInt(*n, 10)
}

// MaxPrice explains a Spot max price: -1 means the instance is never evicted for price.
func MaxPrice(price *float64) string {
	switch {
	case price == nil:
		return "max price unknown"
	case *price < 0:
		return "max price -1 (no eviction for price)"
	default:
		return fmt.Sprintf("max price $%.5g/h", *price)
	}
}

// Age returns how long ago t was, in the largest whole unit, e.g. "3h" or "12m".
func Age(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "?"
	}
	return Since(now.Sub(*t))
}

// Since formats a duration the way the header reads it: "4s", "12m", "3h", "2d".
func Since(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// Counts summarises a scale set's instances.
type Counts struct {
	Total, Running, Healthy, Unhealthy, Behind int
}

// Count tallies the instances of a scale set.
func Count(instances []azure.Instance) Counts {
	c := Counts{Total: len(instances)}
	for _, in := range instances {
		if in.Power == azure.PowerRunning {
			c.Running++
		}
		switch in.Health {
		case azure.HealthHealthy:
			c.Healthy++
		case azure.HealthUnhealthy:
			c.Unhealthy++
		}
		if in.LatestModel != nil && !*in.LatestModel {
			c.Behind++
		}
	}
	return c
}
