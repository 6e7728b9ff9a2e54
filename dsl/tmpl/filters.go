package tmpl

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/afterglowhq/afterglow/dsl/valuesize"
	"github.com/osteele/liquid/values"
)

// MaxItems bounds the lists a filter takes or makes. Sorting or de-duplicating ten thousand
// items takes milliseconds; an order has tens.
const MaxItems = 10_000

// bounded wraps a filter so that it charges the session's budget. Before the filter runs, its
// arguments are measured and what it would make is estimated, so that nothing far past the
// bounds is ever built (Liquid turns a range into a list to hand it to a filter, and replacing
// the empty text inserts between every two characters); after, what it made is counted.
func (s *session) bounded(name string, f any) func(args ...any) (any, error) {
	fv := reflect.ValueOf(f)
	if name == "uniq" {
		fv = reflect.ValueOf(uniqFilter)
	}
	return func(args ...any) (any, error) {
		b := s.b
		if err := b.check(); err != nil {
			return nil, err
		}
		est := 0
		for _, a := range args {
			if n, ok := length(a); ok && n > MaxItems {
				return nil, b.fail("%s was given a list of %d items; a filter takes at most %d", name, n, MaxItems)
			}
			est += valuesize.Of(a, 4*MaxValue)
		}
		if est = estimate(name, args, est); est > 4*MaxValue {
			return nil, b.fail("%s would make more than %d KiB", name, MaxValue>>10)
		}
		out, err := values.Call(fv, args)
		if err != nil {
			return nil, err
		}
		switch r := out.(type) {
		case string:
			if len(r) > MaxValue {
				return nil, b.fail("%s made a text longer than %d KiB", name, MaxValue>>10)
			}
			return out, b.grow(len(r))
		case []byte:
			if len(r) > MaxValue {
				return nil, b.fail("%s made a text longer than %d KiB", name, MaxValue>>10)
			}
			return out, b.grow(len(r))
		}
		if n, ok := length(out); ok && n > MaxItems {
			return nil, b.fail("%s made a list of %d items; a filter makes at most %d", name, n, MaxItems)
		}
		return out, b.grow(valuesize.Of(out, MaxBuilt))
	}
}

// length is the number of items of a list, or false for what is not a list.
func length(v any) (int, bool) {
	if l, ok := v.(valuesize.Lener); ok {
		return l.Len(), true
	}
	if v == nil {
		return 0, false
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Array:
		return rv.Len(), true
	}
	return 0, false
}

// estimate is, in bytes, about the most the filter can make from arguments that measure size.
func estimate(name string, args []any, size int) int {
	str := func(i int) string {
		if i < len(args) {
			if s, ok := args[i].(string); ok {
				return s
			}
		}
		return ""
	}
	switch name {
	case "join":
		n, _ := length(args[0])
		sep := " "
		if len(args) > 1 {
			sep = str(1)
		}
		return size + n*len(sep)
	case "replace", "replace_first", "remove", "remove_first":
		s, old := str(0), str(1)
		count := utf8.RuneCountInString(s) + 1
		if old != "" {
			count = strings.Count(s, old)
		}
		if strings.HasSuffix(name, "_first") {
			count = min(count, 1)
		}
		return len(s) + count*len(str(2))
	case "split":
		s, sep := str(0), str(1)
		items := utf8.RuneCountInString(s) + 1
		if sep != "" && sep != " " {
			items = strings.Count(s, sep) + 1
		}
		if items > MaxItems {
			return 4*MaxValue + 1
		}
		return size + 16*items
	case "escape", "escape_once", "newline_to_br", "json", "inspect":
		return 6 * size
	case "url_encode":
		return 3 * size
	case "date":
		return 32 * size
	}
	return size
}

// uniqFilter removes repeated items, keeping the first of each. Liquid's own compares each map
// or list with every one kept so far, a time that grows with the square of the list; this one
// compares them by their JSON.
func uniqFilter(a []any) []any {
	var out []any
	seen := map[any]bool{}
	for _, item := range a {
		key := item
		if item != nil && !reflect.TypeOf(item).Comparable() {
			j, err := json.Marshal(item)
			if err != nil {
				j = []byte(fmt.Sprintf("%#v", item))
			}
			key = "\x00" + string(j)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, item)
		}
	}
	return out
}

// moneyFilter prints an amount with two decimals and an optional currency code: 59.9 | money:
// "PEN" gives "PEN 59.90". Amounts arrive as numbers or decimal strings.
func moneyFilter(v any, currency ...string) string {
	var s string
	switch x := v.(type) {
	case float64:
		s = fmt.Sprintf("%.2f", x)
	case int:
		s = fmt.Sprintf("%d.00", x)
	default:
		s = fmt.Sprint(v)
		if i := strings.IndexByte(s, '.'); i < 0 {
			s += ".00"
		} else if len(s)-i == 2 {
			s += "0"
		}
	}
	if len(currency) > 0 && currency[0] != "" {
		return currency[0] + " " + s
	}
	return s
}
