package diag

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/afterglowhq/afterglow/dsl/wsfile"
)

// Sources gives the text of a file so that text output can quote the offending line. A nil
// Sources (or a missing file) simply prints no quote.
type Sources func(file string) []byte

// ReadFiles is a Sources that reads from disk, as the workspace loader does: only a regular file
// of bounded size, or a link to one in its own folder. A file the loader refused is never read to
// quote it.
func ReadFiles(file string) []byte {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil
	}
	b, err := wsfile.Read(abs, filepath.Dir(abs))
	if err != nil {
		return nil
	}
	return b
}

// WriteText prints `path:line:col: severity: message`, the source line, and a caret under the column.
func WriteText(w io.Writer, ds []Diagnostic, src Sources) error {
	bw := bufio.NewWriter(w)
	cache := map[string][]string{}
	for _, d := range ds {
		fmt.Fprintln(bw, d.String())
		if d.Line == 0 || src == nil {
			continue
		}
		lines, ok := cache[d.File]
		if !ok {
			if b := src(d.File); b != nil {
				lines = strings.Split(string(b), "\n")
			}
			cache[d.File] = lines
		}
		if d.Line > len(lines) {
			continue
		}
		line := strings.TrimRight(lines[d.Line-1], "\r")
		fmt.Fprintf(bw, "    %s\n    %s^\n", expandTabs(line), caretPad(line, d.Col))
	}
	return bw.Flush()
}

// caretPad returns the spaces that put a caret under column col (counted in characters), keeping
// tabs so the caret lines up however the terminal renders them.
func caretPad(line string, col int) string {
	var b strings.Builder
	for i := 1; i < col && len(line) > 0; i++ {
		r, size := utf8.DecodeRuneInString(line)
		line = line[size:]
		if r == '\t' {
			b.WriteString("    ")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func expandTabs(s string) string { return strings.ReplaceAll(s, "\t", "    ") }

// WriteGitHub prints workflow commands that GitHub Actions shows as annotations on a pull request.
func WriteGitHub(w io.Writer, ds []Diagnostic) error {
	bw := bufio.NewWriter(w)
	for _, d := range ds {
		kind := "error"
		if d.Severity == Warning {
			kind = "warning"
		}
		fmt.Fprintf(bw, "::%s file=%s", kind, escapeProperty(d.File))
		if d.Line > 0 {
			fmt.Fprintf(bw, ",line=%d,col=%d", d.Line, d.Col)
		}
		fmt.Fprintf(bw, ",title=%s::%s\n", escapeProperty("afterglow "+d.Code), escapeData(d.Message))
	}
	return bw.Flush()
}

// GitHub's workflow-command escaping: data escapes %, CR, LF; properties also : and ,.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// WriteJSON prints an array of diagnostics (an empty array when there are none).
func WriteJSON(w io.Writer, ds []Diagnostic) error {
	if ds == nil {
		ds = []Diagnostic{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ds); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
