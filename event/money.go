package event

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// Decimal reads a money amount given as a JSON number or a decimal string ("404.95"), exactly.
// A float64 is refused: it would already have lost the cents it was made from.
func Decimal(v any) (decimal.Decimal, error) {
	switch x := v.(type) {
	case json.Number:
		return decimal.NewFromString(string(x))
	case string:
		return decimal.NewFromString(x)
	case int:
		return decimal.NewFromInt(int64(x)), nil
	case int64:
		return decimal.NewFromInt(x), nil
	case decimal.Decimal:
		return x, nil
	}
	return decimal.Zero, fmt.Errorf("%v is not a decimal amount", v)
}

// IsDecimal reports whether v can be read by Decimal.
func IsDecimal(v any) bool {
	_, err := Decimal(v)
	return err == nil
}
