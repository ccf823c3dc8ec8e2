package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

func TestDeploymentFrequency(t *testing.T) {
	t.Parallel()
	// docs/metrics.md: successes on days 1, 1, 3 and 6 of a 7-day range and a
	// failure on day 4.
	s := set(
		dep("d1", "svc", on(time.Monday, 9, 0), ok),
		dep("d2", "svc", on(time.Monday, 17, 0), ok),
		dep("d3", "svc", on(time.Wednesday, 9, 0), ok),
		dep("d4", "svc", on(time.Thursday, 9, 0), fail),
		dep("d5", "svc", on(time.Saturday, 9, 0), ok),
		inEnv("staging", dep("s1", "svc", on(time.Tuesday, 9, 0), ok)),
	)

	t.Run("a summary gives successful deployments per day of the range", func(t *testing.T) {
		t.Parallel()
		v := single(t, summarize(t, s, wholeWeek("deployment_frequency")))
		requireValue(t, 4.0/7, v) // 4 successes / 7 days = 0.571
		require.Equal(t, 4, v.Count, "the count beside the rate")
		require.Equal(t, engine.BandHigh, v.Band, "1/7 <= 0.571 < 1")
	})

	t.Run("a daily series counts the successes of each day", func(t *testing.T) {
		t.Parallel()
		res, err := newEngine(s).Series(daily(wholeWeek("deployment_frequency")))
		require.NoError(t, err)
		require.Len(t, res.Series, 1)
		// Mon 2, Tue 0 (staging only), Wed 1, Thu 0 (failed), Fri 0, Sat 1, Sun 0.
		requireSeries(t, []float64{2, 0, 1, 0, 0, 1, 0}, res.Series[0].Values)
	})
}

// daily turns a request into a daily UTC series request.
func daily(req engine.Request) engine.SeriesRequest {
	return engine.SeriesRequest{Request: req, Step: day, Location: time.UTC}
}

// leadTimeExample is the lead time example of docs/metrics.md.
func leadTimeExample() *events.Set {
	return set(
		reviewed("A", "svc", on(time.Monday, 9, 0), on(time.Monday, 11, 0), on(time.Tuesday, 9, 0)),
		change("B", "svc", on(time.Tuesday, 12, 0)),
		change("C", "svc", on(time.Wednesday, 12, 0)),
		dep("D1", "svc", on(time.Tuesday, 15, 0), ok, "A", "B", "C"),
		dep("D2", "svc", on(time.Friday, 10, 0), ok, "A"),
	)
}

func TestLeadTimeWorkedExample(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, metric string
		agg          query.Aggregation
		want         float64 // seconds
		count        int
		negative     int
	}{
		// A: Mon 09:00 to D1 Tue 15:00 = 30 h; B: Tue 12:00 to 15:00 = 3 h;
		// C: Wed 12:00 to Tue 15:00 = -21 h, dropped.
		{"lead time is the median of A's 30 h and B's 3 h", "lead_time", query.AggMedian, hours(16.5), 2, 1},
		{"the mean lead time is (30 + 3) / 2 h", "lead_time", query.AggMean, hours(16.5), 2, 1},
		{"the longest lead time is A's, to D1 and not to D2", "lead_time", query.AggMax, hours(30), 2, 1},
		{"the shortest lead time is B's", "lead_time", query.AggMin, hours(3), 2, 1},
		// Only A knows opened and merged.
		{"coding runs from A's first commit to opened: 09:00 to 11:00", "lead_time_coding", query.AggMedian, hours(2), 1, 0},
		{"review runs from Monday 11:00 to Tuesday 09:00", "lead_time_review", query.AggMedian, hours(22), 1, 0},
		{"deploy runs from Tuesday 09:00 to D1 at 15:00", "lead_time_deploy", query.AggMedian, hours(6), 1, 0},
	}
	s := leadTimeExample()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := wholeWeek(tt.metric)
			req.Aggregation = tt.agg
			sum := summarize(t, s, req)
			v := single(t, sum)
			requireValue(t, tt.want, v)
			require.Equal(t, tt.count, v.Count)
			require.Equal(t, tt.negative, sum.Notes.Negative, "C's negative lead time is counted")
		})
	}

	t.Run("the median of 16.5 h is elite", func(t *testing.T) {
		t.Parallel()
		v := single(t, summarize(t, s, wholeWeek("lead_time")))
		require.Equal(t, engine.BandElite, v.Band) // 16.5 h < 24 h
	})

	t.Run("the lead times sit in the bucket of the shipping deployment", func(t *testing.T) {
		t.Parallel()
		res, err := newEngine(s).Series(daily(wholeWeek("lead_time")))
		require.NoError(t, err)
		require.Len(t, res.Series, 1)
		// Only Tuesday (D1) shipped anything; D2 re-lists A and ships nothing.
		requireSeries(t, []float64{null, hours(16.5), null, null, null, null, null}, res.Series[0].Values)
		require.Equal(t, 1, res.Notes.Negative)
	})
}

func TestLeadTimeShipping(t *testing.T) {
	t.Parallel()
	withCommit := func(sha string, c events.Change) events.Change {
		c.Commit = sha
		return c
	}
	byCommits := dep("D1", "svc", on(time.Monday, 12, 0), ok)
	byCommits.Commits = []string{"aaa111"}
	byCommit := dep("D2", "svc", on(time.Tuesday, 10, 0), ok)
	byCommit.Commit = "bbb222"

	tests := []struct {
		name   string
		events *events.Set
		want   []float64 // sorted lead times in hours, via min and max
		neg    int
	}{
		{
			name: "a change shipped twice counts once, from the earliest success",
			events: set(
				change("X", "svc", on(time.Monday, 9, 0)),
				dep("D1", "svc", on(time.Monday, 15, 0), ok, "X"),
				dep("D2", "svc", on(time.Wednesday, 15, 0), ok, "X"),
			),
			want: []float64{6}, // Mon 09:00 to D1 Mon 15:00
		},
		{
			name: "a failed deployment that lists a change does not ship it",
			events: set(
				change("X", "svc", on(time.Monday, 9, 0)),
				dep("D0", "svc", on(time.Monday, 12, 0), fail, "X"),
				dep("D1", "svc", on(time.Monday, 15, 0), ok, "X"),
			),
			want: []float64{6}, // to D1 at 15:00, not to the failed D0 at 12:00
		},
		{
			name: "a change listed by SHA in commits is shipped",
			events: set(
				withCommit("aaa111", change("X", "svc", on(time.Monday, 9, 0))),
				byCommits,
			),
			want: []float64{3}, // Mon 09:00 to D1 Mon 12:00
		},
		{
			name: "a change whose commit is the deployed commit is shipped",
			events: set(
				withCommit("bbb222", change("Y", "svc", on(time.Monday, 10, 0))),
				byCommit,
			),
			want: []float64{24}, // Mon 10:00 to D2 Tue 10:00
		},
		{
			name: "a negative lead time is dropped and counted",
			events: set(
				change("X", "svc", on(time.Monday, 9, 0)),
				change("Late", "svc", on(time.Tuesday, 9, 0)),
				dep("D1", "svc", on(time.Monday, 10, 0), ok, "X", "Late"),
			),
			want: []float64{1}, // X: 1 h; Late: -23 h dropped
			neg:  1,
		},
		{
			name: "a staging deployment does not ship a change to production",
			events: set(
				change("X", "svc", on(time.Monday, 9, 0)),
				inEnv("staging", dep("S1", "svc", on(time.Monday, 10, 0), ok, "X")),
				dep("D1", "svc", on(time.Tuesday, 9, 0), ok, "X"),
			),
			want: []float64{24}, // to production's D1, not staging's S1
		},
		{
			name: "a change no deployment lists has no lead time",
			events: set(
				change("X", "svc", on(time.Monday, 9, 0)),
				change("Orphan", "svc", on(time.Monday, 8, 0)),
				dep("D1", "svc", on(time.Monday, 11, 0), ok, "X"),
			),
			want: []float64{2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, agg := range []query.Aggregation{query.AggMin, query.AggMax} {
				req := wholeWeek("lead_time")
				req.Aggregation = agg
				sum := summarize(t, tt.events, req)
				v := single(t, sum)
				want := tt.want[0]
				if agg == query.AggMax {
					want = tt.want[len(tt.want)-1]
				}
				requireValue(t, hours(want), v, "aggregation %s", agg)
				require.Equal(t, len(tt.want), v.Count)
				require.Equal(t, tt.neg, sum.Notes.Negative)
			}
		})
	}
}

func TestLeadTimeOfAChangeKnownOnlyByItsMerge(t *testing.T) {
	t.Parallel()
	// Read through events.Read so that the merged time stands in for the
	// missing commit time as a real feed would have it.
	feed := strings.Join([]string{
		`{"kind":"change","id":"M","service":"svc","opened":"2024-03-04T08:00:00Z","merged":"2024-03-04T10:00:00Z"}`,
		`{"kind":"deployment","id":"D","service":"svc","status":"success","time":"2024-03-04T16:00:00Z","changes":["M"]}`,
	}, "\n")
	s, rep, err := events.Read(strings.NewReader(feed))
	require.NoError(t, err)
	require.Equal(t, 0, rep.Skipped)
	require.True(t, s.Changes[0].TimeFromMerged)

	tests := []struct {
		name, metric string
		valid        bool
		want         float64
	}{
		{"lead time runs from the merge: 10:00 to 16:00", "lead_time", true, hours(6)},
		{"review still runs from opened to merged: 08:00 to 10:00", "lead_time_review", true, hours(2)},
		{"deploy runs from merged to the deployment: 10:00 to 16:00", "lead_time_deploy", true, hours(6)},
		// Computing it would give opened - merged = -2 h, a bogus negative.
		{"coding is not computed", "lead_time_coding", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sum := summarize(t, s, wholeWeek(tt.metric))
			v := single(t, sum)
			require.Equal(t, 0, sum.Notes.Negative, "nothing negative is dropped")
			if !tt.valid {
				require.False(t, v.Valid)
				require.Equal(t, 0, v.Count)
				return
			}
			requireValue(t, tt.want, v)
		})
	}
}

func TestLeadTimeAggregations(t *testing.T) {
	t.Parallel()
	// Lead times of 1, 2, 3 and 4 hours, all shipped by D at Monday 12:00.
	s := set(
		change("c1", "svc", on(time.Monday, 11, 0)),
		change("c2", "svc", on(time.Monday, 10, 0)),
		change("c3", "svc", on(time.Monday, 9, 0)),
		change("c4", "svc", on(time.Monday, 8, 0)),
		dep("D", "svc", on(time.Monday, 12, 0), ok, "c1", "c2", "c3", "c4"),
	)
	tests := []struct {
		agg  query.Aggregation
		want float64 // hours
	}{
		{query.AggMedian, 2.5}, // (2 + 3) / 2
		{query.AggP75, 3.25},   // h = 3 * 0.75 = 2.25: 3 + 0.25 * (4 - 3)
		{query.AggP90, 3.7},    // h = 3 * 0.9 = 2.7: 3 + 0.7 * (4 - 3)
		{query.AggMean, 2.5},   // 10 / 4
		{query.AggMin, 1},
		{query.AggMax, 4},
	}
	for _, tt := range tests {
		t.Run("the "+string(tt.agg)+" of 1, 2, 3 and 4 hours", func(t *testing.T) {
			t.Parallel()
			req := wholeWeek("lead_time")
			req.Aggregation = tt.agg
			requireValue(t, hours(tt.want), single(t, summarize(t, s, req)))
		})
	}
}

// cfrExample is the change failure rate example of docs/metrics.md, with the
// times the example leaves open filled in: D2 Tuesday 10:00, D5 Friday 10:00
// and the incident resolved Thursday 14:00.
func cfrExample() *events.Set {
	return set(
		dep("D1", "svc", on(time.Monday, 10, 0), ok),
		dep("D2", "svc", on(time.Tuesday, 10, 0), fail),
		dep("D3", "svc", on(time.Wednesday, 10, 0), ok),
		dep("D4", "svc", on(time.Thursday, 12, 0), ok),
		rollback(dep("D5", "svc", on(time.Friday, 10, 0), ok)),
		incident("I1", "svc", on(time.Thursday, 8, 0), on(time.Thursday, 14, 0), ""),
	)
}

func TestFailureExampleOfTheDocs(t *testing.T) {
	t.Parallel()
	s := cfrExample()
	tests := []struct {
		name, metric string
		agg          query.Aggregation
		want         float64
		count        int
		band         engine.Band
	}{
		// D2 (status), D3 (attributed incident), D4 (rolled back next) of 5.
		{"three of five deployments failed", "change_failure_rate", query.AggMedian, 0.6, 5, engine.BandLow},
		// D1, D3 and D4, D5 succeeded; D3, D4 and D5 are rework.
		{"three of four successes are rework", "rework_rate", query.AggMedian, 0.75, 4, engine.BandNone},
		// D2 Tue 10:00 to D3 Wed 10:00 = 24 h; D3 Wed 10:00 to Thu 14:00 = 28 h;
		// D4 Thu 12:00 to D5 Fri 10:00 = 22 h. Median of {22, 24, 28}.
		{"the median recovery is 24 h, not under a day", "failed_deployment_recovery_time", query.AggMedian, hours(24), 3, engine.BandMedium},
		// (24 + 28 + 22) / 3 = 24.67 h and 28 h: at least a day, so medium.
		{"the mean recovery is 74 / 3 h", "failed_deployment_recovery_time", query.AggMean, hours(74.0 / 3), 3, engine.BandMedium},
		{"the slowest recovery is D3's 28 h", "failed_deployment_recovery_time", query.AggMax, hours(28), 3, engine.BandMedium},
		{"the quickest recovery is D4's 22 h", "failed_deployment_recovery_time", query.AggMin, hours(22), 3, engine.BandHigh},
		{"the incident took Thursday 08:00 to 14:00", "time_to_restore", query.AggMedian, hours(6), 1, engine.BandHigh},
		{"the five deployments include four successes", "deployment_frequency", query.AggMedian, 4.0 / 7, 4, engine.BandHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := wholeWeek(tt.metric)
			req.Aggregation = tt.agg
			sum := summarize(t, s, req)
			v := single(t, sum)
			requireValue(t, tt.want, v)
			require.Equal(t, tt.count, v.Count)
			require.Equal(t, tt.band, v.Band)
			require.Zero(t, sum.Notes.StillFailed)
		})
	}
}

func TestChangeFailureRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		window time.Duration
		events *events.Set
		failed []string // ids of the deployments that failed
		rate   float64
	}{
		{
			name:   "a deployment with status failure failed",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				dep("D2", "svc", on(time.Tuesday, 10, 0), fail),
			),
			failed: []string{"D2"}, rate: 0.5, // 1 / 2
		},
		{
			name:   "an incident that names a deployment fails that one, not the latest",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				dep("D2", "svc", on(time.Wednesday, 10, 0), ok),
				incident("I", "svc", on(time.Friday, 10, 0), on(time.Friday, 11, 0), "D1"),
			),
			failed: []string{"D1"}, rate: 0.5,
		},
		{
			name:   "an unnamed incident fails the latest successful deployment within the window",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				dep("D2", "svc", on(time.Tuesday, 10, 0), fail),
				// Wed 10:00: D2 is later but failed; D1 is 48 h back, within 72 h.
				incident("I", "svc", on(time.Wednesday, 10, 0), on(time.Wednesday, 11, 0), ""),
			),
			failed: []string{"D1", "D2"}, rate: 1, // 2 / 2
		},
		{
			name:   "an incident opened exactly one window after a deployment is attributed",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				incident("I", "svc", on(time.Thursday, 10, 0), on(time.Thursday, 11, 0), ""), // 72 h
			),
			failed: []string{"D1"}, rate: 1,
		},
		{
			name:   "an incident opened after the window is not attributed",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				incident("I", "svc", on(time.Thursday, 11, 0), on(time.Thursday, 12, 0), ""), // 73 h
			),
			failed: nil, rate: 0,
		},
		{
			name:   "a window of zero turns attribution off",
			window: 0,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				incident("I", "svc", on(time.Monday, 11, 0), on(time.Monday, 12, 0), ""),
			),
			failed: nil, rate: 0,
		},
		{
			name:   "a shorter window leaves out what the default would attribute",
			window: 12 * time.Hour,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				incident("I", "svc", on(time.Tuesday, 10, 0), on(time.Tuesday, 11, 0), ""), // 24 h > 12 h
			),
			failed: nil, rate: 0,
		},
		{
			name:   "an unnamed incident of another service is not attributed",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "a", on(time.Monday, 10, 0), ok),
				incident("I", "b", on(time.Monday, 11, 0), on(time.Monday, 12, 0), ""),
			),
			failed: nil, rate: 0,
		},
		{
			name:   "an incident naming a deployment of another environment fails nothing here",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				inEnv("staging", dep("S1", "svc", on(time.Monday, 11, 0), ok)),
				incident("I", "svc", on(time.Monday, 12, 0), on(time.Monday, 13, 0), "S1"),
			),
			failed: nil, rate: 0, // 0 / 1: only D1 is a production deployment
		},
		{
			name:   "an incident naming an unknown deployment fails nothing",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				incident("I", "svc", on(time.Monday, 12, 0), on(time.Monday, 13, 0), "ghost"),
			),
			failed: nil, rate: 0,
		},
		{
			name:   "a deployment followed by a rollback failed",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				rollback(dep("D2", "svc", on(time.Monday, 12, 0), ok)),
			),
			failed: []string{"D1"}, rate: 0.5,
		},
		{
			name:   "a rollback of another service fails nothing",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "a", on(time.Monday, 10, 0), ok),
				rollback(dep("D2", "b", on(time.Monday, 12, 0), ok)),
			),
			failed: nil, rate: 0,
		},
		{
			name:   "a rollback in staging does not fail the production deployment",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				inEnv("staging", rollback(dep("S2", "svc", on(time.Monday, 12, 0), ok))),
			),
			failed: nil, rate: 0,
		},
		{
			name:   "a deployment that failed for three reasons counts once",
			window: engine.DefaultAttributionWindow,
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), fail),
				rollback(dep("D2", "svc", on(time.Monday, 12, 0), ok)),
				incident("I", "svc", on(time.Monday, 11, 0), on(time.Monday, 11, 30), "D1"),
			),
			failed: []string{"D1"}, rate: 0.5,
		},
		{
			name:   "the worked example fails D2, D3 and D4",
			window: engine.DefaultAttributionWindow,
			events: cfrExample(),
			failed: []string{"D2", "D3", "D4"}, rate: 0.6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := engine.New(tt.events, "", tt.window)
			sum, err := e.Summary(wholeWeek("change_failure_rate"))
			require.NoError(t, err)
			v := single(t, sum)
			requireValue(t, tt.rate, v)

			m := engine.Link(tt.events, engine.Options{Environment: prod, AttributionWindow: tt.window})
			var failed []string
			for _, d := range m.Deploys {
				if d.Failed != 0 {
					failed = append(failed, d.ID)
				}
			}
			require.Equal(t, tt.failed, failed)
		})
	}
}

func TestTimeToRestore(t *testing.T) {
	t.Parallel()
	mon := on(time.Monday, 0, 0)
	tests := []struct {
		name   string
		events *events.Set
		valid  bool
		want   float64
		count  int
		open   int
	}{
		{
			// docs/metrics.md: 30 min, 2 h and 50 h resolved, one open.
			name: "the median of 30 min, 2 h and 50 h is 2 h and the open one is noted",
			events: set(
				incident("I1", "svc", mon.Add(1*time.Hour), mon.Add(90*time.Minute), ""),
				incident("I2", "svc", mon.Add(2*time.Hour), mon.Add(4*time.Hour), ""),
				incident("I3", "svc", mon.Add(3*time.Hour), mon.Add(53*time.Hour), ""),
				incident("I4", "svc", mon.Add(4*time.Hour), time.Time{}, ""),
			),
			valid: true, want: hours(2), count: 3, open: 1,
		},
		{
			name: "an incident counts in the range of its resolution, not its opening",
			events: set(
				// Opened Sunday 23:00 before the week, resolved Monday 01:00: 2 h, in.
				incident("early", "svc", mon.Add(-time.Hour), mon.Add(time.Hour), ""),
				// Opened Sunday 20:00 of the week, resolved next Monday 02:00: out.
				incident("late", "svc", on(time.Sunday, 20, 0), mon.AddDate(0, 0, 7).Add(2*time.Hour), ""),
			),
			valid: true, want: hours(2), count: 1,
		},
		{
			name: "an incident caused in staging still counts",
			events: set(
				inEnv("staging", dep("S1", "svc", mon, ok)),
				incident("I", "svc", mon.Add(time.Hour), mon.Add(4*time.Hour), "S1"),
			),
			valid: true, want: hours(3), count: 1,
		},
		{
			name:   "only open incidents give no value",
			events: set(incident("I", "svc", mon.Add(time.Hour), time.Time{}, "")),
			valid:  false, count: 0, open: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sum := summarize(t, tt.events, wholeWeek("time_to_restore"))
			v := single(t, sum)
			require.Equal(t, tt.valid, v.Valid)
			if tt.valid {
				requireValue(t, tt.want, v)
			}
			require.Equal(t, tt.count, v.Count)
			require.Equal(t, tt.open, sum.Notes.OpenIncidents)
		})
	}
}

func TestFailedDeploymentRecoveryTime(t *testing.T) {
	t.Parallel()
	mon := on(time.Monday, 0, 0)
	tests := []struct {
		name        string
		events      *events.Set
		valid       bool
		agg         query.Aggregation
		want        float64
		count       int
		stillFailed int
	}{
		{
			name: "a deployment with incidents recovers when the last one is resolved",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				// A success in between does not end the recovery: incidents rule.
				dep("D2", "svc", on(time.Monday, 12, 30), ok),
				incident("I1", "svc", on(time.Monday, 11, 0), on(time.Monday, 12, 0), "D1"),
				incident("I2", "svc", on(time.Monday, 13, 0), on(time.Monday, 15, 0), "D1"),
			),
			valid: true, want: hours(5), count: 1, // D1 10:00 to I2 resolved 15:00
		},
		{
			name: "a deployment without an incident recovers at the next success of its service",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), fail),
				dep("D2", "svc", on(time.Monday, 11, 0), fail),
				dep("X", "other", on(time.Monday, 12, 0), ok),
				dep("D3", "svc", on(time.Monday, 13, 30), ok),
			),
			// D1: 10:00 to D3 13:30 = 3.5 h; D2: 11:00 to 13:30 = 2.5 h; X is
			// another service. Median (2.5 + 3.5) / 2 = 3 h.
			valid: true, agg: query.AggMedian, want: hours(3), count: 2,
		},
		{
			name: "the longest of those recoveries is D1's 3.5 h",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), fail),
				dep("D2", "svc", on(time.Monday, 11, 0), fail),
				dep("D3", "svc", on(time.Monday, 13, 30), ok),
			),
			valid: true, agg: query.AggMax, want: hours(3.5), count: 2,
		},
		{
			name: "a failed deployment with no later success is left out and counted",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				dep("D2", "svc", on(time.Tuesday, 10, 0), fail),
			),
			valid: false, count: 0, stillFailed: 1,
		},
		{
			name: "a deployment whose incident is still open has not recovered",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				dep("D2", "svc", on(time.Tuesday, 10, 0), ok),
				incident("I1", "svc", on(time.Monday, 11, 0), time.Time{}, "D1"),
			),
			valid: false, count: 0, stillFailed: 1,
		},
		{
			name: "one open incident among two keeps the deployment failed",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				incident("I1", "svc", on(time.Monday, 11, 0), on(time.Monday, 12, 0), "D1"),
				incident("I2", "svc", on(time.Monday, 13, 0), time.Time{}, "D1"),
			),
			valid: false, count: 0, stillFailed: 1,
		},
		{
			name: "a recovery counts in the range that holds the recovery",
			events: set(
				// Failed Sunday 20:00 before the week, recovered Monday 02:00: in.
				dep("D1", "svc", mon.Add(-4*time.Hour), fail),
				dep("D2", "svc", mon.Add(2*time.Hour), ok),
				// Failed Sunday 22:00 of the week, recovered next Monday 01:00: out.
				dep("D3", "svc", on(time.Sunday, 22, 0), fail),
				dep("D4", "svc", mon.AddDate(0, 0, 7).Add(time.Hour), ok),
			),
			valid: true, want: hours(6), count: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := wholeWeek("failed_deployment_recovery_time")
			if tt.agg != "" {
				req.Aggregation = tt.agg
			}
			sum := summarize(t, tt.events, req)
			v := single(t, sum)
			require.Equal(t, tt.valid, v.Valid)
			if tt.valid {
				requireValue(t, tt.want, v)
			}
			require.Equal(t, tt.count, v.Count)
			require.Equal(t, tt.stillFailed, sum.Notes.StillFailed)
		})
	}
}

func TestReworkRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events *events.Set
		valid  bool
		want   float64
		count  int
	}{
		{
			name: "the first success after a failure is rework and the next one is not",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), fail),
				dep("D2", "svc", on(time.Monday, 12, 0), ok),
				dep("D3", "svc", on(time.Monday, 14, 0), ok),
			),
			valid: true, want: 0.5, count: 2, // D2 of {D2, D3}
		},
		{
			name: "two failures in a row make one rework",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), fail),
				dep("D2", "svc", on(time.Monday, 11, 0), fail),
				dep("D3", "svc", on(time.Monday, 12, 0), ok),
				dep("D4", "svc", on(time.Monday, 13, 0), ok),
			),
			valid: true, want: 0.5, count: 2, // D3 of {D3, D4}
		},
		{
			name: "a rollback is rework",
			events: set(
				dep("D1", "svc", on(time.Monday, 10, 0), ok),
				rollback(dep("D2", "svc", on(time.Monday, 12, 0), ok)),
			),
			valid: true, want: 0.5, count: 2, // D2 of {D1, D2}
		},
		{
			name: "a failure of another service makes no rework",
			events: set(
				dep("D1", "a", on(time.Monday, 10, 0), fail),
				dep("D2", "b", on(time.Monday, 12, 0), ok),
			),
			valid: true, want: 0, count: 1,
		},
		{
			name:   "with only failed deployments there is no rate",
			events: set(dep("D1", "svc", on(time.Monday, 10, 0), fail)),
			valid:  false, count: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := single(t, summarize(t, tt.events, wholeWeek("rework_rate")))
			require.Equal(t, tt.valid, v.Valid)
			if tt.valid {
				requireValue(t, tt.want, v)
			}
			require.Equal(t, tt.count, v.Count)
			require.Equal(t, engine.BandNone, v.Band, "rework rate has no bands")
		})
	}
}

func TestExperimentRuns(t *testing.T) {
	t.Parallel()
	// docs/metrics.md: runs of 4, 10 and 30 minutes over two days.
	s := set(
		run("r1", "svc", on(time.Monday, 9, 0), 4*time.Minute),
		run("r2", "svc", on(time.Monday, 14, 0), 10*time.Minute),
		run("r3", "svc", on(time.Tuesday, 10, 0), 30*time.Minute),
		run("running", "svc", on(time.Tuesday, 11, 0), 0),
		// Starts before the range and ends inside it: outside, as it counts at its start.
		run("before", "svc", on(time.Monday, 0, 0).Add(-time.Hour), 2*time.Hour),
	)
	twoDays := func(metric string) engine.Request {
		return ask(metric, on(time.Monday, 0, 0), on(time.Wednesday, 0, 0))
	}

	t.Run("iteration rate is runs started per day of the range", func(t *testing.T) {
		t.Parallel()
		v := single(t, summarize(t, s, twoDays("iteration_rate")))
		requireValue(t, 2, v) // r1, r2, r3 and the running one: 4 runs / 2 days
		require.Equal(t, 4, v.Count)
		require.Equal(t, engine.BandNone, v.Band)
	})

	t.Run("iteration rate in a 6 h bucket is its runs over a quarter day", func(t *testing.T) {
		t.Parallel()
		req := ask("iteration_rate", on(time.Monday, 0, 0), on(time.Tuesday, 0, 0))
		res, err := newEngine(s).Series(engine.SeriesRequest{Request: req, Step: 6 * time.Hour, Location: time.UTC})
		require.NoError(t, err)
		// r1 at 09:00 in 06-12, r2 at 14:00 in 12-18: 1 / 0.25 day = 4 per day.
		requireSeries(t, []float64{0, 4, 4, 0}, res.Series[0].Values)
	})

	t.Run("feedback time is the median of the ended runs", func(t *testing.T) {
		t.Parallel()
		v := single(t, summarize(t, s, twoDays("feedback_time")))
		requireValue(t, 10*60, v) // median of 4, 10, 30 min; the running run has no end
		require.Equal(t, 3, v.Count)
	})

	t.Run("mean feedback time is 44 minutes over three", func(t *testing.T) {
		t.Parallel()
		req := twoDays("feedback_time")
		req.Aggregation = query.AggMean
		requireValue(t, 44.0/3*60, single(t, summarize(t, s, req))) // (4 + 10 + 30) / 3 min
	})

	t.Run("the docs example: three runs over two days is 1.5 a day", func(t *testing.T) {
		t.Parallel()
		three := set(s.Runs[0], s.Runs[1], s.Runs[2])
		requireValue(t, 1.5, single(t, summarize(t, three, twoDays("iteration_rate")))) // 3 / 2
	})
}

func TestTimeToBaseline(t *testing.T) {
	t.Parallel()
	march := func(d int) time.Time { return time.Date(2024, time.March, d, 0, 0, 0, 0, time.UTC) }
	s := set(
		// docs/metrics.md: kickoff 1 March, baseline 15 March.
		milestone("a-k", "a", events.MilestoneKickoff, march(1)),
		milestone("a-b", "a", events.MilestoneBaseline, march(15)),
		// A baseline before the kickoff does not count; the first after it does.
		milestone("b-b0", "b", events.MilestoneBaseline, time.Date(2024, time.February, 29, 0, 0, 0, 0, time.UTC)),
		milestone("b-k", "b", events.MilestoneKickoff, march(1)),
		milestone("b-b2", "b", events.MilestoneBaseline, march(10)),
		milestone("b-b1", "b", events.MilestoneBaseline, march(4)),
		// The first of two kickoffs counts.
		milestone("c-k2", "c", events.MilestoneKickoff, march(5)),
		milestone("c-k1", "c", events.MilestoneKickoff, march(2)),
		milestone("c-b", "c", events.MilestoneBaseline, march(9)),
		// A baseline at the very moment of the kickoff counts as zero.
		milestone("d-k", "d", events.MilestoneKickoff, march(3)),
		milestone("d-b", "d", events.MilestoneBaseline, march(3)),
		// No kickoff: nothing to measure.
		milestone("e-b", "e", events.MilestoneBaseline, march(20)),
	)
	req := ask("time_to_baseline", march(1), time.Date(2024, time.April, 1, 0, 0, 0, 0, time.UTC))
	req.GroupBy = []query.Dimension{query.DimService}
	got := byLabel(t, summarize(t, s, req), "service")

	tests := []struct {
		name, service string
		want          time.Duration
	}{
		{"kickoff 1 March to baseline 15 March is 14 days", "a", 14 * day},
		{"the first baseline at or after the kickoff counts: 1 to 4 March", "b", 3 * day},
		{"the first kickoff counts: 2 to 9 March", "c", 7 * day},
		{"a baseline at the kickoff is zero", "d", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, found := got[tt.service]
			require.True(t, found)
			requireValue(t, tt.want.Seconds(), v)
			require.Equal(t, 1, v.Count)
		})
	}

	t.Run("a service without a kickoff has no time to baseline", func(t *testing.T) {
		t.Parallel()
		require.NotContains(t, got, "e")
		require.Len(t, got, 4)
	})
}

func TestTimeToFirstProduction(t *testing.T) {
	t.Parallel()
	s := set(
		milestone("boot", "svc", events.MilestoneBootstrap, on(time.Monday, 9, 0)),
		milestone("boot-again", "svc", events.MilestoneBootstrap, on(time.Monday, 20, 0)),
		// Before the bootstrap: not the first production.
		dep("D0", "svc", on(time.Monday, 8, 0), ok),
		dep("D1", "svc", on(time.Monday, 12, 0), fail),
		inEnv("staging", dep("S1", "svc", on(time.Monday, 13, 0), ok)),
		dep("D2", "svc", on(time.Tuesday, 9, 0), ok),
		dep("D3", "svc", on(time.Wednesday, 9, 0), ok),
		// No bootstrap: nothing to measure.
		dep("X", "other", on(time.Monday, 10, 0), ok),
	)

	t.Run("the first success at or after the first bootstrap counts", func(t *testing.T) {
		t.Parallel()
		v := single(t, summarize(t, s, wholeWeek("time_to_first_production")))
		requireValue(t, hours(24), v) // Mon 09:00 to D2 Tue 09:00
		require.Equal(t, 1, v.Count)
	})

	t.Run("each environment has its own first deployment", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("time_to_first_production")
		req.Filters.Environment = []string{prod, "staging"}
		req.GroupBy = []query.Dimension{query.DimEnvironment}
		got := byLabel(t, summarize(t, s, req), "environment")
		require.Len(t, got, 2)
		requireValue(t, hours(24), got[prod])     // to D2
		requireValue(t, hours(4), got["staging"]) // Mon 09:00 to S1 13:00
	})

	t.Run("the observation sits at the deployment", func(t *testing.T) {
		t.Parallel()
		// [Mon, Tue) holds the bootstrap but not D2 at Tuesday 09:00.
		req := ask("time_to_first_production", on(time.Monday, 0, 0), on(time.Tuesday, 0, 0))
		v := single(t, summarize(t, s, req))
		require.False(t, v.Valid)
	})
}

func TestEmptyData(t *testing.T) {
	t.Parallel()
	durationsAndRates := []string{
		"lead_time", "lead_time_coding", "lead_time_review", "lead_time_deploy",
		"change_failure_rate", "time_to_restore", "failed_deployment_recovery_time",
		"rework_rate", "feedback_time", "time_to_baseline", "time_to_first_production",
	}
	for _, id := range durationsAndRates {
		t.Run(id+" is null in a summary of nothing", func(t *testing.T) {
			t.Parallel()
			v := single(t, summarize(t, set(), wholeWeek(id)))
			require.False(t, v.Valid)
			require.Equal(t, 0, v.Count)
			require.Equal(t, engine.BandNone, v.Band, "a missing value has no band")
		})
		t.Run(id+" has one series of nulls over nothing", func(t *testing.T) {
			t.Parallel()
			res, err := newEngine(set()).Series(daily(wholeWeek(id)))
			require.NoError(t, err)
			require.Len(t, res.Series, 1)
			require.Len(t, res.Times, 7)
			for i, p := range res.Series[0].Values {
				require.Nil(t, p, "point %d", i)
			}
		})
	}

	t.Run("deployment frequency is zero in a summary of nothing", func(t *testing.T) {
		t.Parallel()
		v := single(t, summarize(t, set(), wholeWeek("deployment_frequency")))
		require.True(t, v.Valid)
		require.Zero(t, v.Value)
		require.Equal(t, 0, v.Count)
	})

	t.Run("deployment frequency is a series of zeros over nothing", func(t *testing.T) {
		t.Parallel()
		res, err := newEngine(set()).Series(daily(wholeWeek("deployment_frequency")))
		require.NoError(t, err)
		require.Len(t, res.Series, 1)
		requireSeries(t, []float64{0, 0, 0, 0, 0, 0, 0}, res.Series[0].Values)
	})

	t.Run("data outside the range still answers with exactly one group", func(t *testing.T) {
		t.Parallel()
		s := set(dep("D", "svc", on(time.Monday, 10, 0), ok))
		req := ask("change_failure_rate", week.AddDate(0, 1, 0), week.AddDate(0, 2, 0))
		v := single(t, summarize(t, s, req))
		require.False(t, v.Valid)
		require.Empty(t, v.Labels)
	})

	t.Run("an empty range is an error", func(t *testing.T) {
		t.Parallel()
		_, err := newEngine(set()).Summary(ask("lead_time", week, week))
		require.Error(t, err)
	})
}

func TestLookup(t *testing.T) {
	t.Parallel()
	// The ids of the metrics table of docs/queries.md, and whether it gives
	// each a band.
	want := map[string]bool{
		"deployment_frequency": true, "lead_time": true, "lead_time_coding": false,
		"lead_time_review": false, "lead_time_deploy": false, "change_failure_rate": true,
		"time_to_restore": true, "failed_deployment_recovery_time": true, "rework_rate": false,
		"iteration_rate": false, "feedback_time": false, "time_to_baseline": false,
		"time_to_first_production": false,
	}
	for id, banded := range want {
		t.Run(id+" is known and banded as documented", func(t *testing.T) {
			t.Parallel()
			m := engine.Lookup(id)
			require.NotNil(t, m)
			require.Equal(t, id, m.ID)
			require.Equal(t, banded, m.Bands != nil)
		})
	}

	t.Run("every listed metric is documented", func(t *testing.T) {
		t.Parallel()
		require.Len(t, engine.Metrics, len(want))
		for _, m := range engine.Metrics {
			require.Contains(t, want, m.ID)
		}
	})

	t.Run("an unknown id finds nothing", func(t *testing.T) {
		t.Parallel()
		require.Nil(t, engine.Lookup("mean_time_to_coffee"))
	})
}
