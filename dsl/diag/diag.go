// Package diag holds the diagnostics that every check produces, and prints them the three ways the
// validate command offers: text with the source line and a caret, GitHub annotations, and JSON.
package diag

import (
	"fmt"
	"sort"
	"sync"
)

// Severity says whether a diagnostic fails validation.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic is one problem at one place. Line and Col are 1-based; 0 means "the whole file".
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
}

func (d Diagnostic) String() string {
	if d.Line == 0 {
		return fmt.Sprintf("%s: %s: %s [%s]", d.File, d.Severity, d.Message, d.Code)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", d.File, d.Line, d.Col, d.Severity, d.Message, d.Code)
}

// Pos is a place in a file.
type Pos struct {
	File      string
	Line, Col int
}

// List collects diagnostics; it is safe for concurrent use because files are checked in parallel.
type List struct {
	mu    sync.Mutex
	items []Diagnostic
}

// Errorf records an error at p.
func (l *List) Errorf(p Pos, code, format string, args ...any) {
	l.Add(Diagnostic{File: p.File, Line: p.Line, Col: p.Col, Severity: Error, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Warnf records a warning at p.
func (l *List) Warnf(p Pos, code, format string, args ...any) {
	l.Add(Diagnostic{File: p.File, Line: p.Line, Col: p.Col, Severity: Warning, Code: code, Message: fmt.Sprintf(format, args...)})
}

// ErrorfOnce records an error at p unless one is already recorded at exactly that place: two
// checks of the same value (the schema's and the parser's) then read as one mistake.
func (l *List) ErrorfOnce(p Pos, code, format string, args ...any) {
	l.mu.Lock()
	for _, d := range l.items {
		if d.Severity == Error && d.File == p.File && d.Line == p.Line && d.Col == p.Col {
			l.mu.Unlock()
			return
		}
	}
	l.mu.Unlock()
	l.Errorf(p, code, format, args...)
}

// Add records d.
func (l *List) Add(d Diagnostic) {
	l.mu.Lock()
	l.items = append(l.items, d)
	l.mu.Unlock()
}

// Merge records every diagnostic of other.
func (l *List) Merge(other *List) {
	for _, d := range other.Items() {
		l.Add(d)
	}
}

// Items returns the diagnostics sorted by file, line, column and code, without exact repeats.
func (l *List) Items() []Diagnostic {
	l.mu.Lock()
	out := append([]Diagnostic(nil), l.items...)
	l.mu.Unlock()
	Sort(out)
	return dedupe(out)
}

// HasErrors reports whether any diagnostic is an error.
func (l *List) HasErrors() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.items {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Len is the number of diagnostics recorded.
func (l *List) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.items)
}

// Sort orders diagnostics by file, line, column, then code and message, so output is stable
// however the files were scheduled.
func Sort(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
}

func dedupe(ds []Diagnostic) []Diagnostic {
	out := ds[:0]
	for i, d := range ds {
		if i > 0 && d == ds[i-1] {
			continue
		}
		out = append(out, d)
	}
	return out
}
