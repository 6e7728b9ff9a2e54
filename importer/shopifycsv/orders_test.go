package shopifycsv

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/event"
)

func byName(os []*Order) map[string]*Order {
	m := map[string]*Order{}
	for _, o := range os {
		m[o.Name] = o
	}
	return m
}

func eventsOf(evs []event.Event, typ string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestCorpusOrdersGroupedByName(t *testing.T) {
	orders, ps := readOrders(t, "orders_export.csv", corpus(t, "orders_export.csv"))
	if len(ps) > 0 {
		t.Fatalf("problems in a genuine-shaped file: %v", ps)
	}
	var names []string
	var lines, items []int
	for _, o := range orders {
		names = append(names, o.Name)
		lines = append(lines, o.Line)
		items = append(items, len(o.Items))
	}
	// #1002's first row spans lines 3 and 4 (a two-line Note Attributes), so #1003 starts on line 7.
	if want := []string{"#1001", "#1002", "#1003", "#1004", "#1005"}; !reflect.DeepEqual(names, want) {
		t.Errorf("orders %v, want %v", names, want)
	}
	if want := []int{2, 3, 7, 8, 10}; !reflect.DeepEqual(lines, want) {
		t.Errorf("first rows on lines %v, want %v", lines, want)
	}
	if want := []int{1, 3, 1, 2, 2}; !reflect.DeepEqual(items, want) {
		t.Errorf("items per order %v, want %v", items, want)
	}
	o := byName(orders)["#1002"]
	// The continuation rows' empty Total must not change the order's: Total is never summed.
	if o.Total != "76.50" || o.Currency != "USD" || o.FinancialStatus != "paid" || o.DiscountCode != "WELCOME10" {
		t.Errorf("#1002 = total %s %s, %s, code %q", o.Total, o.Currency, o.FinancialStatus, o.DiscountCode)
	}
	if got := []int{o.Items[0].Line, o.Items[1].Line, o.Items[2].Line}; !reflect.DeepEqual(got, []int{3, 5, 6}) {
		t.Errorf("#1002's items on lines %v, want 3 5 6", got)
	}
	if it := o.Items[2]; it.Name != "Beeswax Candle" || it.SKU != "CANDLE-BW" || it.Quantity != "1" || it.Price != "12.00" || it.Vendor != "Sample Candle Co." {
		t.Errorf("#1002's third item = %+v", it)
	}
	if !reflect.DeepEqual(o.Tags, []string{"gift", "first-order"}) {
		t.Errorf("tags %q", o.Tags)
	}
}

func TestCorpusEvents(t *testing.T) {
	orders, _ := readOrders(t, "orders_export.csv", corpus(t, "orders_export.csv"))
	customers, ps := readCustomers(t, "customers_export.csv", corpus(t, "customers_export.csv"))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	evs := convert(t, orders, customers)
	golden(t, "corpus.events.ndjson", evs)

	placed := eventsOf(evs, event.OrderPlaced)
	if len(placed) != 5 {
		t.Fatalf("%d order.placed, want 5 (a pending draft order counts as placed, as orders/create makes it)", len(placed))
	}
	// Customers are the ids the customers export gives their emails, as webhooks name them.
	if placed[0].Subject != "7412345600101" || placed[3].Subject != "7412345600101" {
		t.Errorf("Alex's orders went to %s and %s, want 7412345600101 both", placed[0].Subject, placed[3].Subject)
	}
	if placed[0].ID != source+"/order/5612345600001/placed" {
		t.Errorf("id %s: want the orders/create webhook's", placed[0].ID)
	}
	// Times keep the offset the file gave them: -0500 before the US clock change, -0400 after.
	for i, want := range []int{-5, -5, -5, -4, -4} {
		if _, off := placed[i].Time.Zone(); off != want*3600 {
			t.Errorf("%s: offset %d s, want %d h", placed[i].ID, off, want)
		}
	}
	if d := placed[4].Data; d["financial_status"] != "pending" || d["total"] != json.Number("90.00") {
		t.Errorf("#1005: %v", d)
	}
	cancelled := eventsOf(evs, event.OrderCancelled)
	if len(cancelled) != 1 || cancelled[0].Data["order_id"] != "5612345600003" ||
		!cancelled[0].Time.Equal(time.Date(2024, 3, 7, 21, 30, 2, 0, time.UTC)) {
		t.Errorf("cancelled: %+v", cancelled)
	}
	refunded := eventsOf(evs, event.OrderRefunded)
	if len(refunded) != 2 || refunded[0].Data["amount"] != json.Number("96.50") || refunded[1].Data["amount"] != json.Number("19.13") {
		t.Fatalf("refunds: %+v", refunded)
	}
	// A refund is dated at the order's last known moment: #1004's fulfilment.
	if !refunded[1].Time.Equal(time.Date(2024, 3, 12, 19, 2, 44, 0, time.UTC)) {
		t.Errorf("#1004's refund at %s", refunded[1].Time)
	}
	// The buyers are all in the customers export, so no order repeats their details.
	if n := len(eventsOf(evs, event.CustomerUpdated)); n != 0 {
		t.Errorf("%d customer.updated from orders of customers the customers export lists", n)
	}
	created := eventsOf(evs, event.CustomerCreated)
	if len(created) != 5 {
		t.Fatalf("%d customer.created, want 5", len(created))
	}
	// Dated after every order, so that today's consent wins; created_at is the first order.
	last := time.Date(2024, 3, 14, 17, 30, 0, 0, time.FixedZone("", -4*3600))
	for _, c := range created {
		if !c.Time.Equal(last) {
			t.Errorf("%s at %s, want %s", c.ID, c.Time, last)
		}
	}
	if d := created[0].Data; d["created_at"] != "2024-03-01T10:22:33-05:00" || d["phone"] != "+15555550101" ||
		!reflect.DeepEqual(d["consent"], map[string]any{"email": true, "sms": false}) {
		t.Errorf("Alex: %v", d)
	}
	if d := created[4].Data; d["created_at"] != nil || d["email"] != "sam.newsletter@example.com" {
		t.Errorf("Sam, who never ordered: %v", d)
	}
}

// Without the customers export, a buyer is their lowercased email (as webhooks know a guest), and
// each order carries the buyer's details as the orders/create webhook does.
func TestWithoutCustomersBuyersAreEmails(t *testing.T) {
	rs := corpusRecords(t, "orders_export.csv").set(0, "Email", "Alex.Example@Example.com")
	orders, _ := readOrders(t, "orders_export.csv", rs.csv(t))
	evs := convert(t, orders, nil)
	placed := eventsOf(evs, event.OrderPlaced)
	if placed[0].Subject != "alex.example@example.com" || placed[3].Subject != "alex.example@example.com" {
		t.Errorf("Alex's orders went to %q and %q", placed[0].Subject, placed[3].Subject)
	}
	buyers := eventsOf(evs, event.CustomerUpdated)
	if len(buyers) != 5 {
		t.Fatalf("%d customer.updated, want one per order", len(buyers))
	}
	want := map[string]any{"email": "Alex.Example@Example.com", "first_name": "Alex", "last_name": "Example", "phone": "+15555550101",
		"consent": map[string]any{"email": true}, "created_at": "2024-03-01T10:22:33-05:00"}
	if !reflect.DeepEqual(buyers[0].Data, want) {
		t.Errorf("Alex's details: %v\nwant %v", buyers[0].Data, want)
	}
	// Jamie did not tick the box: nothing is said about consent (an unticked box withdraws nothing).
	if _, ok := buyers[1].Data["consent"]; ok {
		t.Errorf("Jamie's details carry consent: %v", buyers[1].Data)
	}
	if buyers[0].ID != source+"/order/5612345600001/customer" || !buyers[0].Time.Equal(placed[0].Time) {
		t.Errorf("details event %s at %s", buyers[0].ID, buyers[0].Time)
	}
}

func TestCRLFAndBOM(t *testing.T) {
	want, _ := readOrders(t, "orders_export.csv", corpus(t, "orders_export.csv"))
	crlf := "\ufeff" + strings.ReplaceAll(corpus(t, "orders_export.csv"), "\n", "\r\n")
	got, ps := readOrders(t, "orders_export.csv", crlf)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CRLF and a byte order mark change the orders")
	}
	// Inside a quoted value too, CRLF reads as one line break.
	if !reflect.DeepEqual(convert(t, got, nil), convert(t, want, nil)) {
		t.Errorf("CRLF changes the events")
	}
}

// Columns are matched by name: another order, an unknown column and another case change nothing.
func TestColumnsByName(t *testing.T) {
	rs := corpusRecords(t, "orders_export.csv")
	want, _ := readOrders(t, "orders_export.csv", rs.csv(t))
	shuffled := make([]string, len(rs.header))
	copy(shuffled, rs.header)
	for i, j := 0, len(shuffled)-1; i < j; i, j = i+1, j-1 {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	}
	other := rs.only(append(shuffled, "Label (order.metafields.custom.gift)")...)
	other.header[0] = strings.ToUpper(other.header[0])
	for i := range other.rows {
		other.rows[i][len(other.header)-1] = "anything"
	}
	got, ps := readOrders(t, "orders_export.csv", other.csv(t))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if !reflect.DeepEqual(convert(t, got, nil), convert(t, want, nil)) {
		t.Errorf("reordered columns give other events")
	}
}

// The header versions Shopify has exported, each a cut of today's 79 columns.
func TestOlderOrderHeaders(t *testing.T) {
	rs := corpusRecords(t, "orders_export.csv")
	current, _ := readOrders(t, "orders_export.csv", rs.csv(t))
	wantEvents := convert(t, current, nil)
	cases := []struct {
		name   string
		file   *records
		cols   int
		events func([]event.Event) []event.Event
	}{
		{"2023-2026", rs, 79, nil},
		{"2022", rs.without("Payment References"), 78, nil},
		{"2021", rs.without("Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References"), 75, nil},
		{"2019-2022", rs.without("Outstanding Balance", "Employee", "Location", "Device ID", "Payment ID", "Payment References"), 73, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.file.header) != c.cols {
				t.Fatalf("%d columns, want %d", len(c.file.header), c.cols)
			}
			got, ps := readOrders(t, "orders_export.csv", c.file.csv(t))
			if len(ps) > 0 {
				t.Fatal(ps)
			}
			if !reflect.DeepEqual(convert(t, got, nil), wantEvents) {
				t.Errorf("the %s header gives other events", c.name)
			}
		})
	}
	// 2012: the first 47 columns (Name .. Cancelled at), no Id and no Refunded Amount; a fixture
	// of the time adds a Variant column first.
	old := rs.only(append([]string{"Variant"}, rs.header[:47]...)...)
	r, err := NewOrderReader(strings.NewReader(old.csv(t)), "orders_export.csv")
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(r.Warnings(), "\n"); !strings.Contains(w, `no "Id" column`) || !strings.Contains(w, `no "Refunded Amount" column`) {
		t.Errorf("warnings: %s", w)
	}
	got, ps := readOrders(t, "orders_export.csv", old.csv(t))
	if len(ps) > 0 || len(got) != 5 {
		t.Fatalf("%d orders, problems %v", len(got), ps)
	}
	evs := convert(t, got, nil)
	placed := eventsOf(evs, event.OrderPlaced)
	if placed[0].Data["order_id"] != "#1001" || placed[0].ID != source+"/order/#1001/placed" {
		t.Errorf("without Id, an order is known by its Name: %s %v", placed[0].ID, placed[0].Data["order_id"])
	}
	// Refunded means the whole Total; a partial refund's amount is unknown.
	refunded := eventsOf(evs, event.OrderRefunded)
	if len(refunded) != 1 || refunded[0].Data["amount"] != json.Number("96.50") {
		t.Errorf("refunds without Refunded Amount: %+v", refunded)
	}
	if n := len(eventsOf(evs, event.OrderCancelled)); n != 1 {
		t.Errorf("%d cancelled", n)
	}
}

func TestMissingOptionalColumnsWarn(t *testing.T) {
	rs := corpusRecords(t, "orders_export.csv").only("Name", "Email", "Created at", "Total", "Currency")
	r, err := NewOrderReader(strings.NewReader(rs.csv(t)), "trimmed.csv")
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(r.Warnings(), "\n")
	for _, col := range []string{"Cancelled at", "Refunded Amount", "Id", "Lineitem name"} {
		if !strings.Contains(w, `no "`+col+`" column`) {
			t.Errorf("no warning about %s in:\n%s", col, w)
		}
	}
	got, ps := readOrders(t, "trimmed.csv", rs.csv(t))
	if len(ps) > 0 || len(got) != 5 || got[1].Total != "76.50" || len(got[1].Items) != 0 {
		t.Errorf("trimmed file: %d orders, problems %v", len(got), ps)
	}
}

func TestCanceledAtSpelling(t *testing.T) {
	rs := corpusRecords(t, "orders_export.csv")
	rs.header[rs.col("Cancelled at")] = "Canceled at"
	got, _ := readOrders(t, "orders_export.csv", rs.csv(t))
	if !byName(got)["#1003"].Cancelled() {
		t.Errorf("a Canceled at column is not read")
	}
}

// One leading apostrophe is a spreadsheet guard on zip, phone and id columns; it is removed there
// and nowhere else.
func TestLeadingApostrophes(t *testing.T) {
	rs := corpusRecords(t, "orders_export.csv").
		set(0, "Id", "'5612345600001").
		set(0, "Phone", "'+1 555-555-0101").
		set(0, "Lineitem name", "'Tis the Season Candle")
	got, ps := readOrders(t, "orders_export.csv", rs.csv(t))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	o := got[0]
	if o.ID != "5612345600001" || o.Phone != "+1 555-555-0101" || o.Items[0].Name != "'Tis the Season Candle" {
		t.Errorf("id %q, phone %q, item %q", o.ID, o.Phone, o.Items[0].Name)
	}
	// The corpus's own: #1005's '+1 phone in Billing Phone is not an order column we read, but
	// its Phone is plain; #1001's Discount Code is a quoted empty value.
	corpusOrders, _ := readOrders(t, "orders_export.csv", corpus(t, "orders_export.csv"))
	if corpusOrders[0].DiscountCode != "" || corpusOrders[4].Phone != "+15555550104" {
		t.Errorf("code %q, phone %q", corpusOrders[0].DiscountCode, corpusOrders[4].Phone)
	}
}

func TestOrderWithoutEmailGivesNoEvents(t *testing.T) {
	rs := corpusRecords(t, "orders_export.csv").set(0, "Email", "")
	got, ps := readOrders(t, "orders_export.csv", rs.csv(t))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	c := &Converter{Source: source}
	if evs := c.OrderEvents(got[0]); evs != nil {
		t.Errorf("events for an order nobody placed: %v", evs)
	}
	if evs := c.OrderEvents(got[1]); len(evs) != 2 {
		t.Errorf("%d events for #1002, want its buyer and order.placed", len(evs))
	}
}
