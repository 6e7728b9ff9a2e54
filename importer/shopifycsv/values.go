package shopifycsv

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Shopify writes times in the shop's time zone with their offset, which changes inside one file
// when daylight saving time starts or ends. Each time keeps its own offset.
var timeLayouts = []string{
	"2006-01-02 15:04:05 -0700",
	time.RFC3339, // what a file rewritten by other tools sometimes holds
}

// parseTime reads a time column; "" is no time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	hint := "Shopify writes times like 2025-03-20 05:20:57 -0700"
	if strings.Contains(s, "/") || !strings.ContainsAny(s, "+-Z") || strings.Count(s, ":") < 2 {
		hint += "; a spreadsheet that opened and saved the file rewrites them (and drops the offset): export the file again from Shopify admin"
	}
	return time.Time{}, fmt.Errorf("%q is not a time: %s", s, hint)
}

var amountText = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// parseAmount checks a money column and keeps the text as written: "30.50" stays "30.50", so that
// an amount has the decimals Shopify gave it and never passes through a float. "" is no amount.
func parseAmount(s string) (string, error) {
	if s == "" || amountText.MatchString(s) {
		return s, nil
	}
	hint := "Shopify writes amounts as plain decimals with a dot, like 1500.00"
	switch {
	case strings.HasPrefix(s, "-"):
		hint = "an amount here is never negative"
	case strings.ContainsAny(s, "eE") && strings.ContainsAny(s, "0123456789"):
		hint += "; this one was rounded by a spreadsheet: export the file again from Shopify admin"
	case strings.Contains(s, ","):
		hint += ", with no thousands separator and no decimal comma; a spreadsheet in another language rewrote it: export the file again"
	}
	return "", fmt.Errorf("%q is not an amount: %s", s, hint)
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// parseID checks a numeric Shopify id (13 or 14 digits), kept as text.
func parseID(s string) (string, error) {
	if s == "" || digits.MatchString(s) {
		return s, nil
	}
	if strings.ContainsAny(s, "eE.") {
		return "", fmt.Errorf("%q is not an id: a spreadsheet rounded it to a number in scientific notation, which loses digits; export the file again from Shopify admin", s)
	}
	return "", fmt.Errorf("%q is not an id: Shopify's ids are digits only", s)
}

// parseQuantity reads a line item's quantity.
func parseQuantity(s string) (string, error) {
	if s == "" || digits.MatchString(s) {
		return s, nil
	}
	return "", fmt.Errorf("%q is not a quantity: a whole number like 2 was expected", s)
}

// parseYesNo reads the marketing and tax flags: yes, no, or "" (unknown).
func parseYesNo(s string) (*bool, error) {
	switch strings.ToLower(s) {
	case "":
		return nil, nil
	case "yes", "true":
		t := true
		return &t, nil
	case "no", "false":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("%q is neither yes nor no", s)
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// parseCurrency checks an ISO 4217 code.
func parseCurrency(s string) (string, error) {
	if currencyCode.MatchString(s) {
		return s, nil
	}
	if s == "" {
		return "", fmt.Errorf("is empty: the first row of an order carries its currency, like USD")
	}
	return "", fmt.Errorf("%q is not a currency code: three capital letters like USD were expected", s)
}

// checkEmail catches a value that cannot be an email address: what Shopify exports always is one.
func checkEmail(s string) error {
	if s == "" {
		return nil
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " ,;<>") {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}

// splitTags reads Shopify's tags: comma-separated, usually with a space after the comma.
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// NormEmail is how an email is matched: the webhooks know a guest by the lowercased email.
func NormEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
