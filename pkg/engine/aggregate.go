package engine

import (
	"math"
	"math/bits"
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

// percentile selects the two ranks it needs rather than sorting: the value
// is the same, in linear rather than n log n time.
func percentile(values []float64, p float64) float64 {
	if slices.ContainsFunc(values, math.IsNaN) {
		// Selection needs a total order; sorting puts NaNs first.
		slices.Sort(values)
		return interpolate(values, p)
	}
	h := float64(len(values)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	x := nth(values, i)
	if i+1 >= len(values) {
		return x
	}
	// nth left the larger values after i; the next rank is their least.
	return x + (h-lo)*(slices.Min(values[i+1:])-x)
}

// interpolate is percentile over sorted values.
func interpolate(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[i]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// nth reorders values so that values[k] is the value of rank k, everything
// before it is at most that and everything after at least, and returns it.
// It is a quickselect with three-way partitions, which keeps runs of equal
// values cheap, and falls back to sorting when the pivots keep missing.
func nth(values []float64, k int) float64 {
	lo, hi := 0, len(values)
	for budget := 2 * bits.Len(uint(len(values))); hi-lo > 12; budget-- {
		if budget == 0 {
			slices.Sort(values[lo:hi])
			return values[k]
		}
		part := values[lo:hi]
		less, more := partition3(part, medianOf3(part[0], part[len(part)/2], part[len(part)-1]))
		switch {
		case k < lo+less:
			hi = lo + less
		case k >= lo+more:
			lo += more
		default:
			return values[k]
		}
	}
	slices.Sort(values[lo:hi])
	return values[k]
}

// partition3 reorders s into values below pivot, s[:less], values equal to
// it, s[less:more], and values above it.
func partition3(s []float64, pivot float64) (less, more int) {
	less, more = 0, len(s)
	for i := 0; i < more; {
		switch x := s[i]; {
		case x < pivot:
			s[i], s[less] = s[less], x
			less++
			i++
		case x > pivot:
			more--
			s[i], s[more] = s[more], x
		default:
			i++
		}
	}
	return less, more
}

func medianOf3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}
