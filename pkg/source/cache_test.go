package source_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// fakeSource counts its fetches and returns one change per id, or err.
type fakeSource struct {
	name    string
	ids     []string
	err     error
	panics  bool
	partial bool // the report says the fetch stopped early
	fetches atomic.Int32

	// When release is set, Fetch closes started (once) and waits on release.
	started   chan struct{}
	release   chan struct{}
	startOnce sync.Once
	ctxErr    atomic.Value // error seen on ctx when Fetch returned
}

func (f *fakeSource) Name() string { return f.name }

func (f *fakeSource) Fetch(ctx context.Context) (*events.Set, events.Report, error) {
	f.fetches.Add(1)
	if f.release != nil {
		f.startOnce.Do(func() { close(f.started) })
		<-f.release
		f.ctxErr.Store(errBox{ctx.Err()})
	}
	if f.panics {
		panic("boom")
	}
	if f.err != nil {
		return nil, events.Report{}, f.err
	}
	b := events.NewBuilder()
	for _, id := range f.ids {
		b.AddChange(events.Change{Common: events.Common{ID: id, Service: "svc"}, Time: time.Unix(0, 0)})
	}
	rep := b.Report()
	if f.partial {
		rep.Skip("acme/churn-model: its incidents were not all read: rate limited")
		rep.Incomplete = true
	}
	return b.Set(), rep, nil
}

type errBox struct{ err error }

func blocking(name string, ids ...string) *fakeSource {
	return &fakeSource{name: name, ids: ids, started: make(chan struct{}), release: make(chan struct{})}
}

// clock is a settable clock for the cache's time to live.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestCacheKeepsSnapshotForTTL(t *testing.T) {
	clk := newClock()
	src := &fakeSource{name: "fake", ids: []string{"a", "b"}}
	c := source.NewCache(5*time.Minute, clk.now, src)
	ctx := context.Background()

	first, err := c.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, first.Set.Count(events.KindChange))
	require.Equal(t, clk.now(), first.Fetched)
	require.EqualValues(t, 1, src.fetches.Load())

	clk.advance(5*time.Minute - time.Second)
	second, err := c.Get(ctx)
	require.NoError(t, err)
	require.Same(t, first, second, "a Get inside the ttl returns the same snapshot")
	require.EqualValues(t, 1, src.fetches.Load(), "a Get inside the ttl does not fetch")

	clk.advance(time.Second)
	third, err := c.Get(ctx)
	require.NoError(t, err)
	require.NotSame(t, first, third)
	require.EqualValues(t, 2, src.fetches.Load(), "a Get once the ttl is over fetches again")
}

func TestCacheWithZeroTTLFetchesEveryTime(t *testing.T) {
	src := &fakeSource{name: "fake", ids: []string{"a"}}
	c := source.NewCache(0, nil, src)
	for range 3 {
		_, err := c.Get(context.Background())
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, src.fetches.Load())
}

func TestCacheInvalidateForcesAFetch(t *testing.T) {
	src := &fakeSource{name: "fake", ids: []string{"a"}}
	c := source.NewCache(time.Hour, newClock().now, src)

	_, err := c.Get(context.Background())
	require.NoError(t, err)
	c.Invalidate()
	_, err = c.Get(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 2, src.fetches.Load())
}

func TestCacheConcurrentGetsShareOneFetch(t *testing.T) {
	src := blocking("fake", "a")
	c := source.NewCache(time.Hour, newClock().now, src)

	const callers = 20
	snaps := make([]*source.Snapshot, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { snaps[i], errs[i] = c.Get(context.Background()) })
	}
	<-src.started
	close(src.release)
	wg.Wait()

	require.EqualValues(t, 1, src.fetches.Load())
	for i := range callers {
		require.NoError(t, errs[i])
		require.Same(t, snaps[0], snaps[i])
	}
}

func TestCacheFetchOutlivesTheCallerThatStartedIt(t *testing.T) {
	src := blocking("fake", "a")
	c := source.NewCache(time.Hour, newClock().now, src)

	firstCtx, cancelFirst := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.Get(firstCtx)
		firstErr <- err
	}()
	<-src.started

	var second *source.Snapshot
	var secondErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		second, secondErr = c.Get(context.Background())
	}()

	cancelFirst()
	require.ErrorIs(t, <-firstErr, context.Canceled, "the cancelled caller stops waiting")
	close(src.release)
	<-done

	require.NoError(t, secondErr)
	require.Equal(t, 1, second.Set.Count(events.KindChange))
	require.Equal(t, errBox{nil}, src.ctxErr.Load(), "the fetch's context was not cancelled")
	require.EqualValues(t, 1, src.fetches.Load())
}

func TestCacheMergesSources(t *testing.T) {
	first := &fakeSource{name: "first", ids: []string{"a", "b"}}
	second := &fakeSource{name: "second", ids: []string{"b", "c"}}
	c := source.NewCache(time.Hour, nil, first, second)

	snap, err := c.Get(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, snap.Set.Count(events.KindChange), "b is kept once")
	require.Equal(t, 3, snap.Report.Kept)
	require.Equal(t, 1, snap.Report.Skipped)
	require.Equal(t, []string{`change "b": duplicate id, the first one is kept`}, snap.Report.Reasons)
	require.Equal(t, "first", snap.Sources[0].Name)
	require.Equal(t, 2, snap.Sources[1].Report.Kept, "a source's own report is kept as it read")
	require.Empty(t, snap.Failed())
}

func TestCacheFailures(t *testing.T) {
	down := errors.New("the feed URL answered 503 Service Unavailable")

	t.Run("a failed source leaves the others in the snapshot and is retried", func(t *testing.T) {
		good := &fakeSource{name: "demo", ids: []string{"a"}}
		bad := &fakeSource{name: "feed", err: down}
		c := source.NewCache(time.Hour, newClock().now, good, bad)

		snap, err := c.Get(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, snap.Set.Len())
		require.Len(t, snap.Failed(), 1)
		require.Equal(t, "feed", snap.Failed()[0].Name)
		require.ErrorIs(t, snap.Failed()[0].Err, down)

		_, err = c.Get(context.Background())
		require.NoError(t, err)
		require.EqualValues(t, 2, bad.fetches.Load(), "a snapshot with a failure is not kept")
		require.EqualValues(t, 2, good.fetches.Load())
	})

	t.Run("when every source fails Get returns their errors and retries next time", func(t *testing.T) {
		bad := &fakeSource{name: "feed", err: down}
		c := source.NewCache(time.Hour, newClock().now, bad)

		_, err := c.Get(context.Background())
		require.ErrorIs(t, err, down)
		require.EqualError(t, err, "the feed URL answered 503 Service Unavailable")
		_, err = c.Get(context.Background())
		require.Error(t, err)
		require.EqualValues(t, 2, bad.fetches.Load())
	})

	t.Run("with several sources failing the error names each", func(t *testing.T) {
		c := source.NewCache(time.Hour, nil,
			&fakeSource{name: "demo", err: errors.New("no demo")},
			&fakeSource{name: "feed", err: down})

		_, err := c.Get(context.Background())
		require.EqualError(t, err, "demo: no demo; feed: the feed URL answered 503 Service Unavailable")
		var fe *source.FetchError
		require.ErrorAs(t, err, &fe)
		require.Len(t, fe.Sources, 2)
	})

	t.Run("a panicking source becomes an error", func(t *testing.T) {
		c := source.NewCache(time.Hour, nil,
			&fakeSource{name: "demo", ids: []string{"a"}},
			&fakeSource{name: "broken", panics: true})

		snap, err := c.Get(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, snap.Set.Len())
		require.EqualError(t, snap.Failed()[0].Err, "the broken source failed unexpectedly: boom")
	})
}

func TestCacheDoesNotKeepIncompleteSnapshots(t *testing.T) {
	full := &fakeSource{name: "feed", ids: []string{"a"}}
	cut := &fakeSource{name: "github", ids: []string{"b"}, partial: true}
	c := source.NewCache(time.Hour, newClock().now, full, cut)

	snap, err := c.Get(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, snap.Set.Len(), "what the cut-short source read is served")
	require.Empty(t, snap.Failed())
	require.True(t, snap.Report.Incomplete)
	require.Contains(t, snap.Report.String(), "2 events read (incomplete), 1 skipped: acme/churn-model")

	_, err = c.Get(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 2, cut.fetches.Load(), "an incomplete snapshot is not kept")

	cut.partial = false
	_, err = c.Get(context.Background())
	require.NoError(t, err)
	_, err = c.Get(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 3, cut.fetches.Load(), "a complete snapshot is kept again")
	require.EqualValues(t, 3, full.fetches.Load())
}

func TestReportMergeKeepsIncomplete(t *testing.T) {
	r := events.Report{Kept: 1}
	r.Merge(events.Report{Kept: 2, Incomplete: true})
	r.Merge(events.Report{Kept: 3})
	require.Equal(t, events.Report{Kept: 6, Incomplete: true}, r)
	require.Equal(t, "6 events read (incomplete)", r.String())
}

func TestCacheWithoutSourcesIsEmpty(t *testing.T) {
	snap, err := source.NewCache(time.Hour, nil).Get(context.Background())
	require.NoError(t, err)
	require.Zero(t, snap.Set.Len())
}
