// Package console prints each message as a readable block instead of sending it. It is the
// connector of the starter library and of local development: it carries every shape and never
// fails for want of an address.
package console

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/internal/settings"
	"github.com/afterglowhq/afterglow/message"
)

//go:embed schema.json
var schema []byte

func init() {
	connectors.Register(connectors.Spec{
		Name:    "console",
		Summary: "prints messages instead of sending them (development)",
		Shapes:  message.Shapes,
		Schema:  schema,
		New:     New,
	})
}

// summaryWidth caps a summarised line, so one long paragraph does not flood a terminal.
const summaryWidth = 100

type console struct {
	mu   sync.Mutex // one block at a time: concurrent sends must not interleave their lines
	out  io.Writer
	full bool
}

// New builds a console connector; it prints to opts.Out, or standard output.
func New(with map[string]any, opts connectors.Options) (connectors.Connector, error) {
	r := settings.New("console", with)
	full := r.Bool("full", false)
	if err := r.Err(); err != nil {
		return nil, err
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	return &console{out: out, full: full}, nil
}

func (c *console) Send(_ context.Context, m message.Message) (connectors.Result, error) {
	var b bytes.Buffer
	c.render(&b, m)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.out.Write(b.Bytes()); err != nil {
		return connectors.Result{}, connectors.Transient(fmt.Errorf("console: %w", err), 0)
	}
	return connectors.Result{}, nil
}

func (c *console) render(b *bytes.Buffer, m message.Message) {
	head := fmt.Sprintf("── %s message %s ", m.Channel, m.ID)
	fmt.Fprintf(b, "%s%s\n", head, strings.Repeat("─", max(3, 60-len([]rune(head)))))
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(b, "%-12s %s\n", name+":", value)
		}
	}
	kind := string(m.Shape)
	if m.Category != "" {
		kind += ", " + m.Category
	}
	field("channel", fmt.Sprintf("%s (%s)", m.Channel, kind))
	if m.Flow != "" || m.Step != "" {
		field("flow", m.Flow+" / "+m.Step)
	}
	field("to", recipient(m))
	field("locale", m.Locale)

	ct := m.Content
	switch m.Shape {
	case message.Email:
		field("subject", ct.Subject)
		c.text(b, field, "text", ct.Text)
		if c.full {
			c.text(b, field, "html", ct.HTML)
		}
	case message.SMS:
		c.text(b, field, "text", ct.Text)
	case message.WhatsApp:
		if ct.TemplateName != "" {
			lang := ct.Language
			if lang == "" {
				lang = m.Locale
			}
			field("template", fmt.Sprintf("%s (%s)", ct.TemplateName, lang))
			for i, p := range ct.Params {
				field(fmt.Sprintf("{{%d}}", i+1), p)
			}
		} else {
			c.text(b, field, "text", ct.Text)
		}
	case message.Push:
		field("title", ct.Title)
		c.text(b, field, "body", ct.Body)
		field("url", ct.URL)
	case message.Webhook:
		c.payload(b, field, ct.Payload)
	default:
		c.text(b, field, "text", ct.Text)
	}
	field("unsubscribe", m.UnsubscribeURL)
	b.WriteString("\n")
}

func recipient(m message.Message) string {
	to := m.To
	var addr string
	switch m.Shape {
	case message.Email:
		addr = to.Email
		if to.Name != "" && addr != "" {
			addr = fmt.Sprintf("%s <%s>", to.Name, addr)
		}
	case message.SMS, message.WhatsApp:
		addr = to.Phone
	case message.Push:
		// Device tokens run to 150+ characters; the start is enough to tell them apart.
		addr = to.PushToken
		if len(addr) > 24 {
			addr = addr[:20] + "…"
		}
	}
	switch {
	case addr == "":
		return "customer " + to.CustomerID
	case to.CustomerID == "":
		return addr
	default:
		return addr + " (customer " + to.CustomerID + ")"
	}
}

// text prints a body: its first line (shortened) as a summary, or every line indented.
func (c *console) text(b *bytes.Buffer, field func(string, string), name, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if !c.full {
		first, _, more := strings.Cut(s, "\n")
		first = shorten(strings.TrimSpace(first))
		if more {
			first += " …"
		}
		field(name, first)
		return
	}
	fmt.Fprintf(b, "%s:\n", name)
	for _, line := range strings.Split(s, "\n") {
		fmt.Fprintf(b, "    %s\n", strings.TrimRight(line, "\r"))
	}
}

func (c *console) payload(b *bytes.Buffer, field func(string, string), p map[string]any) {
	if p == nil {
		return
	}
	if !c.full {
		raw, err := json.Marshal(p)
		if err != nil {
			field("payload", fmt.Sprintf("(cannot encode: %v)", err))
			return
		}
		field("payload", shorten(string(raw)))
		return
	}
	raw, err := json.MarshalIndent(p, "    ", "  ")
	if err != nil {
		field("payload", fmt.Sprintf("(cannot encode: %v)", err))
		return
	}
	fmt.Fprintf(b, "payload:\n    %s\n", raw)
}

func shorten(s string) string {
	r := []rune(s)
	if len(r) <= summaryWidth {
		return s
	}
	return string(r[:summaryWidth-1]) + "…"
}
