package shopgen

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// The headers of today's exports, as Shopify writes them.
var (
	orderHeader    = strings.Split("Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,Payment ID,Payment Terms Name,Next Payment Due At,Payment References", ",")
	customerHeader = strings.Split("Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags", ",")
	orderCol       = index(orderHeader)
	customerCol    = index(customerHeader)
)

func index(h []string) map[string]int {
	m := map[string]int{}
	for i, c := range h {
		m[c] = i
	}
	return m
}

// quotedEmpty are the columns genuine exports write as "" when empty on an order's first row.
var quotedEmpty = map[int]bool{orderCol["Discount Code"]: true, orderCol["Note Attributes"]: true, orderCol["Tags"]: true}

// cell is one value: quoted marks a "" written for an empty value.
type cell struct {
	v      string
	quoted bool
}

type writer struct {
	w *bufio.Writer
}

func newWriter(w io.Writer) *writer { return &writer{bufio.NewWriterSize(w, 1<<16)} }

func (w *writer) row(r any) error {
	var cells []cell
	switch r := r.(type) {
	case []string:
		for _, v := range r {
			cells = append(cells, cell{v: v})
		}
	case []cell:
		cells = r
	}
	for i, c := range cells {
		if i > 0 {
			w.w.WriteByte(',')
		}
		if c.quoted || strings.ContainsAny(c.v, ",\"\n\r") {
			w.w.WriteByte('"')
			w.w.WriteString(strings.ReplaceAll(c.v, `"`, `""`))
			w.w.WriteByte('"')
		} else {
			w.w.WriteString(c.v)
		}
	}
	_, err := w.w.WriteString("\n")
	return err
}

func (w *writer) flush() error { return w.w.Flush() }

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05 -0700")
}

// guard is the spreadsheet flavour's apostrophe: all-digit zips, and phones written +CC with
// spaces or dashes, get one.
func (g *gen) guard(v string, phone bool) string {
	if !g.shop.ExcelFlavour || v == "" {
		return v
	}
	if phone && strings.HasPrefix(v, "+") && strings.ContainsAny(v, " -") {
		return "'" + v
	}
	if !phone && strings.Trim(v, "0123456789") == "" {
		return "'" + v
	}
	return v
}

type line struct {
	product  *Product
	quantity int64
	price    int64
}

// order makes one order's rows.
func (g *gen) order(c *customer, at time.Time, number int) [][]cell {
	s, r := g.shop, g.rng
	c.orders++
	g.stats.Orders++
	if g.stats.First.IsZero() {
		g.stats.First = at
	}
	g.stats.Last = at
	currency := c.region.Currency
	name := fmt.Sprintf("#%d", number)
	id := fmt.Sprintf("%d", 5600000000000+int64(number)*7919)

	// What they buy: their favourite when they come back for it, and one or two more sometimes.
	var lines []line
	add := func(p int) {
		prod := &s.Catalog[p]
		for i := range lines {
			if lines[i].product == prod {
				lines[i].quantity++
				return
			}
		}
		lines = append(lines, line{prod, 1, prod.Prices[currency]})
	}
	if c.orders > 1 && r.IntN(100) < 70 || c.known >= 0 && r.IntN(100) < 80 {
		add(c.favourite)
	} else {
		add(g.product())
	}
	for n := []int{0, 0, 0, 0, 1, 1, 2}[r.IntN(7)]; n > 0; n-- {
		add(g.product())
	}
	if r.IntN(100) < 12 {
		lines[0].quantity++
	}
	var items int64
	for _, l := range lines {
		items += l.price * l.quantity
	}
	code, discount := "", int64(0)
	switch {
	case at.Month() == time.November && at.Day() >= 24 || at.Month() == time.December && at.Day() <= 2:
		code, discount = "BLACKFRIDAY20", items*20/100
	case c.orders == 1 && r.IntN(100) < 18:
		code, discount = "BIENVENIDA10", items*10/100
	case c.orders > 2 && r.IntN(100) < 10:
		code, discount = "VUELVE15", items*15/100
	}
	subtotal := items - discount
	shipping := c.region.Shipping
	method := "Envío estándar"
	if c.region.FreeOver > 0 && subtotal >= c.region.FreeOver {
		shipping, method = 0, "Envío gratis"
	}
	var taxes int64
	taxName := ""
	if currency == s.Currency && s.TaxName != "" {
		// Prices include the tax: Total = Subtotal + Shipping, and Taxes is the part included.
		taxes = (subtotal + shipping) * s.TaxPercent / (100 + s.TaxPercent)
		taxName = s.TaxName
	}
	total := subtotal + shipping

	// What happened to it.
	source, payment, employee := "web", "Mercado Pago", ""
	switch x := r.IntN(1000); {
	case x < 12:
		source, payment, employee = "shopify_draft_order", "Manual", s.Staff
	case x < 50:
		payment = "Bank Deposit"
	case x < 150:
		payment = "PayPal Express Checkout"
	}
	if currency != s.Currency && payment != "PayPal Express Checkout" {
		payment = "Shopify Payments"
	}
	noEmail := c.known < 0 && r.IntN(1000) < 10 // a sale at the pop-up stand, nobody's
	if noEmail {
		source, payment = "pos", "Cash"
	}
	age := g.end.Sub(at)
	paid := at.Add(time.Second)
	switch payment {
	case "Bank Deposit":
		paid = at.Add(time.Duration(20+r.IntN(60)) * time.Hour)
	case "Manual": // a draft order: the invoice is paid when the customer gets round to it
		paid = at.Add(time.Duration(1+r.IntN(12)) * 24 * time.Hour)
	}
	financial := "paid"
	if paid.After(g.end) {
		paid, financial = time.Time{}, "pending"
		g.stats.Pending++
	}
	fulfilled := time.Time{}
	if !paid.IsZero() {
		fulfilled = g.daytime(paid.Add(time.Duration(12+r.IntN(48)) * time.Hour))
		if fulfilled.Before(paid) {
			fulfilled = paid.Add(time.Hour)
		}
		if fulfilled.After(g.end) {
			fulfilled = time.Time{}
		}
	}
	var cancelled time.Time
	var refunded int64
	if x := r.IntN(1000); x < 30 && age > 48*time.Hour {
		cancelled = at.Add(time.Duration(1+r.IntN(40)) * time.Hour)
		fulfilled = time.Time{}
		switch {
		case x < 20 && !paid.IsZero():
			financial, refunded = "refunded", total
		case paid.IsZero() || x < 25:
			financial, paid = "voided", time.Time{}
		default: // cancelled, money kept (a store credit given by hand)
		}
		g.stats.Cancelled++
	} else if x < 75 && !fulfilled.IsZero() && age > 10*24*time.Hour {
		if x < 62 && len(lines) > 1 || x < 45 {
			financial, refunded = "partially_refunded", lines[len(lines)-1].price
			if refunded >= total {
				refunded = total / 2
			}
		} else {
			financial, refunded = "refunded", total
		}
	}
	if refunded > 0 {
		g.stats.Refunded++
	}
	outstanding := int64(0)
	if financial == "pending" || financial == "voided" {
		outstanding = total
	}
	if financial == "paid" || financial == "partially_refunded" || financial == "refunded" {
		c.spentCents += total - refunded // as Shopify's Total Spent: net of refunds, paid orders only
	}

	email := c.email
	if c.capitalised && c.orders == 2 {
		email = strings.ToUpper(email[:1]) + email[1:]
	}
	if noEmail {
		email = ""
		g.stats.NoEmail++
	}
	accepts := "no"
	if c.acceptsEmail {
		accepts = "yes"
	}
	ref := "r" + g.token(24)
	refs := ref
	if refunded > 0 {
		refs += fmt.Sprintf(" + %s.2", name)
	}
	fullName := c.first + " " + c.last
	street := c.street
	phone := g.guard(c.typed, true)
	zip := g.guard(c.zip, false)
	status := "fulfilled"
	itemStatus := "fulfilled"
	if fulfilled.IsZero() {
		status, itemStatus = "unfulfilled", "pending"
	}
	notes, attrs := "", ""
	tags := ""
	if r.IntN(100) < 4 {
		notes = "Es un regalo: sin precios en la caja, por favor."
		attrs = "gift_wrap: yes\ngift_message: ¡Feliz cumpleaños!"
		tags = "gift"
	}
	if source == "shopify_draft_order" {
		notes, tags = "Pedido tomado por WhatsApp.", "whatsapp"
	}

	rows := make([][]cell, 0, len(lines))
	for i, l := range lines {
		row := make([]cell, len(orderHeader))
		set := func(col, v string) { row[orderCol[col]] = cell{v: v} }
		set("Name", name)
		set("Email", email)
		set("Created at", stamp(at))
		set("Lineitem quantity", fmt.Sprint(l.quantity))
		set("Lineitem name", l.product.Name)
		set("Lineitem price", money(l.price))
		set("Lineitem sku", l.product.SKU)
		set("Lineitem requires shipping", "true")
		set("Lineitem taxable", "true")
		set("Lineitem fulfillment status", itemStatus)
		set("Vendor", l.product.Vendor)
		set("Lineitem discount", "0.00")
		if i > 0 {
			row[orderCol["Lineitem compare at price"]] = cell{quoted: true}
			if c.phone != "" && !noEmail {
				set("Phone", c.phone)
			}
			rows = append(rows, row)
			continue
		}
		set("Financial Status", financial)
		set("Paid at", stamp(paid))
		set("Fulfillment Status", status)
		set("Fulfilled at", stamp(fulfilled))
		set("Accepts Marketing", accepts)
		set("Currency", currency)
		set("Subtotal", money(subtotal))
		set("Shipping", money(shipping))
		set("Taxes", money(taxes))
		set("Total", money(total))
		set("Discount Code", code)
		set("Discount Amount", money(discount))
		set("Shipping Method", method)
		if !noEmail {
			for _, side := range []string{"Billing", "Shipping"} {
				set(side+" Name", fullName)
				set(side+" Street", street)
				set(side+" Address1", street)
				set(side+" City", c.city)
				set(side+" Zip", zip)
				set(side+" Province", c.province.Code)
				set(side+" Country", c.region.Country)
				set(side+" Phone", phone)
				set(side+" Province Name", c.province.Name)
			}
			set("Phone", c.phone)
		}
		set("Notes", notes)
		set("Note Attributes", attrs)
		set("Cancelled at", stamp(cancelled))
		set("Payment Method", payment)
		set("Payment Reference", ref)
		set("Refunded Amount", money(refunded))
		set("Outstanding Balance", money(outstanding))
		set("Employee", employee)
		set("Id", id)
		set("Tags", tags)
		set("Risk Level", "Low")
		set("Source", source)
		if taxName != "" {
			set("Tax 1 Name", taxName)
			set("Tax 1 Value", money(taxes))
		}
		set("Payment ID", ref)
		set("Payment References", refs)
		for col := range quotedEmpty {
			row[col].quoted = row[col].v == ""
		}
		rows = append(rows, row)
	}
	return rows
}

func (g *gen) customerRow(c *customer) []string {
	row := make([]string, len(customerHeader))
	set := func(col, v string) { row[customerCol[col]] = v }
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	set("Customer ID", g.guard(c.id, false))
	set("First Name", c.first)
	set("Last Name", c.last)
	set("Email", c.email)
	set("Accepts Email Marketing", yes(c.acceptsEmail))
	if c.orders > 0 {
		set("Default Address Address1", c.street)
		set("Default Address City", c.city)
		set("Default Address Province Code", c.province.Code)
		set("Default Address Country Code", c.region.Country)
		zip := c.zip
		if g.shop.ExcelFlavour && strings.HasPrefix(zip, "0") && strings.Trim(zip, "0123456789") == "" {
			zip = "'" + zip // the customers export guards only zips that start with 0
		}
		set("Default Address Zip", zip)
		// 2024-25 customers exports guard every phone, however written.
		apostrophe := ""
		if g.shop.ExcelFlavour {
			apostrophe = "'"
		}
		if c.phone != "" {
			set("Default Address Phone", apostrophe+c.typed)
			set("Phone", apostrophe+c.phone)
		}
	}
	set("Accepts SMS Marketing", yes(c.sms))
	set("Total Spent", money(c.spentCents))
	set("Total Orders", fmt.Sprint(c.orders))
	set("Note", c.note)
	set("Tax Exempt", "no")
	set("Tags", strings.Join(c.tags, ", "))
	return row
}

const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *gen) token(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[g.rng.IntN(len(tokenChars))]
	}
	return string(b)
}
