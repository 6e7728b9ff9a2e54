package event

import (
	"fmt"
	"testing"
)

func TestLaneKeepsACustomerOnOneLaneAndSpreadsCustomers(t *testing.T) {
	counts := make([]int, 4)
	for i := range 4000 {
		c := fmt.Sprint("cust-", i)
		l := Lane(c, 4)
		if l < 0 || l >= 4 || Lane(c, 4) != l {
			t.Fatalf("Lane(%s, 4) = %d, then %d", c, l, Lane(c, 4))
		}
		counts[l]++
	}
	for l, n := range counts {
		if n < 800 {
			t.Errorf("lane %d took %d of 4,000 customers: %v", l, n, counts)
		}
	}
	if Lane("anyone", 1) != 0 || Lane("anyone", 0) != 0 {
		t.Error("with one lane (or none) every customer takes lane 0")
	}
}
