package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

func TestAggregate(t *testing.T) {
	t.Parallel()
	// Percentile p of n sorted values sits at rank h = (n-1)p and is
	// x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
	tests := []struct {
		name   string
		agg    query.Aggregation
		values []float64
		want   float64
	}{
		{"the median of an even count is the mean of the middle two", query.AggMedian, []float64{4, 1, 3, 2}, 2.5}, // (2+3)/2
		{"p75 of 1..4 interpolates a quarter of the way from 3 to 4", query.AggP75, []float64{4, 1, 3, 2}, 3.25},   // h = 2.25
		{"p90 of 1..4 interpolates 70% of the way from 3 to 4", query.AggP90, []float64{4, 1, 3, 2}, 3.7},          // h = 2.7
		{"the mean of 1..4", query.AggMean, []float64{4, 1, 3, 2}, 2.5},
		{"the min of 1..4", query.AggMin, []float64{4, 1, 3, 2}, 1},
		{"the max of 1..4", query.AggMax, []float64{4, 1, 3, 2}, 4},
		{"the median of an odd count is the middle value", query.AggMedian, []float64{10, 50, 30, 20, 40}, 30}, // h = 2
		{"p75 of five values lands on a rank", query.AggP75, []float64{10, 50, 30, 20, 40}, 40},                // h = 3
		{"p90 of five values", query.AggP90, []float64{10, 50, 30, 20, 40}, 46},                                // h = 3.6: 40 + 0.6*10
		{"the median of 1, 2, 10 ignores the outlier", query.AggMedian, []float64{10, 1, 2}, 2},                // h = 1
		{"p75 of 1, 2, 10", query.AggP75, []float64{10, 1, 2}, 6},                                              // h = 1.5: 2 + 0.5*8
		{"p90 of 1, 2, 10", query.AggP90, []float64{10, 1, 2}, 8.4},                                            // h = 1.8: 2 + 0.8*8
		{"the mean of 1, 2, 10", query.AggMean, []float64{10, 1, 2}, 13.0 / 3},
		{"p90 of one value is that value", query.AggP90, []float64{7}, 7},
		{"the median of one value is that value", query.AggMedian, []float64{7}, 7},
		{"the median of two equal values", query.AggMedian, []float64{5, 5}, 5},
		{"p90 of two values", query.AggP90, []float64{0, 100}, 90}, // h = 0.9
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			values := append([]float64(nil), tt.values...)
			got, ok := engine.Aggregate(tt.agg, values)
			require.True(t, ok)
			require.InDelta(t, tt.want, got, 1e-9)
		})
	}

	for _, agg := range query.Aggregations {
		t.Run("the "+string(agg)+" of nothing is missing, not zero", func(t *testing.T) {
			t.Parallel()
			_, ok := engine.Aggregate(agg, nil)
			require.False(t, ok)
		})
	}
}
