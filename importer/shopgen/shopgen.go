// Package shopgen makes up the orders and customers exports of a Shopify shop: a small shop's year
// for the example workspace, or a million rows for measuring the import. The files have the
// genuine header and the genuine files' quirks (continuation rows, apostrophe guards, quoted empty
// values, multi-line notes, tax-inclusive totals, cancellations, partial refunds, pending and
// draft orders, orders without an email), and the customers behave like customers: most buy
// once, some come back when the product they bought runs out, fewer stay. The same Shop gives
// the same files, byte for byte.
package shopgen

import (
	"container/heap"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Product is one item of the catalog.
type Product struct {
	SKU, Name, Vendor string
	// Prices in cents by currency; the shop's currency must be there.
	Prices map[string]int64
	// Weight is how often it is bought, relative to the others.
	Weight int
	// Days is about how long it lasts: a customer who comes back for more does so around then.
	Days int
}

// Region is where a share of the customers live, and what their addresses look like.
type Region struct {
	Country, CountryName string
	Currency             string
	Weight               int
	Provinces            []Province
	PhoneCode            string // "+51"
	// Phone is how a national number is written: d is a random digit, other digits are kept, and
	// spaces and dashes are how people type it ("9dd ddd ddd").
	Phone      string
	FirstNames []string
	LastNames  []string
	Streets    []string
	Shipping   int64 // cents, under FreeOver
	FreeOver   int64 // cents of subtotal from which shipping is free; 0 never
}

// Province is a province or state with its cities and zips.
type Province struct {
	Code, Name string
	Cities     []string
	Zip        func(r *rand.Rand) string
}

// Customer is a customer the shop must have, with orders of their own in the files: the example
// workspace's accounts that come back after the history ends.
type Customer struct {
	ID, Email, FirstName, LastName, Phone string
	Region                                string // a Region's Country
	AcceptsEmail, AcceptsSMS              bool
	Since                                 time.Time // no order before
	Orders                                int       // how many orders in the files
	SKUs                                  []string  // what they buy
	Tags                                  []string
}

// Shop describes the files to make.
type Shop struct {
	Seed     uint64
	Start    time.Time // the first day
	Months   int
	Location *time.Location // the shop's time zone: times are written with its offset
	Currency string         // the shop's currency
	// Customers is how many customers place a first order over the period, besides Known.
	Customers int
	// Subscribers are customers who never ordered (newsletter sign-ups).
	Subscribers int
	Catalog     []Product
	Regions     []Region
	Known       []Customer
	Reserved    map[string]bool // emails the made-up customers must not have
	FirstOrder  int             // the first order's number (#1001)
	// MaxRows stops the orders file after this many rows (at the end of an order); 0 is no limit.
	MaxRows int
	// ExcelFlavour writes the apostrophe guards of "CSV for Excel" on zips, phones and ids.
	ExcelFlavour bool
	// TaxName is the tax included in the shop's prices (tax-inclusive: Total = Subtotal + Shipping);
	// "" for a shop without it.
	TaxName    string
	TaxPercent int64
	// Staff is who creates the draft orders.
	Staff string
}

// Stats say what was written.
type Stats struct {
	Orders, Rows, Customers, Subscribers, Cancelled, Refunded, Pending, NoEmail int
	First, Last                                                                 time.Time
}

type customer struct {
	known              int // index in Known, or -1
	id                 string
	first, last, email string
	region             *Region
	province           *Province
	city, street, zip  string
	phone              string // E.164
	typed              string // as typed in an address: +51 987 654 321
	acceptsEmail, sms  bool
	arrive             time.Time
	orders, planned    int
	spentCents         int64
	favourite          int // catalog index of what they come back for
	inCustomersFile    bool
	tags               []string
	capitalised        bool // writes their email with capitals at checkout, once
	note               string
}

// Write writes the orders export, then the customers export.
func (s *Shop) Write(orders, customers io.Writer) (Stats, error) {
	g := &gen{shop: s, rng: rand.New(rand.NewPCG(s.Seed, s.Seed^0x5bd1e995))}
	return g.run(orders, customers)
}

type gen struct {
	shop   *Shop
	rng    *rand.Rand
	custs  []*customer
	used   map[string]bool
	suffix map[string]int // the last number given to a taken address, by its name part
	idBase int64
	stats  Stats
	end    time.Time
	weight []int // cumulative catalog weights
}

func (g *gen) run(ow, cw io.Writer) (Stats, error) {
	s := g.shop
	g.end = s.Start.AddDate(0, s.Months, 0)
	g.used, g.suffix = map[string]bool{}, map[string]int{}
	g.idBase = g.rng.Int64N(1e12)
	for e := range s.Reserved {
		g.used[e] = true
	}
	total := 0
	for _, p := range s.Catalog {
		total += p.Weight
		g.weight = append(g.weight, total)
	}
	g.makeCustomers()

	// Each customer's next order waits in a queue by time, so that the orders come out in time
	// order, numbered as Shopify numbers them, holding one entry per customer.
	q := &queue{}
	for i, c := range g.custs {
		if !c.arrive.IsZero() {
			heap.Push(q, item{c.arrive, i})
		}
	}
	ow2 := newWriter(ow)
	if err := ow2.row(orderHeader); err != nil {
		return g.stats, err
	}
	number := s.FirstOrder
	for q.Len() > 0 {
		it := heap.Pop(q).(item)
		c := g.custs[it.cust]
		rows := g.order(c, it.at, number)
		number++
		for _, r := range rows {
			if err := ow2.row(r); err != nil {
				return g.stats, err
			}
		}
		g.stats.Rows += len(rows)
		if s.MaxRows > 0 && g.stats.Rows >= s.MaxRows {
			break
		}
		if next, ok := g.next(c, it.at); ok {
			heap.Push(q, item{next, it.cust})
		}
	}
	if err := ow2.flush(); err != nil {
		return g.stats, err
	}
	cw2 := newWriter(cw)
	if err := cw2.row(customerHeader); err != nil {
		return g.stats, err
	}
	for _, c := range g.custs {
		if !c.inCustomersFile || (c.orders == 0 && !c.arrive.IsZero()) {
			continue // a buyer whose first order came after the customers were exported, or never came (MaxRows)
		}
		if c.orders == 0 {
			g.stats.Subscribers++
		}
		g.stats.Customers++
		if err := cw2.row(g.customerRow(c)); err != nil {
			return g.stats, err
		}
	}
	return g.stats, cw2.flush()
}

// makeCustomers draws the customers: when each first orders (more of them before Christmas, in
// May and in July), where they live, what they like.
func (g *gen) makeCustomers() {
	s := g.shop
	months := make([]float64, s.Months)
	season := []float64{0.8, 0.8, 0.9, 0.9, 1.3, 1.0, 1.2, 0.9, 0.9, 1.0, 1.5, 1.6} // January .. December
	var sum float64
	for i := range months {
		months[i] = season[int(s.Start.AddDate(0, i, 0).Month())-1]
		sum += months[i]
	}
	var arrivals []time.Time
	for range s.Customers {
		x, m := g.rng.Float64()*sum, 0
		for m < len(months)-1 && x > months[m] {
			x -= months[m]
			m++
		}
		from := s.Start.AddDate(0, m, 0)
		to := from.AddDate(0, 1, 0)
		arrivals = append(arrivals, g.daytime(from.Add(time.Duration(g.rng.Int64N(int64(to.Sub(from)))))))
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	for i := range s.Known {
		g.custs = append(g.custs, g.knownCustomer(i))
	}
	for _, at := range arrivals {
		c := g.newCustomer()
		c.arrive = at
		// Those who first bought in the last two days were not in the customers export, made the
		// day before the orders one: the importer knows them by their email.
		c.inCustomersFile = at.Before(g.end.AddDate(0, 0, -2))
		g.custs = append(g.custs, c)
	}
	for range s.Subscribers {
		c := g.newCustomer()
		c.inCustomersFile = true
		c.acceptsEmail = true
		c.tags = []string{"newsletter"}
		g.custs = append(g.custs, c)
	}
}

func (g *gen) region() *Region {
	total := 0
	for _, r := range g.shop.Regions {
		total += r.Weight
	}
	x := g.rng.IntN(total)
	for i := range g.shop.Regions {
		if x < g.shop.Regions[i].Weight {
			return &g.shop.Regions[i]
		}
		x -= g.shop.Regions[i].Weight
	}
	return &g.shop.Regions[0]
}

func (g *gen) place(c *customer) {
	r := c.region
	c.province = &r.Provinces[g.rng.IntN(len(r.Provinces))]
	c.city = pick(g.rng, c.province.Cities)
	c.zip = c.province.Zip(g.rng)
	c.street = fmt.Sprintf("%s %d", pick(g.rng, r.Streets), 100+g.rng.IntN(1900))
}

// phone makes up a phone number in the region's way of writing it.
func (g *gen) phone(c *customer) {
	var typed, digits strings.Builder
	for _, ch := range c.region.Phone {
		switch {
		case ch == 'd':
			d := byte('0' + g.rng.IntN(10))
			typed.WriteByte(d)
			digits.WriteByte(d)
		case ch >= '0' && ch <= '9':
			typed.WriteRune(ch)
			digits.WriteRune(ch)
		default:
			typed.WriteRune(ch)
		}
	}
	c.phone = c.region.PhoneCode + digits.String()
	c.typed = c.region.PhoneCode + " " + typed.String()
}

func (g *gen) newCustomer() *customer {
	r := g.region()
	c := &customer{known: -1, region: r, first: pick(g.rng, r.FirstNames), last: pick(g.rng, r.LastNames)}
	g.place(c)
	// Distinct 13-digit ids in no visible order: the n-th customer's number times a multiplier
	// prime to 10^12, which maps distinct numbers to distinct ids.
	c.id = fmt.Sprintf("7%012d", (int64(len(g.custs))*7919993+g.idBase)%1e12)
	// People write their addresses in a few ways.
	first, last := ascii(strings.ToLower(c.first)), ascii(strings.ToLower(c.last))
	base := first + "." + last
	switch g.rng.IntN(10) {
	case 0, 1:
		base = first + last + fmt.Sprint(70+g.rng.IntN(35))
	case 2:
		base = first[:1] + last
	case 3:
		base = first + "_" + last
	}
	c.email = base + "@example.com"
	for g.used[c.email] {
		g.suffix[base]++
		c.email = fmt.Sprintf("%s%d@example.com", base, g.suffix[base]+1)
	}
	g.used[c.email] = true
	g.phone(c)
	c.acceptsEmail = g.rng.IntN(100) < 62
	c.sms = g.rng.IntN(100) < 28
	c.favourite = g.product()
	c.capitalised = g.rng.IntN(100) < 2
	if g.rng.IntN(100) < 3 {
		c.note = "Prefiere que la llamen antes de entregar.\nPiel sensible: sin fragancia."
	}
	return c
}

func (g *gen) knownCustomer(i int) *customer {
	k := &g.shop.Known[i]
	var r *Region
	for j := range g.shop.Regions {
		if g.shop.Regions[j].Country == k.Region {
			r = &g.shop.Regions[j]
		}
	}
	if r == nil {
		r = &g.shop.Regions[0]
	}
	c := &customer{known: i, id: k.ID, first: k.FirstName, last: k.LastName, email: k.Email, region: r, phone: k.Phone,
		acceptsEmail: k.AcceptsEmail, sms: k.AcceptsSMS, planned: k.Orders, tags: k.Tags, inCustomersFile: true}
	g.place(c)
	c.typed = c.phone // a known customer without a phone has none in the files either
	g.used[strings.ToLower(c.email)] = true
	c.favourite = g.product()
	if len(k.SKUs) > 0 {
		for j, p := range g.shop.Catalog {
			if p.SKU == k.SKUs[0] {
				c.favourite = j
			}
		}
	}
	// Their orders are spread over the time the files cover after they became customers, leaving
	// room before the end for the return the example's events tell.
	since := k.Since
	if since.Before(g.shop.Start) {
		since = g.shop.Start
	}
	span := g.end.AddDate(0, 0, -20).Sub(since)
	if k.Orders > 0 && span > 0 {
		c.arrive = g.daytime(since.Add(time.Duration(g.rng.Int64N(int64(span) / int64(k.Orders)))))
	}
	return c
}

// next decides whether the customer comes back, and when: around when what they bought runs
// out, sooner or later by a spread that real gaps between orders show.
func (g *gen) next(c *customer, last time.Time) (time.Time, bool) {
	if c.known >= 0 {
		if c.orders >= c.planned {
			return time.Time{}, false
		}
		left := g.end.AddDate(0, 0, -15).Sub(last)
		gap := time.Duration(float64(left) / float64(c.planned-c.orders+1) * (0.6 + 0.8*g.rng.Float64()))
		return g.daytime(last.Add(max(gap, 5*24*time.Hour))), true
	}
	chance := []int{0, 32, 50, 60, 68}[min(c.orders, 4)]
	if g.rng.IntN(100) >= chance {
		return time.Time{}, false
	}
	days := float64(g.shop.Catalog[c.favourite].Days) * math.Exp(g.rng.NormFloat64()*0.45)
	at := g.daytime(last.Add(time.Duration(max(days, 6) * 24 * float64(time.Hour))))
	return at, at.Before(g.end)
}

// daytime moves a moment to a believable hour of the shop's day: people shop from morning to night.
func (g *gen) daytime(t time.Time) time.Time {
	t = t.In(g.shop.Location)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, g.shop.Location)
	hour := 8 + g.rng.IntN(15)
	if g.rng.IntN(3) == 0 {
		hour = 19 + g.rng.IntN(4) // the evening peak
	}
	return day.Add(time.Duration(hour)*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second)
}

func (g *gen) product() int {
	x := g.rng.IntN(g.weight[len(g.weight)-1])
	return sort.SearchInts(g.weight, x+1)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var accents = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ü", "u", "à", "a", "è", "e", "ì", "i", "ò", "o", "ù", "u", " ", "", "'", "")

func ascii(s string) string { return accents.Replace(s) }

type item struct {
	at   time.Time
	cust int
}

type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].cust < q[j].cust
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
