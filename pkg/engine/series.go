package engine

import (
	"sort"
	"time"
)

// SeriesRequest asks for a metric bucketed over time.
type SeriesRequest struct {
	Request
	// Step is the bucket width.
	Step time.Duration
	// Window, when set, makes each point aggregate the trailing window that
	// ends where its bucket ends, instead of the bucket alone.
	Window   time.Duration
	Location *time.Location
}

// Series is one group's values, one per bucket; nil is a missing value.
type Series struct {
	Labels map[string]string
	Values []*float64
}

// SeriesResult holds every group's series over common buckets.
type SeriesResult struct {
	Metric *Metric
	// Times are the bucket starts.
	Times  []time.Time
	Series []Series
	Notes  Notes
}

// Series computes the metric per bucket over the buckets that cover
// [req.From, req.To).
func (e *Engine) Series(req SeriesRequest) (*SeriesResult, error) {
	loc := req.Location
	if loc == nil {
		loc = time.UTC
	}
	bounds, err := Buckets(req.From, req.To, req.Step, loc)
	if err != nil {
		return nil, err
	}
	lo, hi := bounds[0], bounds[len(bounds)-1]
	if req.Window > 0 {
		// The first point's window reaches furthest back.
		lo = bounds[1].Add(-req.Window)
	}
	c, err := e.collect(&req.Request, lo, hi, true)
	if err != nil {
		return nil, err
	}
	defer c.release()
	c.ensureGroup()
	n := len(bounds) - 1
	out := &SeriesResult{Metric: req.Metric, Times: bounds[:n], Notes: c.notes}
	ranges := c.groupRanges()
	scratch := getValues()
	defer func() { putValues(scratch) }()
	for g, key := range c.keys {
		obs := ranges[g]
		values := make([]*float64, n)
		for i := range n {
			start, end := bounds[i], bounds[i+1]
			if req.Window > 0 {
				start = end.Add(-req.Window)
			}
			a := search(obs, start.UnixNano())
			b := search(obs, end.UnixNano())
			if v, ok := reduce(req.Metric.Kind, req.Aggregation, obs[a:b], Days(start, end), &scratch); ok {
				values[i] = &v
			}
		}
		out.Series = append(out.Series, Series{Labels: key.Labels(req.GroupBy), Values: values})
	}
	return out, nil
}

// search returns the index of the first observation at or after t.
func search(obs []observation, t int64) int {
	return sort.Search(len(obs), func(i int) bool { return obs[i].t >= t })
}
