package demo

import (
	"context"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// Source serves the demo as a source. It generates the events on every
// fetch, so that they always end at the current hour.
type Source struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ source.Source = Source{}

// Name returns "demo".
func (Source) Name() string { return "demo" }

// Fetch returns the twelve months of demo events ending now.
func (s Source) Fetch(context.Context) (*events.Set, events.Report, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	set := Generate(now())
	return set, events.Report{Kept: set.Len()}, nil
}
