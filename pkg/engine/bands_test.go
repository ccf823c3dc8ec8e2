package engine_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

func TestBandsAtTheirLimits(t *testing.T) {
	t.Parallel()
	const (
		h   = 3600.0
		d   = 24 * h
		eps = 1e-9
	)
	tests := []struct {
		metric string
		value  float64
		want   engine.Band
	}{
		// Deployment frequency per day: at least 1, 1/7, 1/30.
		{"deployment_frequency", 3, engine.BandElite},
		{"deployment_frequency", 1, engine.BandElite},
		{"deployment_frequency", 1 - eps, engine.BandHigh},
		{"deployment_frequency", 1.0 / 7, engine.BandHigh},
		{"deployment_frequency", 1.0/7 - eps, engine.BandMedium},
		{"deployment_frequency", 1.0 / 30, engine.BandMedium},
		{"deployment_frequency", 1.0/30 - eps, engine.BandLow},
		{"deployment_frequency", 0, engine.BandLow},
		// Lead time: under a day, a week, a month (30 days).
		{"lead_time", 0, engine.BandElite},
		{"lead_time", d - 1, engine.BandElite},
		{"lead_time", d, engine.BandHigh},
		{"lead_time", 7*d - 1, engine.BandHigh},
		{"lead_time", 7 * d, engine.BandMedium},
		{"lead_time", 30*d - 1, engine.BandMedium},
		{"lead_time", 30 * d, engine.BandLow},
		// Change failure rate: at most 5%, 10%, 15%, limits included.
		{"change_failure_rate", 0, engine.BandElite},
		{"change_failure_rate", 0.05, engine.BandElite},
		{"change_failure_rate", 0.05 + eps, engine.BandHigh},
		{"change_failure_rate", 0.10, engine.BandHigh},
		{"change_failure_rate", 0.10 + eps, engine.BandMedium},
		{"change_failure_rate", 0.15, engine.BandMedium},
		{"change_failure_rate", 0.15 + eps, engine.BandLow},
		{"change_failure_rate", 1, engine.BandLow},
		// Recovery: under an hour, a day, a week.
		{"time_to_restore", h - 1, engine.BandElite},
		{"time_to_restore", h, engine.BandHigh},
		{"time_to_restore", d - 1, engine.BandHigh},
		{"time_to_restore", d, engine.BandMedium},
		{"time_to_restore", 7*d - 1, engine.BandMedium},
		{"time_to_restore", 7 * d, engine.BandLow},
		{"failed_deployment_recovery_time", h - 1, engine.BandElite},
		{"failed_deployment_recovery_time", h, engine.BandHigh},
		{"failed_deployment_recovery_time", d - 1, engine.BandHigh},
		{"failed_deployment_recovery_time", d, engine.BandMedium},
		{"failed_deployment_recovery_time", 7*d - 1, engine.BandMedium},
		{"failed_deployment_recovery_time", 7 * d, engine.BandLow},
	}
	for _, tt := range tests {
		t.Run(tt.metric+" at "+strconv.FormatFloat(tt.value, 'g', 8, 64)+" is "+string(tt.want), func(t *testing.T) {
			t.Parallel()
			m := engine.Lookup(tt.metric)
			require.NotNil(t, m.Bands)
			require.Equal(t, tt.want, m.Bands.Of(tt.value))
		})
	}
}

func TestSummaryBands(t *testing.T) {
	t.Parallel()
	// deploys returns n successful deployments, one per hour from Monday,
	// the first k of them failed by status.
	deploys := func(n, k int) *events.Set {
		s := set()
		for i := range n {
			status := ok
			if i < k {
				status = fail
			}
			s.Deployments = append(s.Deployments, dep(string(rune('a'+i)), "svc", week.Add(time.Duration(i)*time.Hour), status))
		}
		return s
	}
	tests := []struct {
		name   string
		events *events.Set
		req    engine.Request
		want   float64
		band   engine.Band
	}{
		{"seven deployments in seven days are daily: elite", deploys(7, 0), wholeWeek("deployment_frequency"), 1, engine.BandElite},
		{"one deployment in seven days is weekly: high", deploys(1, 0), wholeWeek("deployment_frequency"), 1.0 / 7, engine.BandHigh},
		{"one deployment in 30 days is monthly: medium", deploys(1, 0), ask("deployment_frequency", week, week.AddDate(0, 0, 30)), 1.0 / 30, engine.BandMedium},
		{"one deployment in 31 days is less than monthly: low", deploys(1, 0), ask("deployment_frequency", week, week.AddDate(0, 0, 31)), 1.0 / 31, engine.BandLow},
		{"one failure in 20 deployments is 5%: elite", deploys(20, 1), wholeWeek("change_failure_rate"), 0.05, engine.BandElite},
		{"two failures in 20 deployments is 10%: high", deploys(20, 2), wholeWeek("change_failure_rate"), 0.10, engine.BandHigh},
		{"three failures in 20 deployments is 15%: medium", deploys(20, 3), wholeWeek("change_failure_rate"), 0.15, engine.BandMedium},
		{"four failures in 20 deployments is 20%: low", deploys(20, 4), wholeWeek("change_failure_rate"), 0.20, engine.BandLow},
		{
			"a lead time of exactly one day is high",
			set(change("c", "svc", on(time.Monday, 9, 0)), dep("D", "svc", on(time.Tuesday, 9, 0), ok, "c")),
			wholeWeek("lead_time"), hours(24), engine.BandHigh,
		},
		{
			"an incident of exactly one hour is high",
			set(incident("i", "svc", on(time.Monday, 9, 0), on(time.Monday, 10, 0), "")),
			wholeWeek("time_to_restore"), hours(1), engine.BandHigh,
		},
		{
			"an incident of 59 minutes is elite",
			set(incident("i", "svc", on(time.Monday, 9, 0), on(time.Monday, 9, 59), "")),
			wholeWeek("time_to_restore"), 59 * 60, engine.BandElite,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := single(t, summarize(t, tt.events, tt.req))
			requireValue(t, tt.want, v)
			require.Equal(t, tt.band, v.Band)
		})
	}

	t.Run("metrics without bands leave the band empty", func(t *testing.T) {
		t.Parallel()
		s := set(
			reviewed("c", "svc", on(time.Monday, 8, 0), on(time.Monday, 9, 0), on(time.Monday, 10, 0)),
			dep("D", "svc", on(time.Monday, 12, 0), ok, "c"),
			run("r", "svc", on(time.Monday, 8, 0), time.Minute),
		)
		for _, id := range []string{"lead_time_coding", "lead_time_review", "lead_time_deploy", "rework_rate", "iteration_rate", "feedback_time"} {
			v := single(t, summarize(t, s, wholeWeek(id)))
			require.True(t, v.Valid, id)
			require.Equal(t, engine.BandNone, v.Band, id)
		}
	})
}
