// Package shopifycsv reads the orders and customers CSV files that Shopify admin exports ("Export
// orders", "Export customers") and turns them into canonical events. It reads one row at a time,
// so a file of any size takes the same memory, and reports every malformed row with its file and
// line (the line where the row starts in the file, counting the lines inside quoted multi-line
// values).
//
// Columns are found by name, never by position: exports of different years and shops add,
// drop and move columns, and owners trim them. docs/import.md lists what each column becomes.
package shopifycsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Problem is one thing wrong in a file, at the line where the offending row starts.
type Problem struct {
	File   string
	Line   int
	Order  string // the order's Name, when the problem is in an order's rows
	Column string // the column at fault, when one is
	Msg    string // what is wrong and what to do
}

func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	if p.Order != "" {
		fmt.Fprintf(&b, "order %s: ", p.Order)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, "%s: ", p.Column)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems are the problems of one order (or one customer row). A reader returns them as the
// error of Next and goes on with the next order.
type Problems []*Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Error()
	}
	return strings.Join(s, "\n")
}

// table reads a CSV file whose columns are known by name.
type table struct {
	file   string
	r      *csv.Reader
	header []string
	index  map[string]int // column key (see key) -> position
	rec    []string
	line   int
}

// key is how a column name is matched: case and surrounding spaces ignored, and the spellings
// that third-party tools write for Shopify's columns folded into Shopify's.
func key(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	if a, ok := aliases[k]; ok {
		return a
	}
	return k
}

// aliases are other spellings seen for the same column; the value is the key of Shopify's own.
var aliases = map[string]string{
	"canceled at": "cancelled at",
}

// openTable reads the header row. A file without one is an error that says what was expected.
func openTable(r io.Reader, file, what string) (*table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked per row, with a message that says what to do
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Problem{File: file, Line: 1, Msg: "the file is empty: export the " + what + " again from Shopify admin"}
	}
	if err != nil {
		return nil, parseProblem(file, err)
	}
	t := &table{file: file, r: cr, header: append([]string(nil), header...), index: map[string]int{}}
	// Excel's "CSV UTF-8" starts the file with a byte order mark.
	if len(t.header) > 0 {
		t.header[0] = strings.TrimPrefix(t.header[0], "\ufeff")
	}
	for i, h := range t.header {
		k := key(h)
		if _, dup := t.index[k]; !dup && k != "" {
			t.index[k] = i
		}
	}
	return t, nil
}

func (t *table) has(col string) bool { _, ok := t.index[key(col)]; return ok }

// next reads a row. A row the CSV syntax breaks is returned as a *Problem; the reader can go on
// after it (an unterminated quote swallows the rest of the file, which the problem says).
func (t *table) next() error {
	rec, err := t.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.rec = rec
			t.line = pe.StartLine
			return parseProblem(t.file, err)
		}
		return fmt.Errorf("%s: %w", t.file, err)
	}
	t.rec = rec
	t.line, _ = t.r.FieldPos(0)
	if len(rec) != len(t.header) {
		return &Problem{File: t.file, Line: t.line, Msg: fmt.Sprintf(
			"the row has %d fields but the header has %d: a comma or a quote is out of place "+
				"(a file edited by hand or saved by a spreadsheet); export it again from Shopify admin or fix the row",
			len(rec), len(t.header))}
	}
	return nil
}

// get returns a column's value on the current row, "" when the file has no such column. A
// quoted empty value ("") and an empty one are the same.
func (t *table) get(col string) string {
	i, ok := t.index[key(col)]
	if !ok || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

// code is get for zip, phone and id columns, which the spreadsheet flavour of the export guards
// with one leading apostrophe ('01234, '+1 555-555-0104, '7412345600101). Only one is removed.
func (t *table) code(col string) string {
	return strings.TrimSpace(strings.TrimPrefix(t.get(col), "'"))
}

// isHeaderAgain tells a header row repeated inside the file, as two exports joined end to end give.
func (t *table) isHeaderAgain() bool {
	if len(t.rec) != len(t.header) {
		return false
	}
	for i, h := range t.header {
		if key(t.rec[i]) != key(h) {
			return false
		}
	}
	return true
}

func parseProblem(file string, err error) *Problem {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &Problem{File: file, Msg: err.Error()}
	}
	msg := fmt.Sprintf("the CSV is broken at line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		msg += " (a quoted value is not closed where it should be, or a quote inside it is not doubled; " +
			"the rows after it may have been read as part of it)" + "; fix the quote or export the file again from Shopify admin"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg += " (a quote inside a value that does not start with one); quote the whole value and double the quote, or export the file again"
	default:
		msg += "; export the file again from Shopify admin"
	}
	return &Problem{File: file, Line: pe.StartLine, Msg: msg}
}
