package dsl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

// loadDiags loads the workspace in dir and returns its diagnostics as "file:line:col severity
// code message" lines, paths relative to dir.
func loadDiags(t *testing.T, dir string) (*Workspace, []string) {
	t.Helper()
	var l diag.List
	ws := LoadWorkspace(filepath.Join(dir, SettingsFile), func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil {
			return r
		}
		return p
	}, &l)
	var out []string
	for _, d := range l.Items() {
		out = append(out, d.File+":"+itoa2(d.Line, d.Col)+" "+string(d.Severity)+" "+d.Code+" "+d.Message)
	}
	return ws, out
}

func wantDiags(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics:\n%s\nwant:\n%s", len(got), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("got  %s\nwant %s...", got[i], want[i])
		}
	}
}

const buyerFlow = `flow: buyers
trigger: {event: order.placed, when: 'bought("serum-v2") || product(event.data.items[0].product_id).replenish_days > 20'}
steps:
  - id: a
    send: {channel: email, template: thanks, category: transactional}
`

// The catalog is a workspace file like the others: its form is checked against its schema, with
// the line and column of each mistake, in YAML and in CSV alike, and flows' product ids are
// looked up in it.
func TestCatalogInTheWorkspace(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"afterglow.yaml":    testSettings + "catalog: catalog/products.yaml\n",
		"templates/t.yaml":  testTemplate,
		"flows/buyers.yaml": buyerFlow,
		"catalog/products.yaml": `products:
  - id: serum-v1
    replenish_afer: 30d
  - id: sunscreen
    replenish_after: 30 days
    url: tienda.example/spf
`,
	})
	ws, got := loadDiags(t, dir)
	wantDiags(t, got, []string{
		`catalog/products.yaml:3:5 error unknown-key`,
		`catalog/products.yaml:5:22 error duration`,
		`catalog/products.yaml:6:10 error`,
		`flows/buyers.yaml:2:46 warning unknown-product product "serum-v2" is not in the catalog (did you mean "serum-v1"?)`,
	})
	if !strings.Contains(got[0], `"replenish_after"`) {
		t.Errorf("no suggestion for the misspelt key: %s", got[0])
	}
	if ws.Products.Get("serum-v1") == nil || len(ws.Flows) != 1 {
		t.Errorf("products %v, flows %d: warnings leave the flow in", ws.Products.IDs(), len(ws.Flows))
	}
}

func TestCatalogCSV(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"afterglow.yaml":    testSettings + "catalog: products.csv\n",
		"templates/t.yaml":  testTemplate,
		"flows/buyers.yaml": buyerFlow,
		"products.csv":      "id,name,replenish_after,related\nserum-v1,Sérum,30d,\nserum-v2,Sérum 2,a month,serum-v1 spf\n",
	})
	ws, got := loadDiags(t, dir)
	wantDiags(t, got, []string{
		`products.csv:3:18 error duration`,
		`products.csv:3:26 error product-related related product "spf" is not in the catalog`,
	})
	if ws.Products.Get("serum-v2") == nil || ws.Products.Get("serum-v1").Name != "Sérum" {
		t.Errorf("products %v", ws.Products.IDs())
	}
}

func TestCatalogFileRules(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"afterglow.yaml":   testSettings + "catalog: catalog/missing.yaml\n",
		"templates/t.yaml": testTemplate, "flows/buyers.yaml": strings.ReplaceAll(buyerFlow, "serum-v2", "serum-v1"),
	})
	_, got := loadDiags(t, dir)
	wantDiags(t, got, []string{
		`afterglow.yaml:5:10 error file-missing catalog catalog/missing.yaml does not exist`,
		`flows/buyers.yaml:2:61 warning unknown-product the workspace has no catalog`,
	})

	// A link that leads out of the workspace is refused and never read.
	dir = writeTree(t, map[string]string{"afterglow.yaml": testSettings + "catalog: products.yaml\n", "templates/t.yaml": testTemplate, "flows/.keep": ""})
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(outside, []byte("products: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "products.yaml")); err != nil {
		t.Fatal(err)
	}
	ws, got := loadDiags(t, dir)
	wantDiags(t, got, []string{`products.yaml:0:0 error file-type cannot read the catalog`})
	if ws.Products != nil {
		t.Error("a refused catalog was read")
	}

	// Without a catalog, product() is nil: said once, where it is written; bought() needs none.
	dir = writeTree(t, map[string]string{"afterglow.yaml": testSettings, "templates/t.yaml": testTemplate, "flows/buyers.yaml": buyerFlow})
	_, got = loadDiags(t, dir)
	wantDiags(t, got, []string{`flows/buyers.yaml:2:61 warning unknown-product the workspace has no catalog`})
}
