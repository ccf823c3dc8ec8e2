package engine_test

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine/enginetest"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

// The benchmarks' generated workload: a million events over the year that
// ends at benchEnd. docs/performance.md records their figures.
const (
	benchEvents = 1_000_000
	benchSeed   = 20240101
)

var (
	benchEnd  = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
	benchFrom = benchEnd.AddDate(-1, 0, 0)
)

const benchDay = 24 * time.Hour

// benchSet1M is built once per test binary: generating it takes longer than
// most of the benchmarks.
var benchSet1M = sync.OnceValue(func() *events.Set {
	return enginetest.Generate(benchEvents, benchSeed, benchEnd)
})

var benchNDJSON1M = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := events.WriteNDJSON(&buf, benchSet1M()); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

func benchEngine(set *events.Set) *engine.Engine {
	return engine.New(set, events.DefaultEnvironment, engine.DefaultAttributionWindow)
}

func benchRequest(m *engine.Metric, from, to time.Time) engine.Request {
	return engine.Request{Metric: m, Aggregation: query.AggMedian, From: from, To: to}
}

func benchDaily(m *engine.Metric, from, to time.Time, window time.Duration) engine.SeriesRequest {
	return engine.SeriesRequest{Request: benchRequest(m, from, to), Step: benchDay, Window: window}
}

// benchSummaries computes the summary of every metric over [from, to).
func benchSummaries(tb testing.TB, eng *engine.Engine, from, to time.Time) {
	for _, m := range engine.Metrics {
		if _, err := eng.Summary(benchRequest(m, from, to)); err != nil {
			tb.Fatalf("summary of %s: %v", m.ID, err)
		}
	}
}

// benchSeries computes the daily series of every metric over [from, to).
func benchSeries(tb testing.TB, eng *engine.Engine, from, to time.Time) {
	for _, m := range engine.Metrics {
		if _, err := eng.Series(benchDaily(m, from, to, 0)); err != nil {
			tb.Fatalf("daily series of %s: %v", m.ID, err)
		}
	}
}

// benchEverything is the target workload: one fresh engine, so linking is
// included, then every summary and a daily series of every metric.
func benchEverything(tb testing.TB, set *events.Set, from, to time.Time) {
	eng := benchEngine(set)
	benchSummaries(tb, eng, from, to)
	benchSeries(tb, eng, from, to)
}

// benchLoop runs body as the benchmark's loop. Beside the wall time it
// reports cpu-ns/op, the processor time of the whole process (collector
// included) per iteration, which the other load of a shared machine
// disturbs much less.
func benchLoop(b *testing.B, body func()) {
	b.ReportAllocs()
	start := enginetest.CPUTime()
	for b.Loop() {
		body()
	}
	if used := enginetest.CPUTime() - start; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkLink1M(b *testing.B) {
	set := benchSet1M()
	opts := engine.Options{Environment: events.DefaultEnvironment, AttributionWindow: engine.DefaultAttributionWindow}
	benchLoop(b, func() { engine.Link(set, opts) })
}

func BenchmarkAllSummaries1M(b *testing.B) {
	set := benchSet1M()
	benchLoop(b, func() { benchSummaries(b, benchEngine(set), benchFrom, benchEnd) })
}

// BenchmarkDailySeries1M measures the series alone: the engine is linked
// before the loop.
func BenchmarkDailySeries1M(b *testing.B) {
	lead := engine.Lookup("lead_time")
	for _, tc := range []struct {
		name   string
		window time.Duration
	}{
		{"bucket", 0},
		{"window30d", 30 * benchDay},
	} {
		b.Run(tc.name, func(b *testing.B) {
			eng := benchEngine(benchSet1M())
			eng.Model(events.DefaultEnvironment)
			req := benchDaily(lead, benchFrom, benchEnd, tc.window)
			benchLoop(b, func() {
				if _, err := eng.Series(req); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkEverything1M(b *testing.B) {
	set := benchSet1M()
	benchLoop(b, func() { benchEverything(b, set, benchFrom, benchEnd) })
}

func BenchmarkKedro(b *testing.B) {
	set, _ := enginetest.KedroSet(b)
	from, to := benchSpan(set)
	benchLoop(b, func() { benchEverything(b, set, from, to) })
}

func BenchmarkRead1M(b *testing.B) {
	data := benchNDJSON1M()
	b.SetBytes(int64(len(data)))
	benchLoop(b, func() {
		set, _, err := events.Read(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if set.Len() != benchEvents {
			b.Fatalf("read %d events, want %d", set.Len(), benchEvents)
		}
	})
}

// benchSpan returns the whole days that cover every change and deployment of set.
func benchSpan(set *events.Set) (from, to time.Time) {
	see := func(t time.Time) {
		if from.IsZero() || t.Before(from) {
			from = t
		}
		if t.After(to) {
			to = t
		}
	}
	for i := range set.Changes {
		see(set.Changes[i].Time)
	}
	for i := range set.Deployments {
		see(set.Deployments[i].Time)
	}
	return from.UTC().Truncate(benchDay), to.UTC().Truncate(benchDay).Add(benchDay)
}

// TestBenchKedroWorkload runs the benchmark workload once over the real history
// and checks it found what the history holds: every release is a
// deployment, and most pull requests shipped.
func TestBenchKedroWorkload(t *testing.T) {
	set, rep := enginetest.KedroSet(t)
	require.Positive(t, rep.Kept)
	for _, reason := range rep.Reasons {
		require.Contains(t, reason, "duplicate id")
	}
	from, to := benchSpan(set)
	benchEverything(t, set, from, to)

	eng := benchEngine(set)
	freq, err := eng.Summary(benchRequest(engine.Lookup("deployment_frequency"), from, to))
	require.NoError(t, err)
	require.Len(t, freq.Values, 1)
	require.Equal(t, len(set.Deployments), freq.Values[0].Count)

	lead, err := eng.Summary(benchRequest(engine.Lookup("lead_time"), from, to))
	require.NoError(t, err)
	require.Greater(t, lead.Values[0].Count, len(set.Changes)/2)
}

// TestBenchConcurrentRequests checks that requests running at once on one
// engine, which share recycled buffers, answer as they do one at a time.
func TestBenchConcurrentRequests(t *testing.T) {
	set := enginetest.Generate(20_000, 11, benchEnd)
	type answer struct {
		Summary *engine.Summary
		Series  *engine.SeriesResult
		Err     error
	}
	ask := func(eng *engine.Engine, m *engine.Metric) (a answer) {
		req := benchRequest(m, benchFrom, benchEnd)
		req.GroupBy = []query.Dimension{query.DimService}
		if a.Summary, a.Err = eng.Summary(req); a.Err == nil {
			a.Series, a.Err = eng.Series(engine.SeriesRequest{Request: req, Step: benchDay, Window: 7 * benchDay})
		}
		return a
	}
	want := map[string]answer{}
	for _, m := range engine.Metrics {
		want[m.ID] = ask(benchEngine(set), m)
		require.NoError(t, want[m.ID].Err, m.ID)
	}

	eng := benchEngine(set)
	got := make([]map[string]answer, 4)
	var wg sync.WaitGroup
	for w := range got {
		got[w] = map[string]answer{}
		wg.Go(func() {
			for _, m := range engine.Metrics {
				got[w][m.ID] = ask(eng, m)
			}
		})
	}
	wg.Wait()
	for w := range got {
		require.Equal(t, want, got[w], "worker %d", w)
	}
}

// TestBenchNDJSONWriter checks that the feed BenchmarkRead1M reads, written
// by events.WriteNDJSON, holds the generated events unchanged.
func TestBenchNDJSONWriter(t *testing.T) {
	set := enginetest.Generate(20_000, 7, benchEnd)
	var buf bytes.Buffer
	require.NoError(t, events.WriteNDJSON(&buf, set))
	got, rep, err := events.Read(&buf)
	require.NoError(t, err)
	require.Zero(t, rep.Skipped, rep.String())
	require.Equal(t, set, got)
}

// TestPeakMemory1M measures the memory of the target workload on one core.
// It is slow and its figures depend on the machine, so it runs only with
// FOURKEYS_MEMORY=1:
//
//	FOURKEYS_MEMORY=1 go test -run TestPeakMemory1M -v ./pkg/engine/
func TestPeakMemory1M(t *testing.T) {
	if os.Getenv("FOURKEYS_MEMORY") != "1" {
		t.Skip("set FOURKEYS_MEMORY=1 to measure the memory of the 1M-event workload")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	set := benchSet1M()
	runtime.GC()
	base := benchHeapObjects()
	resetPeakRSS := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil

	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		highest := benchHeapObjects()
		for {
			select {
			case <-stop:
				peak <- max(highest, benchHeapObjects())
				return
			case <-tick.C:
				highest = max(highest, benchHeapObjects())
			}
		}
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	benchEverything(t, set, benchFrom, benchEnd)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	close(stop)
	highest := <-peak

	mb := func(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }
	t.Logf("events: %d; heap of the set after GC: %s", set.Len(), mb(base))
	t.Logf("everything: %s; allocated %s in %d allocations", elapsed.Round(time.Millisecond),
		mb(after.TotalAlloc-before.TotalAlloc), after.Mallocs-before.Mallocs)
	t.Logf("peak heap objects (sampled): %s, %s above the set", mb(highest), mb(highest-base))
	t.Logf("heap obtained from the OS (HeapSys): %s", mb(after.HeapSys))
	if rss, ok := benchPeakRSS(); ok {
		scope := "since the process started"
		if resetPeakRSS {
			scope = "during the workload, the set included"
		}
		t.Logf("peak RSS (VmHWM) %s: %s", scope, mb(rss))
	}
}

var benchHeapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// benchHeapObjects returns the bytes of live and not yet swept heap objects,
// without stopping the world.
func benchHeapObjects() uint64 {
	metrics.Read(benchHeapSample)
	return benchHeapSample[0].Value.Uint64()
}

// benchPeakRSS returns the process's peak resident set size from /proc.
func benchPeakRSS() (uint64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
