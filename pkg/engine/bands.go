package engine

import "time"

// Band is a performance level of the DORA research.
type Band string

// The bands, best first. BandNone is the band of a metric without bands or
// of a missing value.
const (
	BandNone   Band = ""
	BandElite  Band = "elite"
	BandHigh   Band = "high"
	BandMedium Band = "medium"
	BandLow    Band = "low"
)

// Bands lists the bands, best first.
var Bands = []Band{BandElite, BandHigh, BandMedium, BandLow}

// Banding holds the three limits that separate the four bands of a key, in
// the metric's own unit. When HigherIsBetter, a value at or above Limits[0]
// is elite; otherwise a value below Limits[0] (or at most, for rates) is.
type Banding struct {
	Limits         [3]float64
	HigherIsBetter bool
	// Inclusive makes a value equal to a limit fall in the better band, as
	// the report's "at most 5%" does for change failure rate.
	Inclusive bool
}

// Of returns the band of v.
func (b *Banding) Of(v float64) Band {
	for i, limit := range b.Limits {
		var better bool
		switch {
		case b.HigherIsBetter:
			better = v >= limit
		case b.Inclusive:
			better = v <= limit
		default:
			better = v < limit
		}
		if better {
			return Bands[i]
		}
	}
	return BandLow
}

const (
	hour = float64(time.Hour / time.Second)
	day  = 24 * hour
)

// The bands of the 2023 State of DevOps report.
var (
	frequencyBands = &Banding{Limits: [3]float64{1, 1.0 / 7, 1.0 / 30}, HigherIsBetter: true}
	leadTimeBands  = &Banding{Limits: [3]float64{day, 7 * day, 30 * day}}
	failureBands   = &Banding{Limits: [3]float64{0.05, 0.10, 0.15}, Inclusive: true}
	recoveryBands  = &Banding{Limits: [3]float64{hour, day, 7 * day}}
)
