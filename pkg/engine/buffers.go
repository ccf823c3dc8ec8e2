package engine

import "sync"

// Buffers are recycled between requests. A year of a large set is a
// million observations, and growing fresh buffers for every request cost
// more than the request's own work and fed the collector. A request puts
// its buffers back once its result no longer refers to them.
var (
	observationPool sync.Pool // of *[]observation
	valuePool       sync.Pool // of *[]float64
)

// getObservations returns an empty buffer of at least n observations.
func getObservations(n int) []observation {
	var obs []observation
	if p, ok := observationPool.Get().(*[]observation); ok {
		obs = (*p)[:0]
	}
	if cap(obs) < n {
		obs = make([]observation, 0, n)
	}
	return obs
}

func putObservations(obs []observation) {
	if cap(obs) > 0 {
		obs = obs[:0]
		observationPool.Put(&obs)
	}
}

func getValues() []float64 {
	if p, ok := valuePool.Get().(*[]float64); ok {
		return (*p)[:0]
	}
	return nil
}

func putValues(values []float64) {
	if cap(values) > 0 {
		values = values[:0]
		valuePool.Put(&values)
	}
}
