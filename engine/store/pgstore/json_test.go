package pgstore

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// stdDecode is what encoding/json makes of a document, numbers as json.Number.
func stdDecode(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("encoding/json cannot read %s: %v", b, err)
	}
	return v
}

var tricky = []string{
	"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x01\x1f ctl", "<b>&amp;</b>", "é ñ 世界 🥈",
	"bad \xff utf8", "\xed\xa0\x80 encoded surrogate", "/slash", "\u2028\u2029", strings.Repeat("long ", 300),
}

func randValue(r *rand.Rand, depth int) any {
	switch n := r.IntN(9); {
	case n == 0 && depth < 4:
		m := map[string]any{}
		for i := r.IntN(5); i > 0; i-- {
			m[tricky[r.IntN(len(tricky))]+string(rune('a'+r.IntN(26)))] = randValue(r, depth+1)
		}
		return m
	case n == 1 && depth < 4:
		a := []any{}
		for i := r.IntN(5); i > 0; i-- {
			a = append(a, randValue(r, depth+1))
		}
		return a
	case n == 2:
		return json.Number([]string{"0", "-0", "59.90", "12345678901234567890123", "1e3", "-1.5E-7", "0.10"}[r.IntN(7)])
	case n == 3:
		return r.IntN(2) == 0
	case n == 4:
		return nil
	case n == 5:
		return r.Float64() * 1e6
	default:
		return tricky[r.IntN(len(tricky))]
	}
}

func TestAppendJSONReadsAsEncodingJSONWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		v := map[string]any{"v": randValue(r, 0)}
		mine, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		std, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := stdDecode(t, mine), stdDecode(t, std); !reflect.DeepEqual(got, want) {
			t.Fatalf("appendJSON(%#v)\n= %s\nreads as %#v\nencoding/json: %#v", v, mine, got, want)
		}
		// And parseJSON reads both as encoding/json does.
		for _, doc := range [][]byte{mine, std, indent(std)} {
			got, err := parseJSON(doc)
			if err != nil {
				t.Fatalf("parseJSON(%s): %v", doc, err)
			}
			if want := stdDecode(t, doc); !reflect.DeepEqual(got, want) {
				t.Fatalf("parseJSON(%s)\n= %#v\nencoding/json: %#v", doc, got, want)
			}
		}
	}
}

func indent(b []byte) []byte {
	var out bytes.Buffer
	_ = json.Indent(&out, b, " ", "  ")
	return out.Bytes()
}

func TestParseJSONEscapes(t *testing.T) {
	for _, doc := range []string{
		`"\u00e9\u4e16\ud83e\udd48"`, `"\ud83e"`, `"\ud83e\u0041"`, `"\udd48x"`, `"\ud83e\ud83e\udd48"`,
		`"a\/b\b\f\n\r\t\"\\"`, `"\u0000"`, `{"a": [1, 2.5, -3e10, {"b": null}], "c": true, "d": false}`,
		`  [ ]  `, `{}`, `"\u00E9"`,
	} {
		got, err := parseJSON([]byte(doc))
		if err != nil {
			t.Errorf("parseJSON(%s): %v", doc, err)
			continue
		}
		if want := stdDecode(t, []byte(doc)); !reflect.DeepEqual(got, want) {
			t.Errorf("parseJSON(%s) = %#v, encoding/json %#v", doc, got, want)
		}
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a" 1}`, `"abc`, `01`, `1.`, `-`, `tru`, `{"a":1}x`, "\"a\x01\"", `"\x"`, `"\u12"`, `nul`} {
		if _, err := parseJSON([]byte(bad)); err == nil {
			t.Errorf("parseJSON(%q) accepted bad JSON", bad)
		}
	}
}

func TestAppendStringNUL(t *testing.T) {
	b := appendString(nil, "a\x00b")
	if string(b) != `"a\ufffdb"` {
		t.Errorf("NUL written as %s; jsonb rejects \\u0000, so it must be replaced", b)
	}
}

func TestAppendJSONRejects(t *testing.T) {
	for _, v := range []any{json.Number("1.2.3"), json.Number(""), json.Number("0x10")} {
		if _, err := appendJSON(nil, v); err == nil {
			t.Errorf("appendJSON(%#v) wrote an invalid number", v)
		}
	}
	if _, err := appendJSON(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Errorf("a year past 9999 was written")
	}
	if !utf8.ValidString(string(appendString(nil, "\xff"))) {
		t.Errorf("invalid UTF-8 was written")
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	v := map[string]any{"order_id": "100001", "total": json.Number("59.90"), "currency": "PEN",
		"items": []any{map[string]any{"sku": "SER-30", "product_id": "p-30", "name": "Sérum 30 ml", "quantity": json.Number("1"), "price": json.Number("59.90")}}}
	b.Run("appendJSON", func(b *testing.B) {
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf, _ = appendJSON(buf[:0], v)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, _ = json.Marshal(v)
		}
	})
	doc, _ := json.Marshal(v)
	b.Run("parseJSON", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, _ = parseJSON(doc)
		}
	})
	b.Run("encoding/json.Decoder", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			d := json.NewDecoder(bytes.NewReader(doc))
			d.UseNumber()
			var m map[string]any
			_ = d.Decode(&m)
		}
	})
}
