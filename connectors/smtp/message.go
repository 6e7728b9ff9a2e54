package smtp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/message"
)

// maxLine is the header line length RFC 5322 recommends; longer lines are folded at spaces.
const maxLine = 78

// envelope is what the SMTP transaction needs besides the message bytes.
type envelope struct {
	from, to  string
	messageID string
}

// compose renders m as an RFC 5322 message with CRLF line endings: headers encoded per RFC 2047,
// the text and HTML bodies quoted-printable, in a multipart/alternative when both are present.
func compose(m message.Message, cfg *config, date time.Time) ([]byte, envelope, error) {
	if strings.TrimSpace(m.To.Email) == "" {
		return nil, envelope{}, fmt.Errorf("customer %s has no email address", m.To.CustomerID)
	}
	to, err := mail.ParseAddress(m.To.Email)
	if err != nil {
		return nil, envelope{}, fmt.Errorf("customer %s has an invalid email address %q: %v", m.To.CustomerID, m.To.Email, err)
	}
	if m.To.Name != "" {
		to.Name = m.To.Name
	}
	c := m.Content
	if strings.TrimSpace(c.Text) == "" && strings.TrimSpace(c.HTML) == "" {
		return nil, envelope{}, errors.New("the email has neither text nor html")
	}
	id := messageID(m, cfg.from.Address)

	var b bytes.Buffer
	header(&b, "From", cfg.from.String())
	header(&b, "To", to.String())
	if cfg.replyTo != nil {
		header(&b, "Reply-To", cfg.replyTo.String())
	}
	header(&b, "Subject", encodeText(c.Subject))
	header(&b, "Date", date.Format(time.RFC1123Z))
	header(&b, "Message-ID", id)
	header(&b, "MIME-Version", "1.0")
	if m.UnsubscribeURL != "" {
		u, err := url.Parse(m.UnsubscribeURL)
		if err != nil || u.Scheme == "" || strings.ContainsAny(m.UnsubscribeURL, " <>\r\n\t") {
			return nil, envelope{}, fmt.Errorf("the unsubscribe URL %q is not a valid URL", m.UnsubscribeURL)
		}
		header(&b, "List-Unsubscribe", "<"+m.UnsubscribeURL+">")
		// RFC 8058: one-click unsubscribe is a POST to an HTTPS URI; other schemes get only
		// the List-Unsubscribe link.
		if u.Scheme == "https" {
			header(&b, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}

	switch {
	case strings.TrimSpace(c.HTML) == "":
		writeSinglePart(&b, "text/plain", c.Text)
	case strings.TrimSpace(c.Text) == "":
		writeSinglePart(&b, "text/html", c.HTML)
	default:
		mw := multipart.NewWriter(&b)
		header(&b, "Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		b.WriteString("\r\n")
		// Order matters: the last part a client can show is the one it shows, so HTML goes last.
		for _, p := range []struct{ typ, body string }{{"text/plain", c.Text}, {"text/html", c.HTML}} {
			w, err := mw.CreatePart(partHeader(p.typ))
			if err != nil {
				return nil, envelope{}, err
			}
			if err := writeQP(w, p.body); err != nil {
				return nil, envelope{}, err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, envelope{}, err
		}
	}
	return b.Bytes(), envelope{from: cfg.from.Address, to: to.Address, messageID: id}, nil
}

func partHeader(typ string) textproto.MIMEHeader {
	return textproto.MIMEHeader{
		"Content-Type":              {typ + "; charset=UTF-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	}
}

func writeSinglePart(b *bytes.Buffer, typ, body string) {
	header(b, "Content-Type", typ+"; charset=UTF-8")
	header(b, "Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	writeQP(b, body) // writes to a bytes.Buffer do not fail
	b.WriteString("\r\n")
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, s); err != nil {
		return err
	}
	return qp.Close()
}

// encodeText makes a header value safe: line breaks become spaces (a rendered subject may carry
// one, and in a header it would start a new header), and non-ASCII text becomes RFC 2047
// encoded-words.
func encodeText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return mime.QEncoding.Encode("utf-8", s)
}

// header writes "Name: value" folded at spaces so that lines stay within maxLine where possible.
// Folding between encoded-words is invisible once decoded (RFC 2047, section 6.2). An encoded-word
// may be 75 characters long but a line holding one at most 76, so a first encoded-word that does
// not fit beside the name moves to the next line; the grammar allows folding right after the colon.
func header(b *bytes.Buffer, name, value string) {
	line := name + ":"
	for i, word := range strings.Split(value, " ") {
		if len(line)+1+len(word) > maxLine && (i > 0 || strings.HasPrefix(word, "=?")) {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + word
	}
	b.WriteString(line + "\r\n")
}

// messageID derives the Message-ID from the idempotency key, so every retry of a message carries
// the same id and a receiver that has seen it can tell a duplicate.
func messageID(m message.Message, from string) string {
	seed := m.IdempotencyKey
	if seed == "" {
		seed = m.ID
	}
	var local string
	if seed != "" {
		sum := sha256.Sum256([]byte(seed))
		local = hex.EncodeToString(sum[:16])
	} else {
		var r [16]byte
		rand.Read(r[:])
		local = hex.EncodeToString(r[:])
	}
	domain := "afterglow.invalid"
	if at := strings.LastIndex(from, "@"); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return "<" + local + "@" + domain + ">"
}
