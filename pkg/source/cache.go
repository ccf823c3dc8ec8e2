package source

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// MaxFetchTime bounds one fetch of all sources.
//
// A fetch is shared by every query that asks for events while it runs, so it
// is detached from the cancellation of the query that happened to start it:
// closing that panel must not fail the others. Detached, it needs a bound of
// its own, and this is it. Each source still applies its own, shorter
// timeout (the feed's is 30 seconds by default).
const MaxFetchTime = 5 * time.Minute

// Snapshot is the merged result of one fetch of every source. It is shared
// between callers and must not be modified.
type Snapshot struct {
	// Set holds the events of every source that succeeded. When two sources
	// have an event of the same kind and id, the one from the earlier source
	// is kept.
	Set *events.Set

	// Report counts the events kept in Set and those skipped, whether by a
	// source or as duplicates across sources.
	Report events.Report

	// Fetched is when the fetch finished.
	Fetched time.Time

	// Sources says how each source fared, in the order given to NewCache.
	Sources []Status
}

// Failed returns the sources that failed, for the caller to turn into
// notices.
func (s *Snapshot) Failed() []Status {
	var failed []Status
	for _, st := range s.Sources {
		if st.Err != nil {
			failed = append(failed, st)
		}
	}
	return failed
}

// Status is the outcome of fetching one source.
type Status struct {
	Name   string
	Report events.Report // what the source read; empty when Err is set
	Err    error
}

// FetchError is returned by [Cache.Get] when every source failed.
type FetchError struct {
	Sources []Status
}

// Error is the one source's error, or each source's name and error.
func (e *FetchError) Error() string {
	if len(e.Sources) == 1 {
		return e.Sources[0].Err.Error()
	}
	parts := make([]string, len(e.Sources))
	for i, st := range e.Sources {
		parts[i] = st.Name + ": " + st.Err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the error of each source, so that errors.Is and errors.As
// (and the SDK's downstream error checks) see through a FetchError.
func (e *FetchError) Unwrap() []error {
	errs := make([]error, len(e.Sources))
	for i, st := range e.Sources {
		errs[i] = st.Err
	}
	return errs
}

// Cache fetches the sources of one data source instance and keeps the merged
// snapshot for a time to live. It is safe for concurrent use.
//
// Only a snapshot to which every source contributed in full is kept. When a
// source fails, or returns an incomplete report (it stopped early on a rate
// limit or deadline), the snapshot (or the error, when all of them fail)
// goes to the callers that shared that fetch and the next Get fetches
// again, so that a feed that was briefly down, or a repository cut short,
// is not missing until the time to live runs out.
// Callers that arrive while a fetch runs wait for it rather than start
// another, which keeps a failing source from being hit once per panel.
type Cache struct {
	ttl     time.Duration
	now     func() time.Time
	sources []Source
	flight  singleflight.Group

	mu      sync.Mutex
	snap    *Snapshot
	expires time.Time
	gen     uint64 // incremented by Invalidate
}

// NewCache returns a cache over sources that keeps a snapshot for ttl. A ttl
// of zero or less keeps nothing: every Get fetches, although concurrent Gets
// still share one fetch. now is the clock; nil means time.Now.
func NewCache(ttl time.Duration, now func() time.Time, sources ...Source) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: ttl, now: now, sources: sources}
}

// Get returns the cached snapshot while it is fresh, or fetches every source.
// It returns an error only when every source failed or ctx ended first; when
// some failed, their errors are in [Snapshot.Sources].
func (c *Cache) Get(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	snap, gen := c.snap, c.gen
	fresh := snap != nil && c.now().Before(c.expires)
	c.mu.Unlock()
	if fresh {
		return snap, nil
	}

	// Keying the flight by generation lets a Get after Invalidate start a
	// new fetch instead of joining one that began before it.
	key := strconv.FormatUint(gen, 10)
	ch := c.flight.DoChan(key, func() (any, error) {
		return c.fetch(ctx, gen)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*Snapshot), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("stopped waiting for the events: %w", context.Cause(ctx))
	}
}

// Invalidate drops the cached snapshot, so that the next Get fetches. A
// fetch already running is not stopped, but its result is not kept.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.snap = nil
}

func (c *Cache) fetch(ctx context.Context, gen uint64) (*Snapshot, error) {
	// Values such as the Grafana configuration and the trace are kept;
	// cancellation is not (see MaxFetchTime).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), MaxFetchTime)
	defer cancel()

	statuses := make([]Status, len(c.sources))
	sets := make([]*events.Set, len(c.sources))
	var wg sync.WaitGroup
	for i, s := range c.sources {
		wg.Go(func() { sets[i], statuses[i] = fetchOne(ctx, s) })
	}
	wg.Wait()

	b := events.NewBuilder()
	var failed []Status
	incomplete := false
	for i, st := range statuses {
		if st.Err != nil {
			failed = append(failed, st)
			continue
		}
		b.AddSet(sets[i], st.Report)
		incomplete = incomplete || st.Report.Incomplete
	}
	if len(failed) > 0 && len(failed) == len(c.sources) {
		return nil, &FetchError{Sources: failed}
	}

	snap := &Snapshot{Set: b.Set(), Report: b.Report(), Fetched: c.now(), Sources: statuses}
	snap.Report.Incomplete = incomplete
	if len(failed) == 0 && !incomplete && c.ttl > 0 {
		c.mu.Lock()
		if c.gen == gen {
			c.snap, c.expires = snap, snap.Fetched.Add(c.ttl)
		}
		c.mu.Unlock()
	}
	return snap, nil
}

// fetchOne runs one source, turning a panic into an error: sources run on
// goroutines of their own, where the SDK's recovery cannot reach.
func fetchOne(ctx context.Context, s Source) (set *events.Set, st Status) {
	st.Name = s.Name()
	defer func() {
		if r := recover(); r != nil {
			set, st.Report = nil, events.Report{}
			st.Err = fmt.Errorf("the %s source failed unexpectedly: %v", st.Name, r)
		}
	}()

	set, st.Report, st.Err = s.Fetch(ctx)
	if st.Err != nil {
		return nil, Status{Name: st.Name, Err: st.Err}
	}
	if set == nil {
		set = &events.Set{}
	}
	return set, st
}
