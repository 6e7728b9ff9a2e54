// Package valuesize measures values as they would be written out, stopping early: the bounds on
// templates and expressions count what they build with it, and a value that holds the same big
// list a million times must cost no more to measure than the bound it is measured against.
package valuesize

import (
	"reflect"
	"time"
)

// Lener is a list that knows its length without being walked: a Liquid range (1..100000000).
type Lener interface{ Len() int }

// maxDepth bounds the nesting walked; deeper values count as too large.
const maxDepth = 100

// Of returns the size of v in bytes as written out (a text its bytes, a number 8, a list or map
// the sum of its items and keys), or a number over room as soon as it passes room.
func Of(v any, room int) int {
	m := meter{room: room}
	m.walk(v, 0)
	if m.n > room {
		return room + 1
	}
	return m.n
}

type meter struct{ n, room int }

// walk adds v to the count; false once the count is past room.
func (m *meter) walk(v any, depth int) bool {
	if m.n > m.room || depth > maxDepth {
		m.n = m.room + 1
		return false
	}
	switch x := v.(type) {
	case nil, bool, int, int64, float64, time.Time, time.Duration:
		m.n += 8
	case string:
		m.n += len(x) + 2
	case []byte:
		m.n += len(x) + 2
	case []any:
		m.n += 2
		for _, e := range x {
			if !m.walk(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		m.n += 2
		for k, e := range x {
			m.n += len(k) + 3
			if !m.walk(e, depth+1) {
				return false
			}
		}
	case []string:
		for _, s := range x {
			m.n += len(s) + 3
		}
	case []int:
		m.n += 8 * len(x)
	case []float64:
		m.n += 8 * len(x)
	case Lener:
		m.n += 8 * x.Len()
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Slice, reflect.Array:
			m.n += 2
			for i := range rv.Len() {
				if !m.walk(rv.Index(i).Interface(), depth+1) {
					return false
				}
			}
		case reflect.Map:
			m.n += 2
			it := rv.MapRange()
			for it.Next() {
				if !m.walk(it.Key().Interface(), depth+1) || !m.walk(it.Value().Interface(), depth+1) {
					return false
				}
			}
		case reflect.Pointer:
			if !rv.IsNil() {
				return m.walk(rv.Elem().Interface(), depth+1)
			}
			m.n += 8
		default:
			m.n += 8
		}
	}
	return m.n <= m.room
}
