package plugin

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
)

// bandColors are the colours a stat panel takes per band.
var bandColors = map[engine.Band]string{
	engine.BandElite:  "green",
	engine.BandHigh:   "blue",
	engine.BandMedium: "orange",
	engine.BandLow:    "red",
}

// thresholds turns a metric's band limits into Grafana thresholds, so that a
// panel colours the value by its band. Grafana picks the highest step at or
// below the value; an inclusive limit moves just above itself.
func thresholds(b *engine.Banding) *data.ThresholdsConfig {
	limits := b.Limits
	if b.Inclusive {
		for i := range limits {
			limits[i] = math.Nextafter(limits[i], math.Inf(1))
		}
	}
	colors := []string{bandColors[engine.BandElite], bandColors[engine.BandHigh], bandColors[engine.BandMedium], bandColors[engine.BandLow]}
	steps := make([]data.Threshold, 0, 4)
	if b.HigherIsBetter {
		// Limits descend: low below the last, elite from the first.
		steps = append(steps, data.NewThreshold(math.Inf(-1), colors[3], ""))
		for i := 2; i >= 0; i-- {
			steps = append(steps, data.NewThreshold(limits[i], colors[i], ""))
		}
	} else {
		steps = append(steps, data.NewThreshold(math.Inf(-1), colors[0], ""))
		for i := range 3 {
			steps = append(steps, data.NewThreshold(limits[i], colors[i+1], ""))
		}
	}
	return &data.ThresholdsConfig{Mode: data.ThresholdsModeAbsolute, Steps: steps}
}

// valueConfig is the field config of a metric's value.
func valueConfig(m *engine.Metric, unit string, labels map[string]string, banded bool) *data.FieldConfig {
	fc := &data.FieldConfig{Unit: unit, DisplayNameFromDS: displayName(m, labels), Description: m.Description}
	if banded && m.Bands != nil {
		fc.Thresholds = thresholds(m.Bands)
	}
	return fc
}

// displayName is the metric's name followed by the group's values.
func displayName(m *engine.Metric, labels map[string]string) string {
	if len(labels) == 0 {
		return m.Name
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values := make([]string, len(keys))
	for i, k := range keys {
		values[i] = labels[k]
		if values[i] == "" {
			values[i] = "(none)"
		}
	}
	return m.Name + " " + strings.Join(values, " ")
}

// seriesFrames returns one timeseries-multi frame per group.
func seriesFrames(r *engine.SeriesResult) data.Frames {
	m := r.Metric
	// A count per bucket is not a rate per day, so its bands would mislead.
	banded := m.Kind != engine.Count && m.Kind != engine.PerDay
	frames := make(data.Frames, 0, len(r.Series))
	for _, s := range r.Series {
		value := data.NewField("value", metricLabels(m, s.Labels), s.Values).
			SetConfig(valueConfig(m, m.Unit, s.Labels, banded))
		frame := data.NewFrame(m.ID, data.NewField("time", nil, r.Times), value)
		frame.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		frames = append(frames, frame)
	}
	return frames
}

// summaryFrames returns one numeric-multi frame per group: the value, then
// its band and count as remainder fields that alerting ignores.
func summaryFrames(s *engine.Summary) data.Frames {
	m := s.Metric
	unit := m.Unit
	if m.Kind == engine.Count {
		unit = engine.UnitPerDay
	}
	frames := make(data.Frames, 0, len(s.Values))
	for _, v := range s.Values {
		labels := metricLabels(m, v.Labels)
		var value *float64
		if v.Valid {
			value = &v.Value
		}
		frame := data.NewFrame(m.ID,
			data.NewField("value", labels, []*float64{value}).SetConfig(valueConfig(m, unit, v.Labels, true)),
			data.NewField("band", nil, []string{string(v.Band)}),
			data.NewField("count", nil, []int64{int64(v.Count)}),
		)
		frame.Meta = &data.FrameMeta{Type: data.FrameTypeNumericMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		frames = append(frames, frame)
	}
	return frames
}

// metricLabels are a group's labels and the metric's id.
func metricLabels(m *engine.Metric, group map[string]string) data.Labels {
	labels := data.Labels{"metric": m.ID}
	for k, v := range group {
		labels[k] = v
	}
	return labels
}

// nullableTime returns nil for the zero time.
func nullableTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nullableSeconds returns the seconds from a to b, or nil when either is
// unknown or the span is negative.
func nullableSeconds(a, b time.Time) *float64 {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return nil
	}
	s := b.Sub(a).Seconds()
	return &s
}

// linkConfig makes a field a link to the row's url.
func linkConfig(title string) *data.FieldConfig {
	return &data.FieldConfig{Links: []data.DataLink{{Title: title, URL: "${__data.fields.url}", TargetBlank: true}}}
}
