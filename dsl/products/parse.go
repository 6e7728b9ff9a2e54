package products

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"gopkg.in/yaml.v3"
)

// Columns are a CSV catalog's columns, the keys of a product in YAML.
var Columns = []string{"id", "sku", "name", "url", "image", "replenish_after", "related", "category"}

// IsCSV reports whether the catalog file is read as CSV (by its name).
func IsCSV(file string) bool { return strings.EqualFold(filepath.Ext(file), ".csv") }

// Parse reads a catalog: CSV when the file name ends in .csv, YAML otherwise. check validates
// the document's form against the catalog's JSON Schema; a CSV file is turned into the same
// document first, each cell at its own line and column, so that both forms get the same
// diagnostics. Parse then reports what the schema cannot see: ids used twice, related ids that
// are not products. A product with a problem is still returned, so that flows naming it are
// checked against it.
func Parse(file string, src []byte, check func(root *yaml.Node), l *diag.List) *Catalog {
	var root *yaml.Node
	if IsCSV(file) {
		root = csvDocument(file, src, l)
	} else if r, ok := yamlnode.Parse(file, src, l); ok {
		root = r
	}
	if root == nil {
		return nil
	}
	check(root)
	_, list := yamlnode.Get(root, "products")
	var ps []*Product
	seen := map[string]*Product{}
	at := func(n *yaml.Node) diag.Pos { return diag.Pos{File: file, Line: max(n.Line, 1), Col: max(n.Column, 1)} }
	for _, it := range yamlnode.Items(list) {
		if it.Kind != yaml.MappingNode {
			continue // the schema said so
		}
		_, idn := yamlnode.Get(it, "id")
		id := strings.TrimSpace(yamlnode.Scalar(idn))
		if id == "" {
			continue
		}
		if strings.ContainsAny(id, " \t") {
			l.ErrorfOnce(at(idn), "product-id", "product id %q has spaces: order items carry ids without them", id)
		}
		if first := seen[id]; first != nil {
			l.Errorf(at(idn), "duplicate-product", "product %q is also at line %d; each product is listed once", id, first.Line)
			continue
		}
		p := &Product{ID: id, Line: idn.Line, Col: idn.Column}
		seen[id] = p
		str := func(key string) string { _, v := yamlnode.Get(it, key); return yamlnode.Scalar(v) }
		p.SKU, p.Name, p.URL, p.Image, p.Category = str("sku"), str("name"), str("url"), str("image"), str("category")
		if _, rn := yamlnode.Get(it, "replenish_after"); yamlnode.IsScalar(rn) {
			d, err := parseDuration(rn.Value)
			switch {
			case err != nil:
				l.ErrorfOnce(at(rn), "duration", "%v", err)
			case d <= 0:
				l.Errorf(at(rn), "duration", "replenish_after is how long the product lasts: give a length above zero, like 30d, or leave it out")
			default:
				p.ReplenishAfter, p.ReplenishText = d, rn.Value
			}
		}
		_, rel := yamlnode.Get(it, "related")
		for _, r := range yamlnode.Items(rel) {
			if v := yamlnode.Scalar(r); v != "" {
				p.Related = append(p.Related, v)
			}
		}
		ps = append(ps, p)
	}
	c := New(file, ps)
	// References are checked once every id is known: a product may name one listed after it.
	for _, it := range yamlnode.Items(list) {
		_, idn := yamlnode.Get(it, "id")
		_, rel := yamlnode.Get(it, "related")
		for _, r := range yamlnode.Items(rel) {
			v := yamlnode.Scalar(r)
			switch {
			case v == "":
			case v == yamlnode.Scalar(idn):
				l.Warnf(at(r), "product-related", "product %q lists itself as related", v)
			case c.Get(v) == nil:
				l.Errorf(at(r), "product-related", "related product %q is not in the catalog%s; add it, or fix the id", v, c.Suggest(v))
			}
		}
	}
	return c
}

func parseDuration(s string) (time.Duration, error) { return timespec.ParseDuration(s) }

// csvDocument reads a CSV catalog into the document a YAML catalog is: {products: [{id: ...}]}.
// The first row names the columns; an empty cell is a key left out; related ids are separated by
// spaces, commas or semicolons.
func csvDocument(file string, src []byte, l *diag.List) *yaml.Node {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")) // a spreadsheet's byte order mark
	r := csv.NewReader(bytes.NewReader(src))
	r.FieldsPerRecord = -1
	lines := bytes.Split(src, []byte("\n"))
	// The reader counts columns in bytes; diagnostics count characters, as for YAML.
	runeCol := func(line, col int) int {
		if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
			return col
		}
		return utf8.RuneCount(lines[line-1][:col-1]) + 1
	}
	fieldPos := func(i int) (int, int) {
		line, col := r.FieldPos(i)
		return line, runeCol(line, col)
	}
	pos := func(line, col int) diag.Pos { return diag.Pos{File: file, Line: line, Col: col} }
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		l.Errorf(pos(1, 1), "empty-file", "the catalog is empty: the first row names the columns (%s), then one product a row", strings.Join(Columns, ", "))
		return nil
	}
	if err != nil {
		reportCSV(file, err, l)
		return nil
	}
	cols := make([]string, len(header))
	hasID := false
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		line, col := fieldPos(i)
		if h != "" && !contains(Columns, h) {
			l.Errorf(pos(line, col), "unknown-key", "column %q is not a catalog column%s; the columns are %s", h, diag.DidYouMean(h, Columns), strings.Join(Columns, ", "))
			continue
		}
		hasID = hasID || h == "id"
		cols[i] = h
	}
	if !hasID {
		l.Errorf(pos(1, 1), "missing-key", "the catalog has no id column: the first row names the columns, and id is the one every product needs")
		return nil
	}
	scalar := func(v string, line, col int) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: line, Column: col}
	}
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: 2, Column: 1}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			reportCSV(file, err, l)
			return nil
		}
		line, _ := fieldPos(0)
		if blank(rec) {
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line, Column: 1}
		for i, v := range rec {
			if i >= len(cols) {
				fl, fc := fieldPos(i)
				if strings.TrimSpace(v) != "" {
					l.Errorf(pos(fl, fc), "csv", "this row has %d cells, the header %d: a value past the last column belongs to none", len(rec), len(cols))
				}
				continue
			}
			v = strings.TrimSpace(v)
			if cols[i] == "" || v == "" {
				continue
			}
			fl, fc := fieldPos(i)
			val := scalar(v, fl, fc)
			if cols[i] == "related" {
				val = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: fl, Column: fc}
				for _, id := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' }) {
					val.Content = append(val.Content, scalar(id, fl, fc))
				}
			}
			m.Content = append(m.Content, scalar(cols[i], fl, fc), val)
		}
		list.Content = append(list.Content, m)
	}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1,
		Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "products", Line: 1, Column: 1}, list}}
}

func reportCSV(file string, err error, l *diag.List) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		l.Errorf(diag.Pos{File: file, Line: pe.Line, Col: max(pe.Column, 1)}, "csv", "not valid CSV: %v", pe.Err)
		return
	}
	l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "csv", "not valid CSV: %v", err)
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
