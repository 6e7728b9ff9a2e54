package yamlnode

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Position maps a rune offset inside a scalar's value to the line and column in the file, so
// that an error in an expression or a template points at the offending character whatever the
// quoting style. For many positions in one file, split it once with SplitLines.
func Position(src []byte, n *yaml.Node, offset int) (line, col int) {
	return SplitLines(src).Position(n, offset)
}

// Lines is a file split into lines.
type Lines []string

// SplitLines splits a file into lines.
func SplitLines(src []byte) Lines { return strings.Split(string(src), "\n") }

// Position is the package's Position on an already split file.
func (lines Lines) Position(n *yaml.Node, offset int) (line, col int) {
	if n.Line < 1 || n.Line > len(lines) {
		return n.Line, n.Column
	}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return blockPosition(lines, n, offset)
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		return quotedPosition(lines, n, offset)
	}
	return plainPosition(lines, n, offset)
}

// blockPosition: the value starts on the line after the `|` or `>` header; each value line is a
// source line without its indentation, and each line break is one character of the value.
func blockPosition(lines []string, n *yaml.Node, offset int) (int, int) {
	indent := -1
	for i := n.Line; i < len(lines); i++ { // lines[n.Line] is the first content line (0-based)
		l := lines[i]
		if strings.TrimSpace(l) == "" {
			if offset == 0 && indent >= 0 {
				return i + 1, indent + 1
			}
			offset-- // an empty line is a line break in the value
			continue
		}
		if indent < 0 {
			indent = len(l) - len(strings.TrimLeft(l, " "))
		}
		if len(l) < indent {
			break
		}
		body := l[indent:]
		n := utf8.RuneCountInString(body)
		if offset <= n {
			return i + 1, indent + 1 + offset
		}
		offset -= n + 1
	}
	return n.Line, n.Column
}

// plainPosition: a plain scalar may continue on further lines, folded with single spaces.
func plainPosition(lines []string, n *yaml.Node, offset int) (int, int) {
	first := lines[n.Line-1]
	start := runeIndex(first, n.Column-1)
	rest := []rune(first)[start:]
	if offset <= len(rest) {
		return n.Line, n.Column + offset
	}
	offset -= len(strings.TrimRight(string(rest), " ")) + 1
	for i := n.Line; i < len(lines); i++ {
		body := strings.TrimSpace(lines[i])
		lead := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		c := utf8.RuneCountInString(body)
		if offset <= c {
			return i + 1, lead + 1 + offset
		}
		offset -= c + 1
	}
	return n.Line, n.Column
}

// quotedPosition walks the source from the opening quote, counting value characters: escapes and
// doubled single quotes are one character, and a line break folds to one.
func quotedPosition(lines []string, n *yaml.Node, offset int) (int, int) {
	single := n.Style == yaml.SingleQuotedStyle
	li := n.Line - 1
	line := []rune(lines[li])
	i := runeIndex(lines[li], n.Column-1) + 1 // after the quote
	for {
		if i >= len(line) {
			li++
			if li >= len(lines) {
				return n.Line, n.Column
			}
			line = []rune(lines[li])
			i = len(line) - len([]rune(strings.TrimLeft(lines[li], " ")))
			if offset == 0 {
				return li + 1, i + 1
			}
			offset--
			continue
		}
		if offset == 0 {
			return li + 1, i + 1
		}
		switch {
		case single && line[i] == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i += 2
		case !single && line[i] == '\\' && i+1 < len(line):
			i += escapeLen(line[i+1])
		default:
			i++
		}
		offset--
	}
}

func escapeLen(c rune) int {
	switch c {
	case 'x':
		return 4
	case 'u':
		return 6
	case 'U':
		return 10
	}
	return 2
}

// runeIndex converts a column (counted in runes, as yaml.v3 reports it) to a rune index, bounded.
func runeIndex(s string, col int) int {
	if n := utf8.RuneCountInString(s); col > n {
		return n
	}
	return max(col, 0)
}
