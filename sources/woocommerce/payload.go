package woocommerce

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/afterglowhq/afterglow/sources"
)

// The payload types name only the fields Afterglow reads. A webhook body is the REST v3 resource.
// WooCommerce writes "" for a missing value, 0 for "no customer", totals as strings and line prices
// as JSON numbers: sources.Number reads all of these exactly.

type address struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

type lineItem struct {
	Name        string         `json:"name"`
	ProductID   sources.Number `json:"product_id"`
	VariationID sources.Number `json:"variation_id"`
	Quantity    sources.Number `json:"quantity"`
	SKU         string         `json:"sku"`
	Price       sources.Number `json:"price"`
}

type order struct {
	ID               sources.Number `json:"id"`
	Number           text           `json:"number"`
	Status           string         `json:"status"`
	Currency         string         `json:"currency"`
	CreatedVia       string         `json:"created_via"`
	DateCreatedGMT   string         `json:"date_created_gmt"`
	DateModifiedGMT  string         `json:"date_modified_gmt"`
	DateCompletedGMT string         `json:"date_completed_gmt"`
	Total            sources.Number `json:"total"`
	DiscountTotal    sources.Number `json:"discount_total"`
	ShippingTotal    sources.Number `json:"shipping_total"`
	CustomerID       sources.Number `json:"customer_id"`
	Billing          address        `json:"billing"`
	PaymentMethod    string         `json:"payment_method"`
	LineItems        []lineItem     `json:"line_items"`
	CouponLines      []struct {
		Code string `json:"code"`
	} `json:"coupon_lines"`
	Refunds []struct {
		ID     sources.Number `json:"id"`
		Reason string         `json:"reason"`
		Total  sources.Number `json:"total"`
	} `json:"refunds"`
}

type customer struct {
	ID              sources.Number `json:"id"`
	Email           string         `json:"email"`
	FirstName       string         `json:"first_name"`
	LastName        string         `json:"last_name"`
	DateCreatedGMT  string         `json:"date_created_gmt"`
	DateModifiedGMT string         `json:"date_modified_gmt"`
	Billing         address        `json:"billing"`
}

// text is a string that some stores send as a number (order numbers rewritten by plugins).
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("%s is neither a string nor a number", b)
		}
		*t = text(n)
	}
	return nil
}

// anyResource reads just enough of an unknown topic's body to log whose it is.
type anyResource struct {
	ID         sources.Number `json:"id"`
	CustomerID sources.Number `json:"customer_id"`
}
