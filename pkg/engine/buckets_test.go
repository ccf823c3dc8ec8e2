package engine_test

import (
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin without relying on the host's zoneinfo

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// instants writes times as UTC RFC 3339, so that a failure reads plainly.
func instants(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.UTC().Format(time.RFC3339)
	}
	return out
}

func TestBuckets(t *testing.T) {
	t.Parallel()
	be := berlin(t)
	local := func(y int, m time.Month, d, hh int) time.Time { return time.Date(y, m, d, hh, 0, 0, 0, be) }
	tests := []struct {
		name     string
		from, to time.Time
		step     time.Duration
		loc      *time.Location
		want     []string
	}{
		{
			name: "daily UTC buckets of a range from midnight to midnight",
			from: utc("2024-03-04T00:00:00Z"), to: utc("2024-03-06T00:00:00Z"), step: day, loc: time.UTC,
			want: []string{"2024-03-04T00:00:00Z", "2024-03-05T00:00:00Z", "2024-03-06T00:00:00Z"},
		},
		{
			name: "a range from mid-day starts at that day's midnight and its end day is covered",
			from: utc("2024-03-04T10:00:00Z"), to: utc("2024-03-05T10:00:00Z"), step: day, loc: time.UTC,
			want: []string{"2024-03-04T00:00:00Z", "2024-03-05T00:00:00Z", "2024-03-06T00:00:00Z"},
		},
		{
			// Clocks go forward on 31 March 2024: that day lasts 23 h.
			name: "daily Berlin buckets start at local midnight across the 23-hour day",
			from: local(2024, time.March, 30, 0), to: local(2024, time.April, 2, 0), step: day, loc: be,
			want: []string{
				"2024-03-29T23:00:00Z", // 30 Mar 00:00 CET
				"2024-03-30T23:00:00Z", // 31 Mar 00:00 CET
				"2024-03-31T22:00:00Z", // 1 Apr 00:00 CEST, 23 h later
				"2024-04-01T22:00:00Z", // 2 Apr 00:00 CEST
			},
		},
		{
			// Clocks go back on 27 October 2024: that day lasts 25 h.
			name: "daily Berlin buckets start at local midnight across the 25-hour day",
			from: local(2024, time.October, 26, 0), to: local(2024, time.October, 29, 0), step: day, loc: be,
			want: []string{
				"2024-10-25T22:00:00Z", // 26 Oct 00:00 CEST
				"2024-10-26T22:00:00Z", // 27 Oct 00:00 CEST
				"2024-10-27T23:00:00Z", // 28 Oct 00:00 CET, 25 h later
				"2024-10-28T23:00:00Z", // 29 Oct 00:00 CET
			},
		},
		{
			name: "weekly buckets start on Monday",
			from: utc("2024-03-06T12:00:00Z"), to: utc("2024-03-20T00:00:00Z"), step: 7 * day, loc: time.UTC,
			want: []string{"2024-03-04T00:00:00Z", "2024-03-11T00:00:00Z", "2024-03-18T00:00:00Z", "2024-03-25T00:00:00Z"},
		},
		{
			name: "a Sunday belongs to the week of the Monday before it",
			from: utc("2024-03-10T10:00:00Z"), to: utc("2024-03-11T00:00:00Z"), step: 7 * day, loc: time.UTC,
			want: []string{"2024-03-04T00:00:00Z", "2024-03-11T00:00:00Z"},
		},
		{
			name: "a range from Monday midnight starts its own week",
			from: utc("2024-03-11T00:00:00Z"), to: utc("2024-03-11T01:00:00Z"), step: 7 * day, loc: time.UTC,
			want: []string{"2024-03-11T00:00:00Z", "2024-03-18T00:00:00Z"},
		},
		{
			name: "weekly Berlin buckets start at local Monday midnight, one of them 167 h long",
			from: local(2024, time.March, 27, 12), to: local(2024, time.April, 3, 0), step: 7 * day, loc: be,
			want: []string{
				"2024-03-24T23:00:00Z", // Mon 25 Mar 00:00 CET
				"2024-03-31T22:00:00Z", // Mon 1 Apr 00:00 CEST
				"2024-04-07T22:00:00Z", // Mon 8 Apr 00:00 CEST
			},
		},
		{
			name: "6 h UTC buckets from midnight",
			from: utc("2024-03-04T00:00:00Z"), to: utc("2024-03-04T12:00:00Z"), step: 6 * time.Hour, loc: time.UTC,
			want: []string{"2024-03-04T00:00:00Z", "2024-03-04T06:00:00Z", "2024-03-04T12:00:00Z"},
		},
		{
			name: "6 h UTC buckets of a range between boundaries cover it from the bucket before",
			from: utc("2024-03-04T07:00:00Z"), to: utc("2024-03-04T13:00:00Z"), step: 6 * time.Hour, loc: time.UTC,
			want: []string{"2024-03-04T06:00:00Z", "2024-03-04T12:00:00Z", "2024-03-04T18:00:00Z"},
		},
		{
			name: "6 h Berlin buckets on a plain day sit at 00, 06, 12 and 18 local",
			from: local(2024, time.March, 5, 0), to: local(2024, time.March, 6, 0), step: 6 * time.Hour, loc: be,
			want: []string{
				"2024-03-04T23:00:00Z", "2024-03-05T05:00:00Z", "2024-03-05T11:00:00Z",
				"2024-03-05T17:00:00Z", "2024-03-05T23:00:00Z",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := engine.Buckets(tt.from, tt.to, tt.step, tt.loc)
			require.NoError(t, err)
			require.Equal(t, tt.want, instants(got))
		})
	}
}

func TestSubDayBucketsRestartAtLocalMidnight(t *testing.T) {
	t.Parallel()
	be := berlin(t)
	tests := []struct {
		name   string
		day    time.Time // local midnight of the odd day
		hourly int       // how many 1 h buckets that day holds
	}{
		{"on the 23-hour day of spring", time.Date(2024, time.March, 31, 0, 0, 0, 0, be), 23},
		{"on the 25-hour day of autumn", time.Date(2024, time.October, 27, 0, 0, 0, 0, be), 25},
	}
	for _, tt := range tests {
		next := tt.day.AddDate(0, 0, 1)
		t.Run("6 h buckets "+tt.name+" start the next day at local midnight", func(t *testing.T) {
			t.Parallel()
			bounds, err := engine.Buckets(tt.day, next.Add(12*time.Hour), 6*time.Hour, be)
			require.NoError(t, err)
			require.True(t, bounds[0].Equal(tt.day), "the first bucket starts at %s", bounds[0])
			var sawMidnight bool
			for i := 1; i < len(bounds); i++ {
				length := bounds[i].Sub(bounds[i-1])
				require.Positive(t, length)
				require.LessOrEqual(t, length, 6*time.Hour)
				sawMidnight = sawMidnight || bounds[i].Equal(next)
			}
			require.True(t, sawMidnight, "a bucket starts at the next local midnight")
			// The day after is a plain one: 00, 06 and 12 local.
			tail := instants(bounds[len(bounds)-3:])
			require.Equal(t, instants([]time.Time{next, next.Add(6 * time.Hour), next.Add(12 * time.Hour)}), tail)
		})
		t.Run("1 h buckets "+tt.name+" number the hours of that day", func(t *testing.T) {
			t.Parallel()
			bounds, err := engine.Buckets(tt.day, next, time.Hour, be)
			require.NoError(t, err)
			require.Len(t, bounds, tt.hourly+1)
			require.True(t, bounds[len(bounds)-1].Equal(next))
		})
	}
}

func TestThirtyDayBucketsStartAtMidnight(t *testing.T) {
	t.Parallel()
	be := berlin(t)
	from := time.Date(2024, time.February, 10, 15, 0, 0, 0, be)
	to := time.Date(2024, time.June, 1, 0, 0, 0, 0, be)
	bounds, err := engine.Buckets(from, to, 30*day, be)
	require.NoError(t, err)
	require.False(t, bounds[0].After(from))
	require.True(t, bounds[1].After(from), "the first bucket overlaps the range")
	require.False(t, bounds[len(bounds)-1].Before(to))
	for i, b := range bounds {
		l := b.In(be)
		require.Zero(t, l.Hour()*60+l.Minute(), "bound %d at %s is not local midnight", i, l)
		if i > 0 {
			require.True(t, bounds[i-1].AddDate(0, 0, 30).Equal(b), "bound %d is 30 days after the one before", i)
		}
	}
}

func TestBucketsRefuse(t *testing.T) {
	t.Parallel()
	mon := utc("2024-03-04T00:00:00Z")
	tests := []struct {
		name     string
		from, to time.Time
		step     time.Duration
	}{
		{"an empty range", mon, mon, day},
		{"a range that ends before it starts", mon, mon.Add(-day), day},
		{"more buckets than a series may hold", mon, mon.AddDate(20, 0, 0), time.Hour}, // 175,000 > 100,000
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := engine.Buckets(tt.from, tt.to, tt.step, time.UTC)
			require.Error(t, err)
		})
	}
}

func TestAutoStep(t *testing.T) {
	t.Parallel()
	mon := utc("2024-03-04T00:00:00Z")
	tests := []struct {
		name     string
		interval time.Duration
		span     time.Duration // range length, used without an interval
		want     time.Duration
	}{
		{"30 s rounds up to an hour", 30 * time.Second, 0, time.Hour},
		{"an hour stays an hour", time.Hour, 0, time.Hour},
		{"61 min rounds up to a day", 61 * time.Minute, 0, day},
		{"a day stays a day", day, 0, day},
		{"25 h rounds up to a week", 25 * time.Hour, 0, 7 * day},
		{"a week stays a week", 7 * day, 0, 7 * day},
		{"8 days round up to 30 days", 8 * day, 0, 30 * day},
		{"90 days stay at 30 days, the largest step", 90 * day, 0, 30 * day},
		{"without an interval 50 h over a hundred points is an hour", 0, 50 * time.Hour, time.Hour}, // 30 min
		{"without an interval 10 days over a hundred points is a day", 0, 10 * day, day},            // 2.4 h
		{"without an interval two years over a hundred points is 30 days", 0, 730 * day, 30 * day},  // 7.3 d
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, engine.AutoStep(tt.interval, mon, mon.Add(tt.span)))
		})
	}
}

func TestSeriesBucketEdges(t *testing.T) {
	t.Parallel()
	mon := on(time.Monday, 0, 0)
	tue := on(time.Tuesday, 0, 0)

	t.Run("an observation at a bucket boundary belongs to the later bucket", func(t *testing.T) {
		t.Parallel()
		s := set(
			dep("D1", "svc", tue.Add(-time.Second), ok), // Mon 23:59:59
			dep("D2", "svc", tue, ok),                   // Tue 00:00:00
		)
		res, err := newEngine(s).Series(daily(ask("deployment_frequency", mon, on(time.Wednesday, 0, 0))))
		require.NoError(t, err)
		require.Equal(t, []string{"2024-03-04T00:00:00Z", "2024-03-05T00:00:00Z"}, instants(res.Times))
		requireSeries(t, []float64{1, 1}, res.Series[0].Values)
	})

	t.Run("a summary range holds its start and not its end", func(t *testing.T) {
		t.Parallel()
		s := set(
			dep("D1", "svc", mon, ok),
			dep("D2", "svc", tue, ok),
		)
		v := single(t, summarize(t, s, ask("deployment_frequency", mon, tue)))
		require.Equal(t, 1, v.Count) // D1 at from; D2 at to is out
		requireValue(t, 1, v)        // 1 deployment / 1 day
	})

	t.Run("a bucket boundary inside a lead time series splits by shipping time", func(t *testing.T) {
		t.Parallel()
		s := set(
			change("a", "svc", mon.Add(20*time.Hour)),
			dep("D1", "svc", tue, ok, "a"), // 4 h, shipped at Tue 00:00
		)
		res, err := newEngine(s).Series(daily(ask("lead_time", mon, on(time.Wednesday, 0, 0))))
		require.NoError(t, err)
		requireSeries(t, []float64{null, hours(4)}, res.Series[0].Values)
	})
}

func TestSeriesTimeZones(t *testing.T) {
	t.Parallel()
	be := berlin(t)
	s := set(
		dep("D1", "svc", utc("2024-03-30T23:30:00Z"), ok), // 31 Mar 00:30 CET in Berlin
		dep("D2", "svc", utc("2024-03-31T21:30:00Z"), ok), // 31 Mar 23:30 CEST in Berlin
		run("r1", "svc", utc("2024-03-31T12:00:00Z"), time.Minute),
		run("r2", "svc", utc("2024-10-27T12:00:00Z"), time.Minute),
	)

	t.Run("daily Berlin buckets put a deployment after local midnight on the next day", func(t *testing.T) {
		t.Parallel()
		req := engine.SeriesRequest{
			Request:  ask("deployment_frequency", time.Date(2024, time.March, 30, 0, 0, 0, 0, be), time.Date(2024, time.April, 1, 0, 0, 0, 0, be)),
			Step:     day,
			Location: be,
		}
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		require.Equal(t, []string{"2024-03-29T23:00:00Z", "2024-03-30T23:00:00Z"}, instants(res.Times))
		requireSeries(t, []float64{0, 2}, res.Series[0].Values) // both on 31 March, local
	})

	t.Run("the same deployments fall on two UTC days", func(t *testing.T) {
		t.Parallel()
		req := daily(ask("deployment_frequency", utc("2024-03-30T00:00:00Z"), utc("2024-04-01T00:00:00Z")))
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		requireSeries(t, []float64{1, 1}, res.Series[0].Values) // 30 Mar and 31 Mar, UTC
	})

	t.Run("a 23-hour day's run rate divides by 23/24 of a day", func(t *testing.T) {
		t.Parallel()
		day31 := time.Date(2024, time.March, 31, 0, 0, 0, 0, be)
		req := engine.SeriesRequest{Request: ask("iteration_rate", day31, day31.AddDate(0, 0, 1)), Step: day, Location: be}
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		requireSeries(t, []float64{24.0 / 23}, res.Series[0].Values) // 1 run / (23 / 24) day
	})

	t.Run("a 25-hour day's run rate divides by 25/24 of a day", func(t *testing.T) {
		t.Parallel()
		day27 := time.Date(2024, time.October, 27, 0, 0, 0, 0, be)
		req := engine.SeriesRequest{Request: ask("iteration_rate", day27, day27.AddDate(0, 0, 1)), Step: day, Location: be}
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		requireSeries(t, []float64{24.0 / 25}, res.Series[0].Values) // 1 run / (25 / 24) day
	})
}

func TestSeriesTrailingWindow(t *testing.T) {
	t.Parallel()

	t.Run("a 30-day window counts the 30 days ending at each bucket's end", func(t *testing.T) {
		t.Parallel()
		s := set(
			dep("a", "svc", utc("2024-03-02T12:00:00Z"), ok),
			dep("b", "svc", utc("2024-03-03T00:00:00Z"), ok),
			dep("c", "svc", utc("2024-03-03T12:00:00Z"), ok),
			dep("d", "svc", utc("2024-03-20T12:00:00Z"), ok),
			dep("e", "svc", utc("2024-04-01T10:00:00Z"), ok),
			dep("f", "svc", utc("2024-04-02T23:59:00Z"), ok),
			dep("g", "svc", utc("2024-04-03T05:00:00Z"), ok),
		)
		req := daily(ask("deployment_frequency", utc("2024-04-01T00:00:00Z"), utc("2024-04-04T00:00:00Z")))
		req.Window = 30 * day
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		// 1 Apr: [3 Mar, 2 Apr) holds b, c, d, e = 4 (a is a day early).
		// 2 Apr: [4 Mar, 3 Apr) holds d, e, f = 3.
		// 3 Apr: [5 Mar, 4 Apr) holds d, e, f, g = 4.
		requireSeries(t, []float64{4, 3, 4}, res.Series[0].Values)
		require.Equal(t, []string{"2024-04-01T00:00:00Z", "2024-04-02T00:00:00Z", "2024-04-03T00:00:00Z"}, instants(res.Times))
	})

	t.Run("a 2-day window takes the median lead time of two days", func(t *testing.T) {
		t.Parallel()
		s := set(
			change("a", "svc", on(time.Monday, 10, 0)),
			change("b", "svc", on(time.Tuesday, 8, 0)),
			change("c", "svc", on(time.Wednesday, 2, 0)),
			dep("D1", "svc", on(time.Monday, 12, 0), ok, "a"),    // 2 h
			dep("D2", "svc", on(time.Tuesday, 12, 0), ok, "b"),   // 4 h
			dep("D3", "svc", on(time.Wednesday, 12, 0), ok, "c"), // 10 h
		)
		req := daily(ask("lead_time", on(time.Monday, 0, 0), on(time.Friday, 0, 0)))
		req.Window = 2 * day
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		// Mon: {2}; Tue: {2, 4} = 3; Wed: {4, 10} = 7; Thu: {10}.
		requireSeries(t, []float64{hours(2), hours(3), hours(7), hours(10)}, res.Series[0].Values)
	})

	t.Run("a windowed rate is the share over the whole window", func(t *testing.T) {
		t.Parallel()
		s := set(
			dep("D1", "svc", on(time.Monday, 10, 0), fail),
			dep("D2", "svc", on(time.Tuesday, 10, 0), ok),
			dep("D3", "svc", on(time.Wednesday, 10, 0), ok),
		)
		req := daily(ask("change_failure_rate", on(time.Monday, 0, 0), on(time.Thursday, 0, 0)))
		req.Window = 2 * day
		req.Aggregation = query.AggMedian
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		// Mon: {D1} = 1; Tue: {D1, D2} = 1/2; Wed: {D2, D3} = 0.
		requireSeries(t, []float64{1, 0.5, 0}, res.Series[0].Values)
	})
}
