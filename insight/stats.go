package insight

import (
	"math"
	"sort"
)

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// wilson is the Wilson score interval of x successes in n trials (n > 0).
func wilson(x, n int64) (lo, hi float64) {
	p := float64(x) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	centre := 2*nf*p + z2
	spread := z95 * math.Sqrt(z2+4*nf*p*(1-p))
	den := 2 * (nf + z2)
	lo, hi = (centre-spread)/den, (centre+spread)/den
	// At p = 0 or 1 the bound is exactly 0 or 1; rounding must not move it past.
	if x == 0 {
		lo = 0
	}
	if x == n {
		hi = 1
	}
	return lo, hi
}

// newcombe is the 95% confidence interval of p1 − p2, the difference of two independent
// proportions x1/n1 and x2/n2, by Newcombe's hybrid score method (his method 10): the Wilson
// interval of each proportion, combined. Unlike the textbook Wald interval it stays within
// [−1, 1] and keeps its coverage with small arms and rates near 0 or 1, which is what a holdout
// of a few dozen customers gives.
func newcombe(x1, n1, x2, n2 int64) (lo, hi float64) {
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	l1, u1 := wilson(x1, n1)
	l2, u2 := wilson(x2, n2)
	d := p1 - p2
	lo = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return lo, hi
}

// percentile is the p-th quantile (0 ≤ p ≤ 1) of sorted values, interpolated between the two
// nearest ranks as PostgreSQL's percentile_cont computes it, so that both stores agree.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := p * float64(len(sorted)-1)
	lo := math.Floor(pos)
	hi := math.Ceil(pos)
	a, b := sorted[int(lo)], sorted[int(hi)]
	if lo == hi {
		return a
	}
	return a + (b-a)*(pos-lo)
}

// quartiles sorts values and returns their 25th, 50th and 75th percentiles.
func quartiles(values []float64) [3]float64 {
	sort.Float64s(values)
	return [3]float64{percentile(values, 0.25), percentile(values, 0.5), percentile(values, 0.75)}
}

// round rounds to the given number of decimal places, halves away from zero.
func round(f float64, places int) float64 {
	m := math.Pow(10, float64(places))
	r := math.Round(f*m) / m
	if r == 0 {
		return 0 // never -0
	}
	return r
}
