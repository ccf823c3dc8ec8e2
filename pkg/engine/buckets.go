package engine

import (
	"fmt"
	"time"
)

// MaxBuckets bounds the points of one series.
const MaxBuckets = 100000

const dayDuration = 24 * time.Hour

// AutoStep rounds Grafana's interval up to one hour, one day, one week or
// 30 days. Without an interval it aims at about a hundred points.
func AutoStep(interval time.Duration, from, to time.Time) time.Duration {
	if interval <= 0 {
		interval = to.Sub(from) / 100
	}
	for _, step := range []time.Duration{time.Hour, dayDuration, 7 * dayDuration} {
		if interval <= step {
			return step
		}
	}
	return 30 * dayDuration
}

// Buckets returns the boundaries of the buckets that cover [from, to): n+1
// times for n buckets. Buckets are aligned in loc. A step shorter than a day
// counts from local midnight, so every day starts a bucket. A step of whole
// days starts at local midnight, on days counted from Monday 29 December
// 1969, so that weekly buckets start on Mondays.
func Buckets(from, to time.Time, step time.Duration, loc *time.Location) ([]time.Time, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("the time range is empty")
	}
	if n := to.Sub(from) / step; n > MaxBuckets {
		return nil, fmt.Errorf("%d buckets of %s is too many (at most %d): choose a larger bucket", n, step, MaxBuckets)
	}
	if step < dayDuration {
		return subDayBuckets(from, to, step, loc), nil
	}
	return dayBuckets(from, to, int(step/dayDuration), loc), nil
}

func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func subDayBuckets(from, to time.Time, step time.Duration, loc *time.Location) []time.Time {
	var out []time.Time
	for day := midnight(from, loc); ; {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		for t := day; t.Before(next); t = t.Add(step) {
			out = append(out, t)
			if !t.Before(to) {
				return trimBefore(out, from)
			}
		}
		day = next
	}
}

// trimBefore drops the leading buckets that end at or before from.
func trimBefore(bounds []time.Time, from time.Time) []time.Time {
	i := 0
	for i+2 < len(bounds) && !bounds[i+1].After(from) {
		i++
	}
	return bounds[i:]
}

// epochMonday is the civil day number of Monday 1969-12-29.
const epochMonday = -3

func dayBuckets(from, to time.Time, days int, loc *time.Location) []time.Time {
	start := midnight(from, loc)
	civil := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
	offset := int((civil - epochMonday) % int64(days))
	if offset < 0 {
		offset += days
	}
	start = time.Date(start.Year(), start.Month(), start.Day()-offset, 0, 0, 0, 0, loc)
	out := []time.Time{start}
	for t := start; t.Before(to); {
		t = time.Date(t.Year(), t.Month(), t.Day()+days, 0, 0, 0, 0, loc)
		out = append(out, t)
	}
	return out
}
