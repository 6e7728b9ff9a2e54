package sources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// Number is a JSON number, or a string holding one, kept as its exact text: platform ids exceed
// 2^53 and money must never pass through a float. null and "" (WooCommerce's "no value") leave it
// empty.
type Number string

// UnmarshalJSON accepts a number, a string holding a number, "" and null.
func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = ""
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = ""
			return nil
		}
	}
	if !isNumberText(s) {
		return fmt.Errorf("%s is not a number", b)
	}
	*n = Number(s)
	return nil
}

func isNumberText(s string) bool {
	var x json.Number
	return json.Unmarshal([]byte(s), &x) == nil
}

var integerText = regexp.MustCompile(`^-?[0-9]+$`)

// ID returns the number as an id string, "" when it is absent, zero or not an integer. WooCommerce
// writes 0 for "no customer", so zero is never an id.
func (n Number) ID() string {
	s := string(n)
	if !integerText.MatchString(s) || strings.Trim(s, "-0") == "" {
		return ""
	}
	return s
}

// JSON returns the number as event data carries numbers.
func (n Number) JSON() json.Number { return json.Number(n) }

// Decimal reads the number exactly.
func (n Number) Decimal() (decimal.Decimal, error) {
	if n == "" {
		return decimal.Zero, fmt.Errorf("no amount")
	}
	return decimal.NewFromString(string(n))
}

var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Amount returns a money amount as a JSON number with the text the platform wrote ("199.00" stays
// "199.00": the trailing zeros say how many decimals the currency has), and ok=false when it is
// absent or not a decimal.
func (n Number) Amount() (json.Number, bool) {
	d, err := n.Decimal()
	if err != nil {
		return "", false
	}
	if plainDecimal.MatchString(string(n)) {
		return json.Number(n), true
	}
	return json.Number(d.String()), true
}

// Money writes an amount computed from others with as many decimals as the most precise of them.
func Money(d decimal.Decimal, places int32) json.Number {
	return json.Number(d.StringFixed(places))
}

// Places is how many decimals an amount was written with ("10.50" has 2).
func Places(n Number) int32 {
	s := string(n)
	if i := strings.IndexByte(s, '.'); i >= 0 && plainDecimal.MatchString(s) {
		return int32(len(s) - i - 1)
	}
	return 0
}
