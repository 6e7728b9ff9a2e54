package yamlnode

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestExprPosition(t *testing.T) {
	// Each case points at the first "z" of the value; want is where that z is in the source.
	cases := []struct {
		name      string
		src       string
		line, col int
	}{
		{"plain", "when: customer.orders_count > zz\n", 1, 31},
		{"single quoted", "when: 'customer.x == ''a'' && zz'\n", 1, 31},
		{"double quoted", "when: \"a == \\\"b\\\" && zz\"\n", 1, 22},
		{"literal block", "when: |\n  a &&\n  zz\n", 3, 3},
		{"folded block", "when: >\n    a &&\n    zz\n", 3, 5},
		{"plain continued", "when: a &&\n  zz\n", 2, 3},
		{"accented", "when: \"'ñandú' == zz\"\n", 1, 19},
		{"flow mapping", "x: {when: 'a == zz'}\n", 1, 17},
	}
	for _, c := range cases {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(c.src), &doc); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		n := doc.Content[0].Content[1]
		if n.Kind == yaml.MappingNode {
			n = n.Content[1]
		}
		off := -1
		for i, r := range []rune(n.Value) {
			if r == 'z' {
				off = i
				break
			}
		}
		line, col := Position([]byte(c.src), n, off)
		if line != c.line || col != c.col {
			t.Errorf("%s: offset %d of %q -> %d:%d, want %d:%d", c.name, off, n.Value, line, col, c.line, c.col)
		}
	}
}
