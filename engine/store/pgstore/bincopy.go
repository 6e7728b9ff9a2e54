package pgstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// binaryCopy builds the stream of a COPY ... FROM STDIN (FORMAT binary): each value is written by
// the method of its column's type. pgx's CopyFrom looks up an encoding plan for every value it
// writes, which was most of what appending journeys and messages cost the process; their columns
// are all text, json, timestamptz, boolean and integers, whose binary forms are simple.
type binaryCopy struct {
	buf []byte
}

// copyHeader is the binary COPY signature, no flags and no header extension.
const copyHeader = "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// y2k is PostgreSQL's epoch for timestamps, in microseconds after Unix's.
const y2k = 946684800 * 1000000

func newBinaryCopy(sizeHint int) *binaryCopy {
	b := &binaryCopy{buf: make([]byte, 0, len(copyHeader)+sizeHint)}
	b.buf = append(b.buf, copyHeader...)
	return b
}

// row starts a row of n fields.
func (b *binaryCopy) row(n int) { b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(n)) }

func (b *binaryCopy) null() { b.buf = binary.BigEndian.AppendUint32(b.buf, 0xFFFFFFFF) }

// text writes a text or json value: both travel as their UTF-8 bytes.
func (b *binaryCopy) text(s string) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(len(s)))
	b.buf = append(b.buf, s...)
}

// texts writes text values in a row's order.
func (b *binaryCopy) texts(ss ...string) {
	for _, s := range ss {
		b.text(s)
	}
}

// nullText writes NULL for ok false.
func (b *binaryCopy) nullText(s string, ok bool) {
	if !ok {
		b.null()
		return
	}
	b.text(s)
}

// time writes a timestamptz, to the microsecond as PostgreSQL keeps it (truncated, as pgx does).
func (b *binaryCopy) time(t time.Time) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, 8)
	b.buf = binary.BigEndian.AppendUint64(b.buf, uint64(t.Unix()*1000000+int64(t.Nanosecond())/1000-y2k))
}

// nullTime writes NULL for the zero time.
func (b *binaryCopy) nullTime(t time.Time) {
	if t.IsZero() {
		b.null()
		return
	}
	b.time(t)
}

func (b *binaryCopy) boolean(v bool) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, 1)
	if v {
		b.buf = append(b.buf, 1)
	} else {
		b.buf = append(b.buf, 0)
	}
}

func (b *binaryCopy) int4(v int32) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, 4)
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(v))
}

func (b *binaryCopy) int2(v int16) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, 2)
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(v))
}

// send ends the stream and copies it into the table's columns, in their order in the rows.
func (b *binaryCopy) send(ctx context.Context, tx pgx.Tx, table string, columns []string) error {
	b.buf = append(b.buf, 0xFF, 0xFF) // the trailer: a row of -1 fields
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := "COPY " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(quoted, ", ") + ") FROM STDIN (FORMAT binary)"
	_, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(b.buf), sql)
	return err
}
