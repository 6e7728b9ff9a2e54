package jsonnum

import "testing"

func TestValid(t *testing.T) {
	for _, s := range []string{"0", "-0", "10", "1.5", "1e3", "1E-3", "-2.5e+7"} {
		if !Valid(s) {
			t.Errorf("%s is a JSON number", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "+1", "1e", "abc", "0x10"} {
		if Valid(s) {
			t.Errorf("%s is not a JSON number", s)
		}
	}
}
