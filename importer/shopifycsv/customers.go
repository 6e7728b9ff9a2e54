package shopifycsv

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Customer is one row of the customers export: the customer as the shop knows them today. A row
// with neither an id nor an email (a customer known by phone alone, in an export without the
// Customer ID column) is returned too; Known reports it.
type Customer struct {
	Line            int
	ID              string // the numeric customer id; "" in exports before the Customer ID column
	Email           string
	FirstName       string
	LastName        string
	Phone           string
	AcceptsEmail    *bool // nil when the file does not say
	AcceptsSMS      *bool
	AcceptsWhatsApp *bool
	Tags            []string
	Company         string
	Country         string // ISO 3166 code of the default address
	TaxExempt       *bool
}

// Column names of the customers export. The 2018 header named the address columns without the
// "Default Address" prefix and had one Accepts Marketing column, for email.
const (
	colCustomerID      = "Customer ID"
	colFirstName       = "First Name"
	colLastName        = "Last Name"
	colAcceptsEmail    = "Accepts Email Marketing"
	colAcceptsSMS      = "Accepts SMS Marketing"
	colAcceptsWhatsApp = "Accepts WhatsApp Marketing"
	colCompany         = "Default Address Company"
	colCompanyOld      = "Company"
	colCountry         = "Default Address Country Code"
	colCountryOld      = "Country Code"
	colAddressPhone    = "Default Address Phone"
	colTaxExempt       = "Tax Exempt"
)

// CustomerReader reads a customers export one row at a time.
type CustomerReader struct {
	t        *table
	warnings []string
}

// NewCustomerReader reads the header.
func NewCustomerReader(r io.Reader, file string) (*CustomerReader, error) {
	t, err := openTable(r, file, "customers")
	if err != nil {
		return nil, err
	}
	if !t.has(colEmail) || !(t.has(colFirstName) || t.has(colCustomerID)) {
		msg := `this is not a Shopify customers export: it needs an "Email" column and a "First Name" or "Customer ID" one`
		if t.has(colTotal) && t.has(colName) {
			msg += "; it looks like an orders export: give it with --orders"
		} else {
			msg += " (export it from Shopify admin: Customers, Export, all customers, CSV)"
		}
		return nil, &Problem{File: file, Line: 1, Msg: msg}
	}
	cr := &CustomerReader{t: t}
	if !t.has(colCustomerID) {
		cr.warnings = append(cr.warnings, fmt.Sprintf(`%s: no "Customer ID" column (exports before 2023 lack it): customers are known by their lowercased email, `+
			`while Shopify's webhooks name a registered customer by id, so a customer's history and their new orders will be two customers`, file))
	}
	return cr, nil
}

// Warnings are the consequences of columns this file lacks.
func (r *CustomerReader) Warnings() []string { return r.warnings }

// Next returns the next customer, Problems for a bad row (the caller may go on), io.EOF at the end.
func (r *CustomerReader) Next() (*Customer, error) {
	t := r.t
	err := t.next()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	var p *Problem
	if errors.As(err, &p) {
		return nil, Problems{p}
	} else if err != nil {
		return nil, err
	}
	if t.isHeaderAgain() {
		return nil, Problems{{File: t.file, Line: t.line, Msg: "the header row again: two exports were joined into one file; import each on its own"}}
	}
	c := &Customer{
		Line: t.line, Email: t.get(colEmail), FirstName: t.get(colFirstName), LastName: t.get(colLastName),
		Phone: firstOf(t.code(colPhone), t.code(colAddressPhone)), Tags: splitTags(t.get(colTags)),
		Company: firstOf(t.get(colCompany), t.get(colCompanyOld)), Country: firstOf(t.get(colCountry), t.get(colCountryOld)),
	}
	var bad Problems
	fail := func(col string, err error) {
		bad = append(bad, &Problem{File: t.file, Line: t.line, Column: col, Msg: err.Error()})
	}
	if c.ID, err = parseID(t.code(colCustomerID)); err != nil {
		fail(colCustomerID, err)
	}
	if err := checkEmail(c.Email); err != nil {
		fail(colEmail, err)
	}
	emailCol := colAcceptsEmail
	if !t.has(emailCol) {
		emailCol = colAcceptsMarketing // 2018
	}
	for _, f := range []struct {
		col string
		to  **bool
	}{{emailCol, &c.AcceptsEmail}, {colAcceptsSMS, &c.AcceptsSMS}, {colAcceptsWhatsApp, &c.AcceptsWhatsApp}, {colTaxExempt, &c.TaxExempt}} {
		if *f.to, err = parseYesNo(t.get(f.col)); err != nil {
			fail(f.col, err)
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return c, nil

}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// Known reports whether anything tells who the customer is.
func (c *Customer) Known() bool { return c.ID != "" || c.Email != "" }
