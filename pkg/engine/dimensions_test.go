package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

func TestEnvironments(t *testing.T) {
	t.Parallel()
	s := set(
		change("X", "svc", on(time.Monday, 9, 0)),
		inEnv("staging", dep("S1", "svc", on(time.Monday, 12, 0), ok, "X")),
		inEnv("staging", dep("S2", "svc", on(time.Tuesday, 12, 0), ok)),
		inEnv("staging", dep("S3", "svc", on(time.Wednesday, 12, 0), ok)),
		dep("D1", "svc", on(time.Tuesday, 9, 0), ok, "X"),
		dep("D2", "svc", on(time.Thursday, 9, 0), ok),
	)
	both := []string{"staging", prod}

	t.Run("only production counts by default", func(t *testing.T) {
		t.Parallel()
		v := single(t, summarize(t, s, wholeWeek("deployment_frequency")))
		require.Equal(t, 2, v.Count) // D1, D2; the three staging ones do not count
	})

	t.Run("two environments grouped by environment give two groups", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("deployment_frequency")
		req.Filters.Environment = both
		req.GroupBy = []query.Dimension{query.DimEnvironment}
		got := byLabel(t, summarize(t, s, req), "environment")
		require.Len(t, got, 2)
		requireValue(t, 2.0/7, got[prod])      // D1, D2 over 7 days
		requireValue(t, 3.0/7, got["staging"]) // S1, S2, S3 over 7 days
	})

	t.Run("two environments ungrouped add up in one group", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("deployment_frequency")
		req.Filters.Environment = both
		v := single(t, summarize(t, s, req))
		require.Equal(t, 5, v.Count)
	})

	t.Run("a change is shipped in each environment on its own", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("lead_time")
		req.Filters.Environment = both
		req.GroupBy = []query.Dimension{query.DimEnvironment}
		got := byLabel(t, summarize(t, s, req), "environment")
		requireValue(t, hours(24), got[prod])     // Mon 09:00 to D1 Tue 09:00
		requireValue(t, hours(3), got["staging"]) // Mon 09:00 to S1 Mon 12:00
	})

	t.Run("the data source's production environment applies without a filter", func(t *testing.T) {
		t.Parallel()
		sum, err := engine.New(s, "staging", engine.DefaultAttributionWindow).Summary(wholeWeek("deployment_frequency"))
		require.NoError(t, err)
		require.Equal(t, 3, single(t, sum).Count)
	})

	t.Run("a time series grouped by environment has one series per environment", func(t *testing.T) {
		t.Parallel()
		req := daily(wholeWeek("deployment_frequency"))
		req.Filters.Environment = both
		req.GroupBy = []query.Dimension{query.DimEnvironment}
		res, err := newEngine(s).Series(req)
		require.NoError(t, err)
		require.Len(t, res.Series, 2)
		for _, ser := range res.Series {
			switch ser.Labels["environment"] {
			case prod:
				requireSeries(t, []float64{0, 1, 0, 1, 0, 0, 0}, ser.Values) // Tue, Thu
			case "staging":
				requireSeries(t, []float64{1, 1, 1, 0, 0, 0, 0}, ser.Values) // Mon, Tue, Wed
			default:
				require.Failf(t, "unexpected group", "%v", ser.Labels)
			}
		}
	})
}

// twoServices has two services of two teams. Every change ships with the
// deployment beside it.
func twoServices() *events.Set {
	return set(
		teamed("ml-a", withModel("churn-model", dep("C1", "churn", on(time.Monday, 10, 0), ok, "ch1"))),
		teamed("ml-a", withModel("churn-model", dep("C2", "churn", on(time.Tuesday, 10, 0), ok, "ch2"))),
		teamed("ml-b", withModel("fraud-model", dep("F1", "fraud", on(time.Monday, 11, 0), ok, "ch3"))),
		teamed("ml-a", change("ch1", "churn", on(time.Monday, 8, 0))),                             // 2 h
		teamed("ml-a", ofType(events.ChangeModel, change("ch2", "churn", on(time.Monday, 6, 0)))), // 28 h
		teamed("ml-b", ofType(events.ChangeData, change("ch3", "fraud", on(time.Monday, 10, 0)))), // 1 h
	)
}

func TestFiltersAndGroupBy(t *testing.T) {
	t.Parallel()
	s := twoServices()
	tests := []struct {
		name    string
		metric  string
		filters query.Filters
		groupBy query.Dimension
		want    map[string]float64 // per group label value; "" when ungrouped
	}{
		{
			name: "deployments grouped by service", metric: "deployment_frequency", groupBy: query.DimService,
			want: map[string]float64{"churn": 2.0 / 7, "fraud": 1.0 / 7},
		},
		{
			name: "deployments filtered to one service", metric: "deployment_frequency",
			filters: query.Filters{Service: []string{"fraud"}},
			want:    map[string]float64{"": 1.0 / 7},
		},
		{
			name: "deployments grouped by team", metric: "deployment_frequency", groupBy: query.DimTeam,
			want: map[string]float64{"ml-a": 2.0 / 7, "ml-b": 1.0 / 7},
		},
		{
			name: "deployments filtered to one team", metric: "deployment_frequency",
			filters: query.Filters{Team: []string{"ml-a"}},
			want:    map[string]float64{"": 2.0 / 7},
		},
		{
			name: "deployments grouped by the model they serve", metric: "deployment_frequency", groupBy: query.DimModel,
			want: map[string]float64{"churn-model": 2.0 / 7, "fraud-model": 1.0 / 7},
		},
		{
			name: "a filter on a dimension deployments lack is ignored", metric: "deployment_frequency",
			filters: query.Filters{ChangeType: []string{"model"}},
			want:    map[string]float64{"": 3.0 / 7},
		},
		{
			name: "a filter matching nothing leaves one empty group", metric: "deployment_frequency",
			filters: query.Filters{Service: []string{"nope"}},
			want:    map[string]float64{"": 0},
		},
		{
			name: "lead time grouped by change type", metric: "lead_time", groupBy: query.DimChangeType,
			want: map[string]float64{"code": hours(2), "model": hours(28), "data": hours(1)},
		},
		{
			name: "lead time filtered to model changes", metric: "lead_time",
			filters: query.Filters{ChangeType: []string{"model"}},
			want:    map[string]float64{"": hours(28)},
		},
		{
			// churn-model: median of ch1's 2 h and ch2's 28 h = 15 h.
			name: "lead time grouped by the model of the shipping deployment", metric: "lead_time", groupBy: query.DimModel,
			want: map[string]float64{"churn-model": hours(15), "fraud-model": hours(1)},
		},
		{
			name: "lead time filtered to two services", metric: "lead_time",
			filters: query.Filters{Service: []string{"churn", "fraud"}},
			want:    map[string]float64{"": hours(2)}, // median of {1, 2, 28}
		},
		{
			name: "lead time filtered by team and change type together", metric: "lead_time",
			filters: query.Filters{Team: []string{"ml-a"}, ChangeType: []string{"code", "data"}},
			want:    map[string]float64{"": hours(2)}, // ch1 only: ch3 is ml-b's
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := wholeWeek(tt.metric)
			req.Filters = tt.filters
			label := ""
			if tt.groupBy != "" {
				req.GroupBy = []query.Dimension{tt.groupBy}
				label = string(tt.groupBy)
			}
			sum := summarize(t, s, req)
			require.Len(t, sum.Values, len(tt.want))
			for _, v := range sum.Values {
				key := v.Labels[label]
				want, found := tt.want[key]
				require.True(t, found, "unexpected group %q", key)
				requireValue(t, want, v, "group %q", key)
			}
		})
	}

	t.Run("grouping by two dimensions labels each group with both", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("deployment_frequency")
		req.GroupBy = []query.Dimension{query.DimService, query.DimTeam}
		sum := summarize(t, s, req)
		require.Len(t, sum.Values, 2)
		for _, v := range sum.Values {
			require.Len(t, v.Labels, 2)
			wantTeam := map[string]string{"churn": "ml-a", "fraud": "ml-b"}[v.Labels["service"]]
			require.Equal(t, wantTeam, v.Labels["team"])
		}
	})

	t.Run("the team of a service groups events that name none", func(t *testing.T) {
		t.Parallel()
		fallback := set(
			dep("D1", "svc", on(time.Monday, 10, 0), ok, "c1"),
			dep("D2", "svc", on(time.Tuesday, 10, 0), ok),
			teamed("alpha", milestone("m", "svc", events.MilestoneKickoff, on(time.Monday, 0, 0))),
			change("c1", "svc", on(time.Monday, 9, 0)),
		)
		for _, metric := range []string{"deployment_frequency", "lead_time"} {
			req := wholeWeek(metric)
			req.GroupBy = []query.Dimension{query.DimTeam}
			got := byLabel(t, summarize(t, fallback, req), "team")
			require.Len(t, got, 1, metric)
			require.Contains(t, got, "alpha", metric)
		}
	})
}

func TestGroupingByAMissingDimensionIsAnError(t *testing.T) {
	t.Parallel()
	// The dimensions table of docs/metrics.md, the dimensions each metric lacks.
	tests := []struct {
		metric string
		lacks  []query.Dimension
	}{
		{"deployment_frequency", []query.Dimension{query.DimChangeType}},
		{"change_failure_rate", []query.Dimension{query.DimChangeType}},
		{"failed_deployment_recovery_time", []query.Dimension{query.DimChangeType}},
		{"rework_rate", []query.Dimension{query.DimChangeType}},
		{"time_to_restore", []query.Dimension{query.DimEnvironment, query.DimChangeType}},
		{"iteration_rate", []query.Dimension{query.DimEnvironment, query.DimChangeType, query.DimModel}},
		{"feedback_time", []query.Dimension{query.DimEnvironment, query.DimChangeType, query.DimModel}},
		{"time_to_baseline", []query.Dimension{query.DimEnvironment, query.DimChangeType, query.DimModel}},
		{"time_to_first_production", []query.Dimension{query.DimChangeType, query.DimModel}},
	}
	e := newEngine(twoServices())
	for _, tt := range tests {
		for _, dim := range tt.lacks {
			t.Run(tt.metric+" cannot be grouped by "+string(dim), func(t *testing.T) {
				t.Parallel()
				req := wholeWeek(tt.metric)
				req.GroupBy = []query.Dimension{dim}
				_, err := e.Summary(req)
				require.ErrorContains(t, err, string(dim))
				_, err = e.Series(daily(req))
				require.ErrorContains(t, err, string(dim))
			})
		}
	}

	// Every other pairing of the table is allowed.
	for _, m := range engine.Metrics {
		for _, dim := range query.Dimensions {
			lacking := false
			for _, tt := range tests {
				if tt.metric == m.ID {
					for _, d := range tt.lacks {
						lacking = lacking || d == dim
					}
				}
			}
			if lacking {
				continue
			}
			t.Run(m.ID+" can be grouped by "+string(dim), func(t *testing.T) {
				t.Parallel()
				req := wholeWeek(m.ID)
				req.GroupBy = []query.Dimension{dim}
				_, err := e.Summary(req)
				require.NoError(t, err)
			})
		}
	}
}

func TestTimeToRestoreDimensions(t *testing.T) {
	t.Parallel()
	s := set(
		withModel("churn-model", dep("D1", "churn", on(time.Monday, 10, 0), ok)),
		inEnv("staging", withModel("churn-model", dep("S1", "churn", on(time.Monday, 11, 0), ok))),
		incident("i1", "churn", on(time.Monday, 12, 0), on(time.Monday, 14, 0), "D1"), // 2 h
		incident("i2", "churn", on(time.Monday, 12, 0), on(time.Monday, 15, 0), "S1"), // 3 h
		incident("i3", "other", on(time.Monday, 12, 0), on(time.Monday, 17, 0), ""),   // 5 h
	)

	t.Run("incidents group by the model of their production deployment", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("time_to_restore")
		req.GroupBy = []query.Dimension{query.DimModel}
		got := byLabel(t, summarize(t, s, req), "model")
		require.Len(t, got, 2)
		requireValue(t, hours(2), got["churn-model"]) // i1, named D1
		// i2 names a staging deployment and i3 none: no model. Median of 3 h and 5 h.
		requireValue(t, hours(4), got[""])
	})

	t.Run("a model filter keeps the incidents of that model's deployments", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("time_to_restore")
		req.Filters.Model = []string{"churn-model"}
		v := single(t, summarize(t, s, req))
		requireValue(t, hours(2), v)
		require.Equal(t, 1, v.Count)
	})

	t.Run("an environment filter does not narrow the incidents", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("time_to_restore")
		req.Filters.Environment = []string{"staging"}
		v := single(t, summarize(t, s, req))
		requireValue(t, hours(3), v) // median of 2, 3 and 5 h: every incident counts
		require.Equal(t, 3, v.Count)
	})

	t.Run("a service filter keeps that service's incidents", func(t *testing.T) {
		t.Parallel()
		req := wholeWeek("time_to_restore")
		req.Filters.Service = []string{"other"}
		requireValue(t, hours(5), single(t, summarize(t, s, req)))
	})
}
