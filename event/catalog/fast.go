package catalog

import (
	"encoding/json"
	"math/big"
	"strconv"
)

// Hand-written matchers for the patterns the canonical schemas use on every order, each exactly
// its regular expression (TestFastPatterns): a regexp costs more than the rest of a check.
var fastPatterns = map[string]func(string) bool{
	`^-?[0-9]+(\.[0-9]+)?$`: isDecimalText,
	`^[A-Z]{3}$`: func(s string) bool {
		return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
	},
}

// isDecimalText matches ^-?[0-9]+(\.[0-9]+)?$.
func isDecimalText(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// compareSmall compares a number with a bound when both are small integers, without big.Rat;
// ok is false when it cannot tell.
func compareSmall(v any, bound *big.Rat) (cmp int, ok bool) {
	n, isNum := v.(json.Number)
	if !isNum || !bound.IsInt() || !bound.Num().IsInt64() {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, false
	}
	b := bound.Num().Int64()
	switch {
	case i < b:
		return -1, true
	case i > b:
		return 1, true
	}
	return 0, true
}
