package smtp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/afterglowhq/afterglow/message"
)

// envelope is what the SMTP transaction needs besides the message.
type envelope struct {
	from, to  string
	messageID string
}

// compose builds m as a MIME message: headers encoded per RFC 2047, the text and HTML bodies
// quoted-printable in UTF-8, in a multipart/alternative when both are present (HTML last: the
// last part a client can show is the one it shows).
func compose(m message.Message, cfg *config, date time.Time) (*gomail.Msg, envelope, error) {
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

	msg := gomail.NewMsg(gomail.WithEncoding(gomail.EncodingQP), gomail.WithCharset(gomail.CharsetUTF8), gomail.WithNoDefaultUserAgent())
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, cfg.from)
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderTo, to)
	if cfg.replyTo != nil {
		msg.SetAddrHeaderFromMailAddress(gomail.HeaderReplyTo, cfg.replyTo)
	}
	msg.Subject(oneLine(c.Subject))
	msg.SetDateWithValue(date)
	msg.SetMessageIDWithValue(strings.Trim(id, "<>"))
	if m.UnsubscribeURL != "" {
		hs, err := UnsubscribeHeaders(m.UnsubscribeURL)
		if err != nil {
			return nil, envelope{}, err
		}
		for _, h := range hs {
			msg.SetGenHeaderPreformatted(gomail.Header(h.Name), h.Value)
		}
	}
	switch {
	case strings.TrimSpace(c.HTML) == "":
		msg.SetBodyString(gomail.TypeTextPlain, c.Text)
	case strings.TrimSpace(c.Text) == "":
		msg.SetBodyString(gomail.TypeTextHTML, c.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, c.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, c.HTML)
	}
	return msg, envelope{from: cfg.from.Address, to: to.Address, messageID: id}, nil
}

// oneLine makes a header value safe: line breaks become spaces, because a rendered subject may
// carry one, and in a header it would start a new header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
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

// Header is one header of an email as it is written.
type Header struct{ Name, Value string }

// UnsubscribeHeaders are the headers an email with this unsubscribe link carries, as the
// connector writes them and a preview shows them: List-Unsubscribe (RFC 2369) always, and
// List-Unsubscribe-Post for one click (RFC 8058) only over HTTPS, since one-click is a POST to an
// HTTPS URI.
func UnsubscribeHeaders(link string) ([]Header, error) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme == "" || strings.ContainsAny(link, " <>\r\n\t") {
		return nil, fmt.Errorf("the unsubscribe URL %q is not a valid URL", link)
	}
	hs := []Header{{Name: "List-Unsubscribe", Value: "<" + link + ">"}}
	if u.Scheme == "https" {
		if u.Host == "" {
			return nil, fmt.Errorf("the unsubscribe URL %q has no host", link)
		}
		hs = append(hs, Header{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"})
	}
	return hs, nil
}
