package engine

import (
	"math"
	"slices"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

// Aggregate reduces durations to one number. It reorders values. ok is false
// when values is empty: a duration with no data is null, never zero.
//
// Percentiles (the median is p50) interpolate linearly between the two
// nearest ranks: with n sorted values x[0..n-1], p lies at rank h = (n-1)p
// and the result is x[⌊h⌋] + (h-⌊h⌋)(x[⌊h⌋+1]-x[⌊h⌋]). This is the rule of
// numpy's default percentile and of spreadsheet PERCENTILE.INC.
func Aggregate(agg query.Aggregation, values []float64) (v float64, ok bool) {
	if len(values) == 0 {
		return 0, false
	}
	switch agg {
	case query.AggMean:
		sum := 0.0
		for _, x := range values {
			sum += x
		}
		return sum / float64(len(values)), true
	case query.AggMin:
		return slices.Min(values), true
	case query.AggMax:
		return slices.Max(values), true
	case query.AggP75:
		return percentile(values, 0.75), true
	case query.AggP90:
		return percentile(values, 0.90), true
	default:
		return percentile(values, 0.5), true
	}
}

func percentile(values []float64, p float64) float64 {
	slices.Sort(values)
	h := float64(len(values)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(values) {
		return values[i]
	}
	return values[i] + (h-lo)*(values[i+1]-values[i])
}
