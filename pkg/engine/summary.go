package engine

import (
	"fmt"
	"time"
)

// Value is one number of a summary.
type Value struct {
	Labels map[string]string
	Value  float64
	Valid  bool // false when there was no data for a duration or a rate
	Count  int  // observations the value rests on
	Band   Band
}

// Summary holds one number per group over the requested range.
type Summary struct {
	Metric *Metric
	Values []Value
	Notes  Notes
}

// Summary computes the metric over [req.From, req.To). A count metric is
// reported per day of the range.
func (e *Engine) Summary(req Request) (*Summary, error) {
	if !req.To.After(req.From) {
		return nil, fmt.Errorf("the time range is empty")
	}
	c, err := e.collect(&req, req.From, req.To, false)
	if err != nil {
		return nil, err
	}
	defer c.release()
	c.ensureGroup()
	days := Days(req.From, req.To)
	m := req.Metric
	kind := m.Kind
	if kind == Count {
		// A summary reports counts per day of its range.
		kind = PerDay
	}
	out := &Summary{Metric: m, Notes: c.notes}
	ranges := c.groupRanges()
	scratch := getValues()
	defer func() { putValues(scratch) }()
	for g, key := range c.keys {
		obs := ranges[g]
		v, ok := reduce(kind, req.Aggregation, obs, days, &scratch)
		val := Value{Labels: key.Labels(req.GroupBy), Value: v, Valid: ok, Count: len(obs)}
		if ok && m.Bands != nil {
			val.Band = m.Bands.Of(v)
		}
		out.Values = append(out.Values, val)
	}
	return out, nil
}

// Days returns the length of a range in days.
func Days(from, to time.Time) float64 { return to.Sub(from).Hours() / 24 }
