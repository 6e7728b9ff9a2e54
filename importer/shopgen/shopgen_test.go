package shopgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/importer/shopifycsv"
)

var start = time.Date(2024, 10, 1, 0, 0, 0, 0, time.FixedZone("", -5*3600))

func write(t *testing.T, s *Shop) (string, string, Stats) {
	t.Helper()
	var o, c bytes.Buffer
	st, err := s.Write(&o, &c)
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), c.String(), st
}

func TestSameShopSameFiles(t *testing.T) {
	o1, c1, _ := write(t, Tienda(7, start, 3, 50))
	o2, c2, _ := write(t, Tienda(7, start, 3, 50))
	if o1 != o2 || c1 != c2 {
		t.Errorf("two runs with one seed differ")
	}
	o3, _, _ := write(t, Tienda(8, start, 3, 50))
	if o1 == o3 {
		t.Errorf("another seed gives the same orders")
	}
}

// The files read back without a problem, as the shop wrote them, and hold the quirks of genuine
// exports.
func TestFilesReadBack(t *testing.T) {
	shop := Tienda(3, start, 12, 400)
	shop.Known = []Customer{{ID: "786640453979613639", Email: "carmen.huaman@example.com", FirstName: "Carmen", LastName: "Huamán",
		Region: "PE", AcceptsEmail: true, Since: start.AddDate(0, 1, 0), Orders: 3, SKUs: []string{"CON-OJOS-15"}}}
	shop.Reserved = map[string]bool{"lucia.quispe@example.com": true}
	orders, customers, st := write(t, shop)

	r, err := shopifycsv.NewOrderReader(strings.NewReader(orders), "orders_export.csv")
	if err != nil {
		t.Fatal(err)
	}
	var n, rows, cancelled, refunded, noEmail, multi, carmen int
	var last time.Time
	lastNumber := 0
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("order %d: %v", n, err)
		}
		n++
		rows += len(o.Items)
		if o.Cancelled() {
			cancelled++
		}
		if _, ok := shopifycsv.Refunded(o); ok {
			refunded++
		}
		if o.Email == "" {
			noEmail++
		}
		if len(o.Items) > 1 {
			multi++
		}
		if shopifycsv.NormEmail(o.Email) == "carmen.huaman@example.com" {
			carmen++
			if o.CreatedAt.Before(shop.Known[0].Since) {
				t.Errorf("Carmen ordered at %s, before she was a customer", o.CreatedAt)
			}
		}
		if shopifycsv.NormEmail(o.Email) == "lucia.quispe@example.com" {
			t.Errorf("a made-up customer took a reserved email")
		}
		// Orders are numbered in the order they were placed.
		var number int
		if _, err := fmtSscan(o.Name, &number); err != nil || number != lastNumber+1 && lastNumber != 0 {
			t.Errorf("order %s after #%d", o.Name, lastNumber)
		}
		lastNumber = number
		if o.CreatedAt.Before(last) {
			t.Errorf("%s at %s, before the order before it", o.Name, o.CreatedAt)
		}
		last = o.CreatedAt
	}
	if n != st.Orders || rows != st.Rows || cancelled != st.Cancelled || refunded != st.Refunded || noEmail != st.NoEmail {
		t.Errorf("read %d orders, %d rows, %d cancelled, %d refunded, %d without email; stats %+v", n, rows, cancelled, refunded, noEmail, st)
	}
	if carmen != 3 || multi < n/5 || cancelled == 0 || refunded == 0 || noEmail == 0 {
		t.Errorf("Carmen %d orders, %d of %d orders with several items, %d cancelled, %d refunded, %d without email", carmen, multi, n, cancelled, refunded, noEmail)
	}
	for _, quirk := range []string{`,"",`, `,'+51 9`, `,'150`, "\ngift_message", "partially_refunded", "voided", ",USD,", ",EUR,", "shopify_draft_order", ",pos,"} {
		if !strings.Contains(orders, quirk) {
			t.Errorf("the orders file has no %q", quirk)
		}
	}

	cr, err := shopifycsv.NewCustomerReader(strings.NewReader(customers), "customers_export.csv")
	if err != nil {
		t.Fatal(err)
	}
	nc := 0
	ids, emails := map[string]bool{}, map[string]bool{}
	for {
		c, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		nc++
		if c.ID == "" || c.Email == "" || ids[c.ID] || emails[c.Email] {
			t.Errorf("customer %+v: no id or email, or one taken", c)
		}
		ids[c.ID], emails[c.Email] = true, true
	}
	if nc != st.Customers || st.Subscribers != 40 {
		t.Errorf("read %d customers; stats %+v", nc, st)
	}
	if !strings.Contains(customers, "\n'786640453979613639,Carmen,Huamán,carmen.huaman@example.com,yes,") {
		t.Errorf("Carmen's row is not as given")
	}
}

// MaxRows ends the file at an order's end once that many rows are written.
func TestMaxRows(t *testing.T) {
	shop := Tienda(1, start, 12, 2000)
	shop.MaxRows = 500
	orders, _, st := write(t, shop)
	if st.Rows < 500 || st.Rows > 505 || strings.Count(orders, "\n") < st.Rows+1 {
		t.Errorf("%d rows written for MaxRows 500", st.Rows)
	}
}

// A shop in a zone with daylight saving time writes both offsets.
func TestOffsetsFollowTheShopsZone(t *testing.T) {
	shop := Tienda(1, start, 12, 100)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	shop.Location = ny
	orders, _, _ := write(t, shop)
	if !strings.Contains(orders, " -0400,") || !strings.Contains(orders, " -0500,") {
		t.Errorf("a New York shop's file lacks -0400 or -0500")
	}
}

func fmtSscan(name string, n *int) (int, error) { return fmt.Sscanf(name, "#%d", n) }
