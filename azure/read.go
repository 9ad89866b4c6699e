package azure

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// instanceReaders bounds how many scale sets' instances are read at once, to stay well
// inside Resource Manager's read limits while keeping a large fleet's refresh short.
const instanceReaders = 4

// ReadOptions narrow a reading of the fleet.
type ReadOptions struct {
	// ScaleSets, when not empty, keeps only the scale sets with these names.
	ScaleSets []string
	// Now gives the reading's time; nil means time.Now.
	Now func() time.Time
}

// ReadFleet reads the scale sets and then the instances of each: 1 + N calls. A scale set
// whose instances cannot be read keeps its error in InstancesErr; only a failure to list
// the scale sets fails the whole reading.
func ReadFleet(ctx context.Context, r FleetReader, opts ReadOptions) (Fleet, error) {
	sets, err := r.ListScaleSets(ctx)
	if err != nil {
		return Fleet{}, err
	}
	sets = keepNamed(sets, opts.ScaleSets)
	readInstances(ctx, r, sets)
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return Fleet{ScaleSets: sets, ReadAt: now()}, nil
}

func readInstances(ctx context.Context, r FleetReader, sets []ScaleSet) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, instanceReaders)
	for i := range sets {
		wg.Add(1)
		go func(s *ScaleSet) {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			s.Instances, s.InstancesErr = r.ListInstances(ctx, s.ResourceGroup, s.Name)
			if s.InstancesErr != nil {
				s.Instances = nil
			}
		}(&sets[i])
	}
	wg.Wait()
}

func keepNamed(sets []ScaleSet, names []string) []ScaleSet {
	if len(names) == 0 {
		return sets
	}
	kept := sets[:0:0]
	for _, s := range sets {
		for _, n := range names {
			if strings.EqualFold(s.Name, n) {
				kept = append(kept, s)
				break
			}
		}
	}
	return kept
}

// FindScaleSet returns the scale set of the given name in the fleet, or an error that
// lists the names there are.
func (f Fleet) FindScaleSet(name string) (*ScaleSet, error) {
	names := make([]string, 0, len(f.ScaleSets))
	for i := range f.ScaleSets {
		if strings.EqualFold(f.ScaleSets[i].Name, name) {
			return &f.ScaleSets[i], nil
		}
		names = append(names, f.ScaleSets[i].Name)
	}
	return nil, fmt.Errorf("no scale set named %q in scope; there are: %s", name,
		strings.Join(names, ", "))
}
