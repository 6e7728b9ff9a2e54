package shopifycsv

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Order is one order of the orders export: its first row's order-level columns and one item per
// row. Amounts are decimal text as Shopify wrote it ("" when the column is absent or empty).
type Order struct {
	Line              int    // where its first row starts
	Name              string // "#1001"; unique in a shop, and what groups an order's rows
	ID                string // the numeric order id ("" in exports without the Id column)
	Email             string
	FinancialStatus   string // paid, pending, refunded, partially_refunded, voided, ...
	FulfillmentStatus string
	AcceptsMarketing  *bool
	Currency          string
	Subtotal          string
	Shipping          string
	Taxes             string
	Total             string // the amount ordered; it stays so after refunds and cancellation
	DiscountCode      string
	DiscountAmount    string
	RefundedAmount    string
	Outstanding       string
	CreatedAt         time.Time
	PaidAt            time.Time // zero when not paid
	FulfilledAt       time.Time
	CancelledAt       time.Time // zero unless cancelled
	BillingName       string
	Phone             string
	Tags              []string
	Source            string // web, pos, shopify_draft_order, an app's numeric id, ...
	Items             []Item
}

// Item is one line item: one row of the export.
type Item struct {
	Line     int
	Name     string
	SKU      string
	Quantity string // digits
	Price    string // unit price
	Vendor   string
}

// OrderID is the id events use: the numeric id the webhooks carry, else the Name for exports
// without the Id column.
func (o *Order) OrderID() string {
	if o.ID != "" {
		return o.ID
	}
	return o.Name
}

// Cancelled reports whether the order was cancelled: the export has no such status, only the
// time in Cancelled at (its Financial Status says what happened to the money).
func (o *Order) Cancelled() bool { return !o.CancelledAt.IsZero() }

// Column names of the orders export, as Shopify spells them (matched ignoring case).
const (
	colName              = "Name"
	colEmail             = "Email"
	colFinancialStatus   = "Financial Status"
	colPaidAt            = "Paid at"
	colFulfillmentStatus = "Fulfillment Status"
	colFulfilledAt       = "Fulfilled at"
	colAcceptsMarketing  = "Accepts Marketing"
	colCurrency          = "Currency"
	colSubtotal          = "Subtotal"
	colShipping          = "Shipping"
	colTaxes             = "Taxes"
	colTotal             = "Total"
	colDiscountCode      = "Discount Code"
	colDiscountAmount    = "Discount Amount"
	colCreatedAt         = "Created at"
	colItemQuantity      = "Lineitem quantity"
	colItemName          = "Lineitem name"
	colItemPrice         = "Lineitem price"
	colItemSKU           = "Lineitem sku"
	colBillingName       = "Billing Name"
	colCancelledAt       = "Cancelled at"
	colRefundedAmount    = "Refunded Amount"
	colVendor            = "Vendor"
	colOutstanding       = "Outstanding Balance"
	colID                = "Id"
	colTags              = "Tags"
	colSource            = "Source"
	colPhone             = "Phone"
)

// ordersRequired are the columns without which an order cannot be told apart, dated or valued.
var ordersRequired = []string{colName, colEmail, colCreatedAt, colTotal, colCurrency}

// ordersNoted are columns whose absence changes what is imported; the reader warns about each.
var ordersNoted = []struct{ col, consequence string }{
	{colCancelledAt, "cancelled orders cannot be told apart and count as placed"},
	{colRefundedAmount, "refunds are taken from Financial Status alone: refunded means the whole Total, and partial refunds are left out"},
	{colID, "orders are known by their Name; their events will not match the ids of Shopify's webhooks"},
	{colItemName, "orders are imported without their items"},
}

// OrderReader reads an orders export one order at a time.
type OrderReader struct {
	t        *table
	warnings []string
	cur      *Order // the order being gathered
	curBad   Problems
	done     bool
	rows     int
	// held is a read-ahead: the first row of the next order, already parsed.
	held    *Order
	heldBad Problems
	// loose are problems of rows that belong to no order the reader could name.
	loose Problems
}

// NewOrderReader reads the header. A file that is not an orders export is an error that says what
// it looks like instead.
func NewOrderReader(r io.Reader, file string) (*OrderReader, error) {
	t, err := openTable(r, file, "orders")
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, c := range ordersRequired {
		if !t.has(c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("this is not a Shopify orders export: it has no %s column", strings.Join(quoteAll(missing), ", "))
		if len(missing) > 1 {
			msg += "s"
		}
		if t.has("Customer ID") || t.has("Accepts Email Marketing") || t.has("Total Orders") {
			msg += "; it looks like a customers export: give it with --customers"
		} else {
			msg += " (export it from Shopify admin: Orders, Export, all orders, CSV)"
		}
		return nil, &Problem{File: file, Line: 1, Msg: msg}
	}
	or := &OrderReader{t: t}
	for _, n := range ordersNoted {
		if !t.has(n.col) {
			or.warnings = append(or.warnings, fmt.Sprintf("%s: no %q column: %s", file, n.col, n.consequence))
		}
	}
	return or, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// Warnings are the consequences of columns this file lacks.
func (r *OrderReader) Warnings() []string { return r.warnings }

// Rows is how many data rows have been read.
func (r *OrderReader) Rows() int { return r.rows }

// Next returns the next order. An order with problems is returned as Problems, with nil: the
// caller may go on reading. io.EOF ends the file; any other error is the file failing to read.
func (r *OrderReader) Next() (*Order, error) {
	for {
		if len(r.loose) > 0 {
			ps := r.loose
			r.loose = nil
			return nil, ps
		}
		if r.done {
			if r.cur == nil {
				return nil, io.EOF
			}
			return r.finish()
		}
		o, bad, err := r.readRow()
		if errors.Is(err, io.EOF) {
			r.done = true
			continue
		}
		if err != nil {
			return nil, err
		}
		if o == nil && bad == nil {
			continue // a row the current order took
		}
		if r.cur == nil {
			r.cur, r.curBad = o, bad
			continue
		}
		r.held, r.heldBad = o, bad
		out, err := r.finish()
		r.cur, r.curBad, r.held, r.heldBad = r.held, r.heldBad, nil, nil
		return out, err
	}
}

// finish hands over the current order.
func (r *OrderReader) finish() (*Order, error) {
	o, bad := r.cur, r.curBad
	r.cur, r.curBad = nil, nil
	if len(bad) > 0 {
		return nil, bad
	}
	return o, nil
}

// readRow reads one row. A continuation row of the current order is added to it (nil, nil, nil);
// a row that starts another order returns that order; loose problems go to r.loose.
func (r *OrderReader) readRow() (*Order, Problems, error) {
	t := r.t
	err := t.next()
	if errors.Is(err, io.EOF) {
		return nil, nil, io.EOF
	}
	var p *Problem
	if errors.As(err, &p) {
		r.rows++
		return r.brokenRow(p)
	} else if err != nil {
		return nil, nil, err
	}
	r.rows++
	if t.isHeaderAgain() {
		r.loose = append(r.loose, &Problem{File: t.file, Line: t.line, Msg: "the header row again: two exports were joined into one file; import each file on its own (a second import of the same orders changes nothing)"})
		return nil, nil, nil
	}
	name := t.get(colName)
	if name == "" {
		r.loose = append(r.loose, &Problem{File: t.file, Line: t.line, Column: colName, Msg: "is empty: every row names its order (the first row of an order and each of its line items)"})
		return nil, nil, nil
	}
	if r.cur != nil && name == r.cur.Name {
		r.continuation(r.cur, &r.curBad)
		return nil, nil, nil
	}
	return r.firstRow(name)
}

// brokenRow places a row the CSV syntax broke: with its order when the Name before the break can
// be read, so that the order is not imported without one of its items.
func (r *OrderReader) brokenRow(p *Problem) (*Order, Problems, error) {
	i, ok := r.t.index[key(colName)]
	if !ok || i >= len(r.t.rec) || strings.TrimSpace(r.t.rec[i]) == "" {
		r.loose = append(r.loose, p)
		return nil, nil, nil
	}
	name := strings.TrimSpace(r.t.rec[i])
	p.Order = name
	if r.cur != nil && name == r.cur.Name {
		r.curBad = append(r.curBad, p)
		return nil, nil, nil
	}
	return &Order{Line: p.Line, Name: name}, Problems{p}, nil
}

// firstRow reads the order-level columns of an order's first row, and its first item.
func (r *OrderReader) firstRow(name string) (*Order, Problems, error) {
	t := r.t
	o := &Order{Line: t.line, Name: name}
	var bad Problems
	fail := func(col string, err error) {
		bad = append(bad, &Problem{File: t.file, Line: t.line, Order: name, Column: col, Msg: err.Error()})
	}
	if t.get(colTotal) == "" && t.get(colFinancialStatus) == "" && t.get(colCurrency) == "" {
		bad = append(bad, &Problem{File: t.file, Line: t.line, Order: name, Msg: "this row continues an order whose first row is missing " +
			"(Total, Currency and Financial Status are empty, as on an order's further line items): the rows of one order must be " +
			"next to each other, first row first, as Shopify writes them; export the file again, or sort it back by Name without moving rows within an order"})
		return o, bad, nil
	}
	var err error
	if o.ID, err = parseID(t.code(colID)); err != nil {
		fail(colID, err)
	}
	o.Email = t.get(colEmail)
	if err := checkEmail(o.Email); err != nil {
		fail(colEmail, err)
	}
	o.FinancialStatus = strings.ToLower(t.get(colFinancialStatus))
	o.FulfillmentStatus = strings.ToLower(t.get(colFulfillmentStatus))
	if o.AcceptsMarketing, err = parseYesNo(t.get(colAcceptsMarketing)); err != nil {
		fail(colAcceptsMarketing, err)
	}
	if o.Currency, err = parseCurrency(t.get(colCurrency)); err != nil {
		fail(colCurrency, err)
	}
	if o.Total, err = parseAmount(t.get(colTotal)); err != nil {
		fail(colTotal, err)
	} else if o.Total == "" {
		fail(colTotal, errors.New("is empty: the first row of an order carries its total"))
	}
	for _, a := range []struct {
		col string
		to  *string
	}{
		{colSubtotal, &o.Subtotal}, {colShipping, &o.Shipping}, {colTaxes, &o.Taxes},
		{colDiscountAmount, &o.DiscountAmount}, {colRefundedAmount, &o.RefundedAmount}, {colOutstanding, &o.Outstanding},
	} {
		if *a.to, err = parseAmount(t.get(a.col)); err != nil {
			fail(a.col, err)
		}
	}
	for _, c := range []struct {
		col string
		to  *time.Time
	}{
		{colCreatedAt, &o.CreatedAt}, {colPaidAt, &o.PaidAt}, {colFulfilledAt, &o.FulfilledAt}, {colCancelledAt, &o.CancelledAt},
	} {
		if *c.to, err = parseTime(t.get(c.col)); err != nil {
			fail(c.col, err)
		}
	}
	if o.CreatedAt.IsZero() && t.get(colCreatedAt) == "" {
		fail(colCreatedAt, errors.New("is empty: every order has the time it was placed"))
	}
	o.DiscountCode = t.get(colDiscountCode)
	o.BillingName = t.get(colBillingName)
	o.Phone = t.code(colPhone)
	o.Tags = splitTags(t.get(colTags))
	o.Source = t.get(colSource)
	r.item(o, &bad)
	return o, bad, nil
}

// continuation adds a further line item to the current order. Its order-level columns are empty
// in a genuine export; a Total there means a second first row of the same Name.
func (r *OrderReader) continuation(o *Order, bad *Problems) {
	t := r.t
	if t.get(colTotal) != "" && t.get(colFinancialStatus) != "" {
		*bad = append(*bad, &Problem{File: t.file, Line: t.line, Order: o.Name, Msg: fmt.Sprintf(
			"a second first row for this order (line %d is the first): a further line item leaves Total and Financial Status empty; "+
				"remove the repeated order, or export the file again", o.Line)})
		return
	}
	r.item(o, bad)
}

// item reads the line item of the current row, if it has one.
func (r *OrderReader) item(o *Order, bad *Problems) {
	t := r.t
	it := Item{Line: t.line, Name: t.get(colItemName), SKU: t.get(colItemSKU), Vendor: t.get(colVendor)}
	var err error
	if it.Quantity, err = parseQuantity(t.get(colItemQuantity)); err != nil {
		*bad = append(*bad, &Problem{File: t.file, Line: t.line, Order: o.Name, Column: colItemQuantity, Msg: err.Error()})
	}
	if it.Price, err = parseAmount(t.get(colItemPrice)); err != nil {
		*bad = append(*bad, &Problem{File: t.file, Line: t.line, Order: o.Name, Column: colItemPrice, Msg: err.Error()})
	}
	if it.Name == "" && it.SKU == "" && it.Quantity == "" && it.Price == "" {
		return
	}
	o.Items = append(o.Items, it)
}
