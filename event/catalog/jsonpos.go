package catalog

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// spot is where a member is written in a JSON document: its key (when it has one) and its value,
// as byte offsets.
type spot struct{ key, value int }

// positions maps the JSON pointer of every value of src to where it is written, so that a
// mistake found in the decoded document is reported at its line and column.
func positions(src []byte) map[string]spot {
	out := map[string]spot{}
	d := json.NewDecoder(bytes.NewReader(src))
	_ = walkJSON(d, src, "", out)
	return out
}

func walkJSON(d *json.Decoder, src []byte, ptr string, out map[string]spot) error {
	start := skipSeparators(src, int(d.InputOffset()))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	sp := out[ptr]
	sp.value = start
	out[ptr] = sp
	switch tok {
	case json.Delim('{'):
		for d.More() {
			kstart := skipSeparators(src, int(d.InputOffset()))
			k, err := d.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			p := ptr + "/" + escapePointer(key)
			out[p] = spot{key: kstart}
			if err := walkJSON(d, src, p, out); err != nil {
				return err
			}
		}
		_, err = d.Token()
	case json.Delim('['):
		for i := 0; d.More(); i++ {
			if err := walkJSON(d, src, ptr+"/"+strconv.Itoa(i), out); err != nil {
				return err
			}
		}
		_, err = d.Token()
	}
	return err
}

func skipSeparators(src []byte, i int) int {
	for i < len(src) && strings.IndexByte(" \t\r\n,:", src[i]) >= 0 {
		i++
	}
	return i
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
