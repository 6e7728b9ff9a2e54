package pgstore

import (
	"testing"

	"github.com/shopspring/decimal"
)

// An amount written for JSON reads back as the same amount, whatever its scale and sign.
func TestAppendDecimal(t *testing.T) {
	for _, s := range []string{"0", "89.90", "-89.90", "0.05", "-0.005", "1234567890123.45", "7", "-7", "0.000000000000000001",
		"123456789012345678901234567890.123456789", "1e3", "12.300"} {
		d := decimal.RequireFromString(s)
		got := string(appendDecimal(nil, d))
		back, err := decimal.NewFromString(got)
		if err != nil || !back.Equal(d) {
			t.Errorf("%s written as %q", s, got)
		}
	}
	if got := string(appendDecimal(nil, decimal.RequireFromString("89.90"))); got != "89.90" {
		t.Errorf("89.90 written as %q: the scale must be kept", got)
	}
}
