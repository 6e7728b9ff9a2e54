package page

import (
	"fmt"
	"math"
)

// chart is an SVG drawing made of a few kinds of shapes, which one template renders. Charts are
// drawn here, as numbers, so that the page needs no script to show them.
type chart struct {
	Width, Height float64
	Label         string // what the chart shows, for screen readers
	Rects         []rect
	Lines         []line
	Paths         []path
	Dots          []dot
	Texts         []text
}

type rect struct {
	X, Y, W, H float64
	Class      string
	Title      string // shown on hover
}

type line struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

type path struct {
	Points string // "x,y x,y ..."
	Class  string
	Color  string
	Title  string
}

type dot struct {
	X, Y, R float64
	Class   string
	Color   string
	Title   string
}

type text struct {
	X, Y   float64
	Text   string
	Anchor string // start, middle, end
	Class  string
}

// scale maps a value range onto a pixel range.
type scale struct{ d0, d1, r0, r1 float64 }

func (s scale) at(v float64) float64 {
	if s.d1 == s.d0 {
		return s.r0
	}
	return s.r0 + (v-s.d0)/(s.d1-s.d0)*(s.r1-s.r0)
}

// niceMax rounds a maximum up to 1, 2, 2.5 or 5 times a power of ten, so that axis ticks read well.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func points(xs, ys []float64) string {
	s := ""
	for i := range xs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.1f,%.1f", xs[i], ys[i])
	}
	return s
}
