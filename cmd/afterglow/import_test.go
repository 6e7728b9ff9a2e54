package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/afterglowhq/afterglow/internal/pgtest"
)

const (
	corpusOrders    = "../../importer/shopifycsv/testdata/orders_export.csv"
	corpusCustomers = "../../importer/shopifycsv/testdata/customers_export.csv"
)

// migratedSchema makes a fresh schema and returns a database URL that uses it.
func migratedSchema(t *testing.T) string {
	t.Helper()
	url, schema := pgtest.Schema(t)
	var out, errs bytes.Buffer
	if code := dispatch([]string{"migrate", "--db", url, "--schema", schema}, &out, &errs); code != 0 {
		t.Fatalf("migrate: %s", errs.String())
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

func afterglow(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = dispatch(args, &out, &errs)
	return code, out.String(), errs.String()
}

func count(t *testing.T, url, query string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportShopifyCommand(t *testing.T) {
	url := migratedSchema(t)
	args := []string{"import", "shopify", "--orders", abs(t, corpusOrders), "--customers", abs(t, corpusCustomers), "--db", url, "--shop", "https://Example-Goods.myshopify.com/"}
	t.Chdir(t.TempDir()) // no afterglow.yaml here: --db and --shop say it all
	code, out, errs := afterglow(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"imported 5 orders (2024-03-01 to 2024-03-14) of 4 customers: 1 cancelled, 2 refunded", "5 customers from", "13 events: 13 stored, 0 already there; 9 rows"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := count(t, url, `SELECT count(*) FROM events WHERE source = 'shopify/example-goods.myshopify.com'`); n != 13 {
		t.Errorf("%d events stored under the shop's source, want 13", n)
	}
	if n := count(t, url, `SELECT orders_count FROM customers WHERE id = '7412345600101'`); n != 2 {
		t.Errorf("Alex has %d orders", n)
	}
	if n := count(t, url, `SELECT count(*) FROM journeys`) + count(t, url, `SELECT count(*) FROM messages`); n != 0 {
		t.Errorf("history made %d journeys and messages", n)
	}
	code, out, _ = afterglow(t, args...)
	if code != 0 || !strings.Contains(out, "13 events: 0 stored, 13 already there") {
		t.Errorf("second import (exit %d): %s", code, out)
	}
	if n := count(t, url, `SELECT count(*) FROM events`); n != 13 {
		t.Errorf("%d events after a second import, want 13", n)
	}
}

func TestImportShopifyRefusesBadFiles(t *testing.T) {
	url := migratedSchema(t)
	text, err := os.ReadFile(corpusOrders)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	bad := strings.Replace(string(text), "Wool Throw Blanket - Grey,89.00", "Wool Throw Blanket - Grey,89,00", 1)
	if err := os.WriteFile("orders_export.csv", []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	// The shop comes from the settings this time.
	settings := "flows: []\ntemplates: []\ndatabase: " + url + "\nsources:\n  shopify:\n    secret: ${SHOPIFY_SECRET}\n    shop: example-goods.myshopify.com\n"
	if err := os.WriteFile("afterglow.yaml", []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := afterglow(t, "import", "shopify", "--orders", "orders_export.csv")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errs)
	}
	for _, want := range []string{"orders_export.csv:7: order #1003: the row has 80 fields but the header has 79", "1 order or customer row with problems, so nothing was imported", "--skip-bad"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if n := count(t, url, `SELECT count(*) FROM events`); n != 0 {
		t.Errorf("%d events stored from a file with a bad row", n)
	}
	code, out, errs := afterglow(t, "import", "shopify", "--orders", "orders_export.csv", "--skip-bad")
	if code != 0 || !strings.Contains(out, "imported 4 orders") || !strings.Contains(out, "1 order or customer row left out") {
		t.Errorf("--skip-bad (exit %d): %s%s", code, out, errs)
	}
	if n := count(t, url, `SELECT count(*) FROM events WHERE id LIKE 'shopify/example-goods.myshopify.com/order/%/placed'`); n != 4 {
		t.Errorf("%d orders stored, want 4", n)
	}
}

func TestImportShopifyUsage(t *testing.T) {
	orders := abs(t, corpusOrders)
	t.Chdir(t.TempDir())
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"import", "woocommerce"}, 2, "unknown command"},
		{[]string{"import", "shopify"}, 2, "--orders is required"},
		{[]string{"import", "shopify", "--orders", "missing.csv", "--db", "postgres://x"}, 2, "missing.csv"},
		{[]string{"import", "shopify", "--orders", orders, "--db", "postgres://x"}, 2, "which shop? give --shop"},
		{[]string{"import", "shopify", "--orders", orders, "--db", "postgres://x", "--shop", "example goods"}, 2, "is not a domain"},
		{[]string{"import", "shopify", "--orders", orders, "--shop", "a.myshopify.com"}, 2, "no database"},
		{[]string{"import", "shopify", "--orders", orders, "--config", "nowhere/afterglow.yaml", "--db", "postgres://x", "--shop", "a.myshopify.com"}, 1, "nowhere/afterglow.yaml"},
	} {
		t.Setenv("DATABASE_URL", "")
		code, _, errs := afterglow(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.says)
		}
	}
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A large shop's export comes in several files: --orders is given once for each.
func TestImportShopifyInSeveralFiles(t *testing.T) {
	url := migratedSchema(t)
	text, err := os.ReadFile(corpusOrders)
	if err != nil {
		t.Fatal(err)
	}
	customers := abs(t, corpusCustomers)
	t.Chdir(t.TempDir())
	lines := strings.SplitAfter(string(text), "\n")
	for name, rows := range map[string][]string{"orders_export_1.csv": lines[1:7], "orders_export_2.csv": lines[7:11]} {
		if err := os.WriteFile(name, []byte(lines[0]+strings.Join(rows, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := afterglow(t, "import", "shopify", "--orders", "orders_export_1.csv", "--orders", "orders_export_2.csv",
		"--customers", customers, "--db", url, "--shop", "example-goods.myshopify.com")
	if code != 0 || !strings.Contains(out, "imported 5 orders") || !strings.Contains(out, "13 events: 13 stored") {
		t.Errorf("exit %d:\n%s%s", code, out, errs)
	}
}
