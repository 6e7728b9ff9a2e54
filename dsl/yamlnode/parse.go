// Package yamlnode parses YAML into position-carrying nodes safely, and turns nodes into plain
// values for schema checks while remembering which node each value came from.
package yamlnode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"gopkg.in/yaml.v3"
)

// MaxNodes bounds how many nodes a document may expand to through aliases. Real flows have a few
// hundred; the bound stops "billion laughs" documents long before they cost memory or time.
const MaxNodes = 100_000

// MaxBytes bounds the size of a file: the bound on reading workspace files, for sources that
// come from elsewhere.
const MaxBytes = wsfile.MaxBytes

// MaxDepth bounds nesting; every later reading of the document recurses, so it must stay shallow.
const MaxDepth = 200

var lineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads a single YAML document and returns its root node (never a DocumentNode). It
// reports syntax errors, a second document, duplicate keys, keys that are not strings, and alias
// expansion beyond MaxNodes. ok is false when the document cannot be used at all.
func Parse(file string, data []byte, l *diag.List) (root *yaml.Node, ok bool) {
	if len(data) > MaxBytes {
		// yaml.v3 holds the whole tree before any check can stop it, some 40 bytes of memory for
		// each byte of dense YAML: refuse a file no flow or template comes near.
		l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "file-size",
			"the file is %.1f MB; a flow, template, settings or test file must stay under %d MB: split it", float64(len(data))/(1<<20), MaxBytes>>20)
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			reportEmpty(file, l)
			return nil, false
		}
		reportSyntax(file, data, err, l)
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		// A document node's line is the line of its `---`.
		l.Errorf(diag.Pos{File: file, Line: max(extra.Line, 1), Col: 1}, "yaml-documents",
			"the file holds more than one YAML document; keep one per file and remove the `---` separator")
	} else if !errors.Is(err, io.EOF) {
		reportSyntax(file, data, err, l)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		reportEmpty(file, l)
		return nil, false
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" && root.Value == "" {
		reportEmpty(file, l) // only comments, or a lone `---`
		return nil, false
	}
	c := checker{file: file, l: l, sizes: map[*yaml.Node]int{}}
	if !c.walk(root, 0) {
		return root, false
	}
	return root, c.expand(root)
}

// EmptyMessage is what an empty file is told, wherever it is found.
const EmptyMessage = "the file is empty: a flow starts with `flow:`, a template with `template:`; delete the file if it is not needed"

func reportEmpty(file string, l *diag.List) {
	l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "empty-file", "%s", EmptyMessage)
}

// IsBlank reports whether a YAML source holds nothing but blank lines, comments and document markers.
func IsBlank(src []byte) bool {
	for _, line := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" && t != "..." {
			return false
		}
	}
	return true
}

// parserProblems are the messages of yaml.v3's parser (as opposed to its scanner). For these it
// prints the 0-based line of the mark, so the line it names is one before the real one.
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"did not find expected node content", "did not find expected key", "did not find expected '-' indicator",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "found undefined tag handle",
	"found duplicate %YAML directive", "found duplicate %TAG directive", "found incompatible YAML document",
}

func reportSyntax(file string, src []byte, err error, l *diag.List) {
	msg := err.Error()
	line := 0
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if slices.Contains(parserProblems, msg) {
		line++
	}
	lines := strings.Split(string(src), "\n")
	// At the end of the input the mark may be one past the last line.
	line = min(max(line, 1), len(lines))
	text := ""
	if line <= len(lines) {
		text = lines[line-1]
	}
	col := 1
	switch {
	case strings.Contains(msg, "cannot start any token") || strings.Contains(msg, "tab character"):
		if i := strings.IndexByte(text, '\t'); i >= 0 {
			col = utf8.RuneCountInString(text[:i]) + 1
			msg += " (YAML indents with spaces, never tabs)"
		}
	case msg == "did not find expected ',' or ']'", msg == "did not find expected ',' or '}'":
		open := byte('[')
		if strings.HasSuffix(msg, "'}'") {
			open = '{'
		}
		switch i, j := unclosed(text, open), strings.Index(text, "${"); {
		case j >= 0:
			// In { } and [ ], a brace ends a plain value, so an unquoted ${VAR} breaks the collection.
			col = utf8.RuneCountInString(text[:j]) + 1
			msg = fmt.Sprintf(`inside { } and [ ], write a ${VAR} value in quotes, "${VAR}" (%s)`, msg)
		case i >= 0:
			col = utf8.RuneCountInString(text[:i]) + 1
			msg = fmt.Sprintf("this %c is never closed (%s)", open, msg)
		}
	}
	l.Errorf(diag.Pos{File: file, Line: line, Col: col}, "yaml-syntax", "invalid YAML: %s", msg)
}

// unclosed returns the byte index of the innermost bracket of kind open that is still open at the
// end of line, skipping quoted text and comments, or -1.
func unclosed(line string, open byte) int {
	var stack []int
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' '):
			i = len(line)
		case c == '[' || c == '{':
			stack = append(stack, i)
		case (c == ']' || c == '}') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	for j := len(stack) - 1; j >= 0; j-- {
		if line[stack[j]] == open {
			return stack[j]
		}
	}
	return -1
}

// StringKey reports whether a mapping key is a string (or a `<<` merge key). Other keys are
// reported once by Parse and ignored by every later reading of the document.
func StringKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && (k.Tag == "!!merge" || k.ShortTag() == "!!str")
}

type checker struct {
	file  string
	l     *diag.List
	sizes map[*yaml.Node]int // how many nodes a node expands to, aliases followed; -1 while counting
	total int
}

// walk checks keys and depth over the document as written, each node once.
func (c *checker) walk(n *yaml.Node, depth int) bool {
	if depth > MaxDepth {
		c.l.Errorf(diag.Pos{File: c.file, Line: n.Line, Col: n.Column}, "yaml-depth", "the document nests deeper than %d levels", MaxDepth)
		return false
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, ch := range n.Content {
			if !c.walk(ch, depth+1) {
				return false
			}
		}
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if !StringKey(k) {
				c.l.Errorf(diag.Pos{File: c.file, Line: k.Line, Col: k.Column}, "yaml-key",
					"a key must be a plain string, not %s; quote it if you meant the text", describeKey(k))
			} else if k.Tag != "!!merge" {
				if prev, dup := seen[k.Value]; dup {
					c.l.Errorf(diag.Pos{File: c.file, Line: k.Line, Col: k.Column}, "yaml-duplicate-key",
						"key %q is already defined at line %d; remove one of them", k.Value, prev.Line)
				} else {
					seen[k.Value] = k
				}
			}
			if !c.walk(v, depth+1) {
				return false
			}
		}
	}
	return true
}

// expand counts the nodes the document expands to with aliases followed, in document order, and
// reports the alias that takes it past MaxNodes: that is where a "billion laughs" document explodes.
// Each node's expansion is counted once, so even a bomb costs time linear in its written size.
func (c *checker) expand(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		size := c.size(n.Alias, 0)
		c.total += size
		if size < 0 || c.total > MaxNodes {
			name := "*" + n.Value
			if size < 0 {
				c.l.Errorf(diag.Pos{File: c.file, Line: n.Line, Col: n.Column}, "yaml-aliases",
					"the alias %s refers to a node that contains it; write it out plainly", name)
			} else {
				c.l.Errorf(diag.Pos{File: c.file, Line: n.Line, Col: n.Column}, "yaml-aliases",
					"the alias %s takes the document past %d nodes once anchors and aliases are expanded; write it out plainly", name, MaxNodes)
			}
			return false
		}
		return true
	}
	c.total++
	if c.total > MaxNodes {
		c.l.Errorf(diag.Pos{File: c.file, Line: 1, Col: 1}, "yaml-size",
			"the document has more than %d nodes; split it into smaller files", MaxNodes)
		return false
	}
	for _, ch := range n.Content {
		if !c.expand(ch) {
			return false
		}
	}
	return true
}

// size returns how many nodes n expands to, capped just above MaxNodes, or -1 for an alias cycle.
func (c *checker) size(n *yaml.Node, depth int) int {
	if n == nil {
		return 0
	}
	if s, ok := c.sizes[n]; ok {
		return s
	}
	if depth > MaxDepth {
		return MaxNodes + 1
	}
	c.sizes[n] = -1
	total := 1
	if n.Kind == yaml.AliasNode {
		total = c.size(n.Alias, depth+1)
	} else {
		for _, ch := range n.Content {
			s := c.size(ch, depth+1)
			if s < 0 {
				total = -1
				break
			}
			total = min(total+s, MaxNodes+1)
		}
	}
	c.sizes[n] = total
	return total
}
func describeKey(k *yaml.Node) string {
	switch k.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch k.ShortTag() {
	case "!!int", "!!float":
		return "a number (" + k.Value + ")"
	case "!!bool":
		return "a boolean (" + k.Value + ")"
	case "!!null":
		return "null"
	}
	return k.ShortTag()
}
