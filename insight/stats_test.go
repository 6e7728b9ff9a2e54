package insight

import (
	"math"
	"testing"
)

// Newcombe's own worked examples (Statistics in Medicine 17:873-890, 1998, table II, method 10),
// each checked by hand from the Wilson intervals of its two proportions.
func TestNewcombeMatchesThePublishedIntervals(t *testing.T) {
	for _, c := range []struct {
		x1, n1, x2, n2 int64
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{0, 10, 0, 10, -0.2775, 0.2775},
		{10, 10, 0, 20, 0.6791, 1.0000},
		{10, 10, 0, 10, 0.6075, 1.0000},
	} {
		lo, hi := newcombe(c.x1, c.n1, c.x2, c.n2)
		if round(lo, 4) != c.lo || round(hi, 4) != c.hi {
			t.Errorf("%d/%d − %d/%d: [%.4f, %.4f], want [%.4f, %.4f]", c.x1, c.n1, c.x2, c.n2, lo, hi, c.lo, c.hi)
		}
	}
}

// 56/70 by hand: p = 0.8, z² = 3.8415; centre 2·70·0.8 + 3.8415 = 115.8415; spread
// 1.96·√(3.8415 + 4·70·0.8·0.2) = 1.96·√48.6415 = 13.6695; over 2·(70 + 3.8415) = 147.683:
// 0.6918 to 0.8770. At 0 or n successes the interval touches 0 or 1 exactly.
func TestWilson(t *testing.T) {
	lo, hi := wilson(56, 70)
	if round(lo, 4) != 0.6918 || round(hi, 4) != 0.8770 {
		t.Errorf("56/70: [%.4f, %.4f], want [0.6918, 0.8770]", lo, hi)
	}
	if lo, hi := wilson(0, 10); lo != 0 || round(hi, 4) != 0.2775 {
		t.Errorf("0/10: [%v, %v], want [0, 0.2775]", lo, hi)
	}
	if lo, hi := wilson(10, 10); round(lo, 4) != 0.7225 || hi != 1 {
		t.Errorf("10/10: [%v, %v], want [0.7225, 1]", lo, hi)
	}
}

// Quantiles interpolate between the nearest ranks, as percentile_cont does: of 4.5, 14 and 26
// days, the first quartile is halfway from 4.5 to 14.
func TestPercentile(t *testing.T) {
	q := quartiles([]float64{26, 4.5, 14})
	if q != [3]float64{9.25, 14, 20} {
		t.Errorf("quartiles of 4.5, 14, 26: %v, want [9.25 14 20]", q)
	}
	if q := quartiles([]float64{7}); q != [3]float64{7, 7, 7} {
		t.Errorf("quartiles of one value: %v", q)
	}
	if q := quartiles([]float64{1, 2}); q != [3]float64{1.25, 1.5, 1.75} {
		t.Errorf("quartiles of 1 and 2: %v", q)
	}
	if !math.IsNaN(percentile(nil, 0.5)) {
		t.Errorf("the median of nothing must be NaN")
	}
}

func TestRound(t *testing.T) {
	for _, c := range []struct {
		in     float64
		places int
		want   float64
	}{{0.34166, 4, 0.3417}, {9.25, 1, 9.3}, {-0.00001, 4, 0}, {1.0 / 3, 4, 0.3333}, {-0.5, 4, -0.5}} {
		if got := round(c.in, c.places); got != c.want || math.Signbit(got) != math.Signbit(c.want) {
			t.Errorf("round(%v, %d) = %v, want %v", c.in, c.places, got, c.want)
		}
	}
}

func TestHasGoal(t *testing.T) {
	for src, want := range map[string]bool{
		"flow: a\ngoal: {event: order.placed, within: 30d}\nsteps: []\n": true,
		"flow: a\nsteps: []\n":          false,
		"flow: a\ngoal:\nsteps: []\n":   false,
		"flow: a\ngoal: ~\n":            false,
		"not: [valid":                   false,
		"flow: a\ngoal: order.placed\n": true,
	} {
		if got := HasGoal([]byte(src)); got != want {
			t.Errorf("HasGoal(%q) = %v, want %v", src, got, want)
		}
	}
}
