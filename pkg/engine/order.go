package engine

import "slices"

// order sorts c.obs by group and, if byTime, by time within each group.
//
// A mean of durations adds its values in this order, so observations at
// the same time could round differently if they swapped places; for it
// (exact) the observations are sorted by the comparison sort the results
// have always come from. Every other reduction counts, selects or adds
// zeros and ones, which no order of equal times changes, so the rest take
// linear-time sorts: by group only for a summary, and a radix sort by
// group and time for a series.
func (c *collector) order(byTime, exact bool) {
	switch {
	case exact:
		slices.SortFunc(c.obs, compareObservations)
	case byTime:
		// Deployments and runs usually arrive in time order already.
		if !slices.IsSortedFunc(c.obs, compareObservations) {
			c.obs = radixSort(c.obs, len(c.keys))
		}
	case len(c.keys) > 1:
		c.obs = groupSort(c.obs, len(c.keys))
	}
}

func compareObservations(a, b observation) int {
	if a.g != b.g {
		return int(a.g - b.g)
	}
	switch {
	case a.t < b.t:
		return -1
	case a.t > b.t:
		return 1
	}
	return 0
}

// smallSort is the length under which a comparison sort is cheaper than
// counting.
const smallSort = 256

// groupSort orders obs by group, keeping the order within each group. It
// returns the sorted observations, in obs or in a recycled buffer; the
// other of the two goes back to the pool.
func groupSort(obs []observation, groups int) []observation {
	if len(obs) < smallSort {
		slices.SortStableFunc(obs, func(a, b observation) int { return int(a.g - b.g) })
		return obs
	}
	start := make([]int, groups)
	for _, o := range obs {
		start[o.g]++
	}
	sum := 0
	for g, n := range start {
		start[g] = sum
		sum += n
	}
	sorted := getObservations(len(obs))[:len(obs)]
	for _, o := range obs {
		sorted[start[o.g]] = o
		start[o.g]++
	}
	putObservations(obs)
	return sorted
}

// radixBits is the width of one digit of radixSort: 2048 counters fit in
// the first-level cache.
const (
	radixBits = 11
	radixMask = 1<<radixBits - 1
)

// radixSort orders obs by group and time with a least-significant-digit
// radix sort: by time digits from the lowest, then by group. Each pass is
// stable, so the last one leaves times in order within each group. A pass
// whose digit is the same everywhere is skipped. Like groupSort, it
// returns the sorted observations and recycles the other buffer.
func radixSort(obs []observation, groups int) []observation {
	if len(obs) < smallSort {
		slices.SortFunc(obs, compareObservations)
		return obs
	}
	least := obs[0].t
	for _, o := range obs {
		least = min(least, o.t)
	}
	var span uint64
	for _, o := range obs {
		// Wrapping subtraction gives the distance even across the whole
		// int64 range.
		span = max(span, uint64(o.t-least))
	}
	r := radix{src: obs, dst: getObservations(len(obs))[:len(obs)], least: least}
	for shift := uint(0); shift < 64 && span>>shift != 0; shift += radixBits {
		r.pass(shift, false)
	}
	for shift := uint(0); shift < 32 && uint32(groups-1)>>shift != 0; shift += radixBits {
		r.pass(shift, true)
	}
	putObservations(r.dst)
	return r.src
}

type radix struct {
	src, dst []observation
	least    int64
	count    [1 << radixBits]int
}

func (r *radix) digit(o *observation, shift uint, group bool) int {
	if group {
		return int(uint32(o.g) >> shift & radixMask)
	}
	return int(uint64(o.t-r.least) >> shift & radixMask)
}

// pass sorts src by one digit into dst, stably, and swaps the two.
func (r *radix) pass(shift uint, group bool) {
	clear(r.count[:])
	for i := range r.src {
		r.count[r.digit(&r.src[i], shift, group)]++
	}
	if r.count[r.digit(&r.src[0], shift, group)] == len(r.src) {
		return
	}
	sum := 0
	for d, n := range r.count {
		r.count[d] = sum
		sum += n
	}
	for i := range r.src {
		d := r.digit(&r.src[i], shift, group)
		r.dst[r.count[d]] = r.src[i]
		r.count[d]++
	}
	r.src, r.dst = r.dst, r.src
}
