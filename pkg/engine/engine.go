package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

// Engine answers metric requests over one Set. It links the set lazily, once
// per environment, and is safe for concurrent use.
type Engine struct {
	set        *events.Set
	defaultEnv string
	window     time.Duration

	mu     sync.Mutex
	models map[string]*lazyModel
}

type lazyModel struct {
	once  sync.Once
	model *Model
}

// New returns an Engine over set. defaultEnv is the environment that counts
// when a request selects none; window is the incident attribution window.
func New(set *events.Set, defaultEnv string, window time.Duration) *Engine {
	if defaultEnv == "" {
		defaultEnv = events.DefaultEnvironment
	}
	return &Engine{set: set, defaultEnv: defaultEnv, window: window, models: make(map[string]*lazyModel)}
}

// Set returns the events the engine reads.
func (e *Engine) Set() *events.Set { return e.set }

// DefaultEnvironment returns the environment used when a request names none.
func (e *Engine) DefaultEnvironment() string { return e.defaultEnv }

// Model returns the set linked for env, linking it on first use.
func (e *Engine) Model(env string) *Model {
	e.mu.Lock()
	lm, ok := e.models[env]
	if !ok {
		lm = &lazyModel{}
		e.models[env] = lm
	}
	e.mu.Unlock()
	lm.once.Do(func() {
		lm.model = Link(e.set, Options{Environment: env, AttributionWindow: e.window})
	})
	return lm.model
}

// Environments returns the environments a filter selects: its list, or the
// default environment.
func (e *Engine) Environments(f query.Filters) []string {
	if len(f.Environment) == 0 {
		return []string{e.defaultEnv}
	}
	envs := slices.Clone(f.Environment)
	slices.Sort(envs)
	return slices.Compact(envs)
}

// Request selects the observations of one metric.
type Request struct {
	Metric      *Metric
	Aggregation query.Aggregation
	GroupBy     []query.Dimension
	Filters     query.Filters
	From, To    time.Time
}

// Notes counts what a computation left out, for the user to see.
type Notes struct {
	// Negative counts durations that ended before they began and were dropped.
	Negative int
	// OpenIncidents counts incidents without a resolution yet.
	OpenIncidents int
	// StillFailed counts failed deployments that have not recovered.
	StillFailed int
}

// Dims are the dimension values of one observation.
type Dims struct {
	Service, Team, Environment, ChangeType, Model string
}

// Get returns the value of one dimension.
func (d *Dims) Get(dim query.Dimension) string {
	switch dim {
	case query.DimService:
		return d.Service
	case query.DimTeam:
		return d.Team
	case query.DimEnvironment:
		return d.Environment
	case query.DimChangeType:
		return d.ChangeType
	case query.DimModel:
		return d.Model
	}
	return ""
}

func (d *Dims) set(dim query.Dimension, v string) {
	switch dim {
	case query.DimService:
		d.Service = v
	case query.DimTeam:
		d.Team = v
	case query.DimEnvironment:
		d.Environment = v
	case query.DimChangeType:
		d.ChangeType = v
	case query.DimModel:
		d.Model = v
	}
}

// Labels returns the group-by keys of d as a map.
func (d *Dims) Labels(groupBy []query.Dimension) map[string]string {
	labels := make(map[string]string, len(groupBy))
	for _, dim := range groupBy {
		labels[string(dim)] = d.Get(dim)
	}
	return labels
}

type observation struct {
	t int64 // Unix nanoseconds
	v float64
	g int32
}

// collector keeps the observations that pass the request's time range and
// filters, keyed by group.
type collector struct {
	lo, hi  int64
	filters []filter
	groupBy []query.Dimension
	groups  map[Dims]int32
	keys    []Dims
	obs     []observation
	notes   Notes
	// plain is set when there are neither filters nor groups, so that the
	// dimensions of an observation go unused and emitters can skip reading
	// them.
	plain bool
}

type filter struct {
	dim    query.Dimension
	values []string
}

func (c *collector) match(d *Dims) bool {
	for _, f := range c.filters {
		if !slices.Contains(f.values, d.Get(f.dim)) {
			return false
		}
	}
	return true
}

func (c *collector) add(t time.Time, v float64, d Dims) {
	ns := t.UnixNano()
	if !c.keep(ns, &d) {
		return
	}
	c.put(ns, v, &d)
}

func (c *collector) addDuration(t time.Time, dur time.Duration, d Dims) {
	ns := t.UnixNano()
	if !c.keep(ns, &d) {
		return
	}
	if dur < 0 {
		c.notes.Negative++
		return
	}
	c.put(ns, seconds(dur), &d)
}

// pending counts something not yet measurable, such as an open incident,
// when it matches the filters and began before the range ends.
func (c *collector) pending(count *int, since time.Time, d Dims) {
	if since.UnixNano() < c.hi && c.match(&d) {
		*count++
	}
}

func (c *collector) keep(ns int64, d *Dims) bool {
	return ns >= c.lo && ns < c.hi && c.match(d)
}

func (c *collector) put(ns int64, v float64, d *Dims) {
	g := c.group(d)
	if len(c.obs) == cap(c.obs) {
		// Doubling, where append grows a large slice by a quarter, copies
		// and allocates much less over a million observations.
		c.obs = slices.Grow(c.obs, max(len(c.obs), 1024))
	}
	c.obs = append(c.obs, observation{t: ns, v: v, g: g})
}

// group returns the index of the group d belongs to, adding the group when
// it is new.
func (c *collector) group(d *Dims) int32 {
	if len(c.groupBy) == 0 {
		// Everything is one group; skip hashing its empty key.
		if len(c.keys) == 0 {
			c.groups[Dims{}] = 0
			c.keys = append(c.keys, Dims{})
		}
		return 0
	}
	var key Dims
	for _, dim := range c.groupBy {
		key.set(dim, d.Get(dim))
	}
	g, ok := c.groups[key]
	if !ok {
		g = int32(len(c.keys))
		c.groups[key] = g
		c.keys = append(c.keys, key)
	}
	return g
}

// collect runs the metric over every selected environment and returns the
// observations in [lo, hi), sorted by group and, when byTime is set or the
// request needs it, by time.
func (e *Engine) collect(req *Request, lo, hi time.Time, byTime bool) (*collector, error) {
	m := req.Metric
	for _, dim := range req.GroupBy {
		if !m.HasDim(dim) {
			return nil, fmt.Errorf("%s cannot be grouped by %s (it can be grouped by %s)", m.Name, dim, dimList(m.Dims))
		}
	}
	c := &collector{
		lo: lo.UnixNano(), hi: hi.UnixNano(),
		groupBy: req.GroupBy, groups: make(map[Dims]int32),
		obs: getObservations(0),
	}
	for _, dim := range m.Dims {
		if values := req.Filters.Of(dim); len(values) > 0 && dim != query.DimEnvironment {
			c.filters = append(c.filters, filter{dim: dim, values: values})
		}
	}
	c.plain = len(c.filters) == 0 && len(c.groupBy) == 0
	envs := e.Environments(req.Filters)
	if !m.Environmental {
		envs = envs[:1]
	}
	for _, env := range envs {
		m.emit(e.Model(env), c)
	}
	c.order(byTime, m.Kind == Duration && req.Aggregation == query.AggMean)
	return c, nil
}

func dimList(dims []query.Dimension) string {
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}

// release recycles the collector's buffer; c.obs, and every slice of it,
// must not be used afterwards.
func (c *collector) release() {
	putObservations(c.obs)
	c.obs = nil
}

// groupRanges returns, per group index, the slice of c.obs it owns.
func (c *collector) groupRanges() [][]observation {
	out := make([][]observation, len(c.keys))
	start := 0
	for i := 1; i <= len(c.obs); i++ {
		if i == len(c.obs) || c.obs[i].g != c.obs[start].g {
			out[c.obs[start].g] = c.obs[start:i]
			start = i
		}
	}
	return out
}

// ensureGroup makes sure an ungrouped request answers with one group even
// when nothing matched, so that a panel shows 0 or null rather than no data.
func (c *collector) ensureGroup() {
	if len(c.groupBy) == 0 && len(c.keys) == 0 {
		c.keys = append(c.keys, Dims{})
	}
}

// reduce computes one value from a group's observations. days is the span
// the observations were taken over, for counts per day.
func reduce(kind Kind, agg query.Aggregation, obs []observation, days float64, scratch *[]float64) (float64, bool) {
	switch kind {
	case Count:
		return float64(len(obs)), true
	case PerDay:
		if days <= 0 {
			return 0, false
		}
		return float64(len(obs)) / days, true
	case Ratio:
		if len(obs) == 0 {
			return 0, false
		}
		sum := 0.0
		for _, o := range obs {
			sum += o.v
		}
		return sum / float64(len(obs)), true
	}
	values := slices.Grow((*scratch)[:0], len(obs))
	for _, o := range obs {
		values = append(values, o.v)
	}
	*scratch = values
	return Aggregate(agg, values)
}
