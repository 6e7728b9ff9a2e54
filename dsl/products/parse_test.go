package products

import (
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"gopkg.in/yaml.v3"
)

func noCheck(*yaml.Node) {}

func diags(l *diag.List) []string {
	var out []string
	for _, d := range l.Items() {
		out = append(out, d.String())
	}
	return out
}

const yamlCatalog = `products:
  - id: serum-v1
    sku: SER-30
    name: Sérum facial 30 ml
    url: https://tienda.example/p/serum
    replenish_after: 30d
    related: [sunscreen, serum-v2]
    category: skincare
  - id: sunscreen
    replenish_after: 8w
    related: [serum-v1, sunscren]
  - id: serum-v1
  - id: 7712
    replenish_after: 0d
`

func TestParseYAML(t *testing.T) {
	var l diag.List
	c := Parse("products.yaml", []byte(yamlCatalog), noCheck, &l)
	want := []string{
		`products.yaml:7:26: error: related product "serum-v2" is not in the catalog (did you mean "serum-v1"?); add it, or fix the id [product-related]`,
		`products.yaml:11:25: error: related product "sunscren" is not in the catalog (did you mean "sunscreen"?); add it, or fix the id [product-related]`,
		`products.yaml:12:9: error: product "serum-v1" is also at line 2; each product is listed once [duplicate-product]`,
		`products.yaml:14:22: error: replenish_after is how long the product lasts: give a length above zero, like 30d, or leave it out [duration]`,
	}
	got := diags(&l)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s := c.Get("serum-v1")
	if s == nil || s.Name != "Sérum facial 30 ml" || s.ReplenishAfter != 30*24*time.Hour || s.ReplenishText != "30d" || len(s.Related) != 2 || s.Line != 2 {
		t.Errorf("serum-v1: %+v", s)
	}
	if c.Get("sunscreen").ReplenishAfter != 56*24*time.Hour || c.Get("7712") == nil {
		t.Errorf("sunscreen %+v, 7712 %+v: a numeric id reads as its digits", c.Get("sunscreen"), c.Get("7712"))
	}
	if v := s.Value(); v["replenish_after"] != 30*24*time.Hour || v["replenish_days"] != 30 || v["image"] != nil {
		t.Errorf("value %v", v)
	}
	if v := s.Snapshot(); v["replenish_after"] != "30d" {
		t.Errorf("snapshot %v", v)
	}
}

const csvCatalog = "\xef\xbb\xbfid,sku,Name,replenish_after,related,colour\n" +
	"serum-v1,SER-30,\"Sérum, 30 ml\",30d,sunscreen;toner,red\n" +
	",,,,,\n" +
	"sunscreen,SPF-50,Protector,45d,serum-v1 serum-v2\n"

// A CSV catalog reads as the same document, each cell at its own line and column.
func TestParseCSV(t *testing.T) {
	var l diag.List
	var doc *yaml.Node
	c := Parse("products.csv", []byte(csvCatalog), func(root *yaml.Node) { doc = root }, &l)
	want := []string{
		`products.csv:1:37: error: column "colour" is not a catalog column; the columns are id, sku, name, url, image, replenish_after, related, category [unknown-key]`,
		`products.csv:2:36: error: related product "toner" is not in the catalog; add it, or fix the id [product-related]`,
		`products.csv:4:32: error: related product "serum-v2" is not in the catalog (did you mean "serum-v1"?); add it, or fix the id [product-related]`,
	}
	got := diags(&l)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := c.Get("serum-v1"); p == nil || p.Name != "Sérum, 30 ml" || p.ReplenishAfter != 30*24*time.Hour || strings.Join(p.Related, " ") != "sunscreen toner" {
		t.Errorf("serum-v1: %+v", p)
	}
	if len(c.Products) != 2 {
		t.Errorf("%d products: a blank row is no product", len(c.Products))
	}
	items := doc.Content[1].Content
	if len(items) != 2 || items[1].Line != 4 {
		t.Fatalf("document: %d products", len(items))
	}
	// The second row's replenish_after cell, for the schema's diagnostics.
	for i := 0; i < len(items[1].Content); i += 2 {
		if k, v := items[1].Content[i], items[1].Content[i+1]; k.Value == "replenish_after" && (v.Line != 4 || v.Column != 28 || v.Value != "45d") {
			t.Errorf("replenish_after at %d:%d %q", v.Line, v.Column, v.Value)
		}
	}
}

func TestParseCSVProblems(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "p.csv:1:1: error: the catalog is empty"},
		{"sku,name\nA,B\n", "p.csv:1:1: error: the catalog has no id column"},
		{"id,name\nx,\"open\n", "p.csv:2:9: error: not valid CSV"},
		{"id\nx,extra\n", "p.csv:2:3: error: this row has 2 cells, the header 1"},
	} {
		var l diag.List
		Parse("p.csv", []byte(c.src), noCheck, &l)
		if got := diags(&l); len(got) == 0 || !strings.HasPrefix(got[0], c.want) {
			t.Errorf("%q: %v, want %s", c.src, got, c.want)
		}
	}
}
