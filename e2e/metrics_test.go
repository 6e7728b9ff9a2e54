package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// metrics is a scrape of /metrics: series (name and sorted labels) to value.
type metrics map[string]float64

func scrape(t *testing.T, base string) metrics {
	t.Helper()
	a := get(t, base+"/metrics")
	if a.status != http.StatusOK {
		t.Fatalf("GET /metrics: %s", a)
	}
	m, err := parseMetrics(a.body)
	if err != nil {
		t.Fatalf("GET /metrics is not the Prometheus text format: %v\n%s", err, a.body)
	}
	return m
}

// parseMetrics reads the Prometheus text exposition format: every sample line is
// `name{label="value",...} number`, and every series has HELP and TYPE lines before it.
func parseMetrics(b []byte) (metrics, error) {
	out := metrics{}
	typed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			if len(f) != 4 {
				return nil, fmt.Errorf("line %d: %q", n, line)
			}
			typed[f[2]] = true
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("line %d has no value: %q", n, line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		name, labels, err := parseSeries(line[:i])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if !typed[name] && !typed[histogramOf(name)] {
			return nil, fmt.Errorf("line %d: series %s has no # TYPE line before it", n, name)
		}
		key := seriesKey(name, labels)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: series %s appears twice", n, key)
		}
		out[key] = v
	}
	return out, sc.Err()
}

// histogramOf names the histogram a sample of it belongs to (x for x_bucket, x_sum and x_count).
func histogramOf(name string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if h, ok := strings.CutSuffix(name, suffix); ok {
			return h
		}
	}
	return name
}

func parseSeries(s string) (string, map[string]string, error) {
	name, rest, ok := strings.Cut(s, "{")
	labels := map[string]string{}
	if !ok {
		return s, labels, nil
	}
	rest, ok = strings.CutSuffix(rest, "}")
	if !ok {
		return "", nil, fmt.Errorf("unclosed labels in %q", s)
	}
	for rest != "" {
		k, r, ok := strings.Cut(rest, "=")
		if !ok {
			return "", nil, fmt.Errorf("label without value in %q", s)
		}
		v, err := strconv.QuotedPrefix(r)
		if err != nil {
			return "", nil, fmt.Errorf("label %s in %q: %v", k, s, err)
		}
		labels[k], _ = strconv.Unquote(v)
		rest = strings.TrimPrefix(r[len(v):], ",")
	}
	return name, labels, nil
}

func seriesKey(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	var ks []string
	for k := range labels {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	b.WriteString(name + "{")
	for i, k := range ks {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, labels[k])
	}
	b.WriteString("}")
	return b.String()
}

// get returns a series' value; labels are name, value pairs. A series that is absent is 0, as a
// counter not yet incremented is.
func (m metrics) get(name string, labels ...string) float64 {
	l := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return m[seriesKey(name, l)]
}

// has says whether a series is present at all.
func (m metrics) has(name string, labels ...string) bool {
	l := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	_, ok := m[seriesKey(name, l)]
	return ok
}

// family returns the values of one metric by the value of one label.
func (m metrics) family(name, label string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		n, labels, err := parseSeries(k)
		if err != nil || n != name {
			continue
		}
		out[labels[label]] += v
	}
	return out
}
