// Package settings reads the settings of a connector (its `with`) or of an event source (its entry
// under `sources:`) as decoded from afterglow.yaml.
//
// Values arrive as YAML decoded them, after ${VAR} substitution: a port may be the integer 587 or
// the string "587", a flag true or "true". A Reader accepts both where a person would, collects
// every problem instead of stopping at the first, and reports settings it was never asked about,
// so a typo in a key is an error at start-up rather than a setting silently ignored.
package settings

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Reader reads the settings of one connector. Every getter records the key as known; Err then
// reports bad values and unknown keys together.
type Reader struct {
	connector string
	prefix    string // "oauth2." for the Reader of a nested mapping
	with      map[string]any
	known     map[string]bool
	errs      []error
	nested    []*Reader
}

// New returns a Reader over with (nil is an empty mapping).
func New(connector string, with map[string]any) *Reader {
	return &Reader{connector: connector, with: with, known: map[string]bool{}}
}

// UnknownError names a setting the connector does not have.
type UnknownError struct {
	Connector string
	Key       string
	Known     []string // every setting the connector reads, sorted
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("%s: unknown setting %q; the settings are: %s",
		e.Connector, e.Key, strings.Join(e.Known, ", "))
}

// Fail records a problem with one setting, for checks a getter cannot make (two settings that
// exclude each other, a file that cannot be read).
func (r *Reader) Fail(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: setting %q: %s", r.connector, r.prefix+key, fmt.Sprintf(format, args...)))
}

// Err returns every problem found, or nil. Call it after all getters.
func (r *Reader) Err() error {
	known := make([]string, 0, len(r.known))
	for k := range r.known {
		known = append(known, k)
	}
	sort.Strings(known)
	var unknown []string
	for k := range r.with {
		if !r.known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	errs := r.errs
	for _, k := range unknown {
		errs = append(errs, &UnknownError{Connector: r.connector, Key: r.prefix + k, Known: known})
	}
	for _, n := range r.nested {
		if err := n.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Object returns a Reader over a nested mapping, or nil when the setting is absent. Its problems,
// named "key.setting", are reported by the parent's Err.
func (r *Reader) Object(key string) *Reader {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		r.Fail(key, "want a mapping of settings, got %s", describe(v))
		return nil
	}
	n := &Reader{connector: r.connector, prefix: r.prefix + key + ".", with: m, known: map[string]bool{}}
	r.nested = append(r.nested, n)
	return n
}

// Has reports whether key is set to something other than an empty string.
func (r *Reader) Has(key string) bool {
	v, ok := r.with[key]
	if !ok || v == nil {
		return false
	}
	s, isString := v.(string)
	return !isString || strings.TrimSpace(s) != ""
}

func (r *Reader) get(key string) (any, bool) {
	r.known[key] = true
	if !r.Has(key) {
		return nil, false
	}
	return r.with[key], true
}

// String returns an optional text setting, or def when it is absent or empty.
func (r *Reader) String(key, def string) string {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case int, int64, uint64, float64:
		// YAML reads an unquoted id such as a phone number id as a number; it is still an id.
		if n, ok := wholeNumber(x); ok {
			return strconv.FormatInt(n, 10)
		}
	}
	r.Fail(key, "want text, got %s", describe(v))
	return def
}

// Required returns a text setting that must be present and not empty.
func (r *Reader) Required(key string) string {
	if _, present := r.with[key]; present && !r.Has(key) {
		r.known[key] = true
		r.Fail(key, "is empty; if it comes from ${VAR}, set that variable in the environment")
		return ""
	}
	s := r.String(key, "")
	if s == "" && !r.Has(key) {
		r.Fail(key, "is required")
	}
	return s
}

// Int returns a whole-number setting within [min, max], or def when it is absent.
func (r *Reader) Int(key string, def, min, max int) int {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	n, ok := wholeNumber(v)
	if !ok {
		if s, isString := v.(string); isString {
			n, ok = parseInt(s)
		}
	}
	if !ok {
		r.Fail(key, "want a whole number, got %s", describe(v))
		return def
	}
	if n < int64(min) || n > int64(max) {
		r.Fail(key, "want a number from %d to %d, got %d", min, max, n)
		return def
	}
	return int(n)
}

// Bool returns a true/false setting, or def when it is absent.
func (r *Reader) Bool(key string, def bool) bool {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
			return b
		}
	}
	r.Fail(key, "want true or false, got %s", describe(v))
	return def
}

// Duration returns a positive duration such as "10s" or "1m30s" (a bare number is seconds), or
// def when it is absent.
func (r *Reader) Duration(key string, def time.Duration) time.Duration {
	v, ok := r.get(key)
	if !ok {
		return def
	}
	var d time.Duration
	var err error
	if n, whole := wholeNumber(v); whole {
		d = time.Duration(n) * time.Second
	} else if s, isString := v.(string); isString {
		if n, isInt := parseInt(s); isInt {
			d = time.Duration(n) * time.Second
		} else {
			d, err = time.ParseDuration(strings.TrimSpace(s))
		}
	} else {
		err = errors.New("not a duration")
	}
	if err != nil || d <= 0 {
		r.Fail(key, "want a positive duration such as 10s or 1m30s, got %s", describe(v))
		return def
	}
	return d
}

// Enum returns one of the allowed words, or def when the setting is absent.
func (r *Reader) Enum(key, def string, allowed ...string) string {
	s := r.String(key, def)
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a
		}
	}
	r.Fail(key, "want one of %s, got %q", strings.Join(allowed, ", "), s)
	return def
}

// URL returns an absolute http or https URL, or def parsed when the setting is absent.
func (r *Reader) URL(key, def string) *url.URL {
	s := r.String(key, def)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Fail(key, "want an absolute http:// or https:// URL, got %q", s)
		return nil
	}
	return u
}

// RequiredURL is URL for a setting that must be present.
func (r *Reader) RequiredURL(key string) *url.URL {
	if s := r.Required(key); s == "" {
		return nil
	}
	return r.URL(key, "")
}

// StringMap returns a mapping of text to text (header names to values), or nil when absent.
func (r *Reader) StringMap(key string) map[string]string {
	v, ok := r.get(key)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		r.Fail(key, "want a mapping of names to text values, got %s", describe(v))
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		switch y := x.(type) {
		case string:
			out[k] = y
		case bool:
			out[k] = strconv.FormatBool(y)
		default:
			if n, whole := wholeNumber(y); whole {
				out[k] = strconv.FormatInt(n, 10)
				continue
			}
			r.Fail(key, "entry %q: want text, got %s", k, describe(x))
		}
	}
	return out
}

func wholeNumber(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

func parseInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	default:
		return fmt.Sprintf("%v (%T)", x, x)
	}
}
