package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"time"

	"github.com/afterglowhq/afterglow/engine/policy"
	"github.com/afterglowhq/afterglow/engine/unsubscribe"
	"github.com/afterglowhq/afterglow/event"
)

var page = template.Must(template.New("u").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#333}
button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#e07a5f;color:#fff;cursor:pointer}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Form}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>
`))

type pageData struct {
	Lang, Title, Text, Button string
	Form                      bool
}

// unsubscribePage shows a one-button page. A GET never unsubscribes: mail scanners follow every
// link in a message, and they must not unsubscribe the reader.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	tok, err := unsubscribe.Verify(s.secret, r.PathValue("token"))
	if err != nil {
		lang, t := s.pageLocale(r, "")
		s.render(w, http.StatusNotFound, pageData{Lang: lang, Title: t.bad, Text: t.badText})
		return
	}
	lang, t := s.pageLocale(r, tok.CustomerID)
	s.render(w, http.StatusOK, pageData{Lang: lang, Title: t.ask, Text: t.askText, Button: t.button, Form: true})
}

// unsubscribe records the withdrawal of consent as a consent.updated event: the customer's consent
// changes and every flow sees it (RFC 8058 one-click POSTs land here too).
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	tok, err := unsubscribe.Verify(s.secret, r.PathValue("token"))
	if err != nil {
		lang, t := s.pageLocale(r, "")
		s.render(w, http.StatusNotFound, pageData{Lang: lang, Title: t.bad, Text: t.badText})
		return
	}
	lang, t := s.pageLocale(r, tok.CustomerID)
	channel := tok.Channel
	if ch := s.settings.Channels[tok.Channel]; ch != nil {
		if k := policy.ConsentKey(ch.Shape); k != "" {
			channel = k
		}
	}
	// Every click is an event of its own: a link clicked again after the customer subscribed again
	// must withdraw again, so the id is never the same twice.
	now := s.eng.Now()
	ev := event.Event{SpecVersion: event.SpecVersion, ID: clickID(tok.MessageID, now), Source: "afterglow/unsubscribe",
		Type: event.ConsentUpdated, Subject: tok.CustomerID, Time: now, Data: map[string]any{"channel": channel, "granted": false}}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	if err := (counting{s, "unsubscribe"}).Submit(ctx, []event.Event{ev}); err != nil {
		s.log.Error().Str("customer", tok.CustomerID).Err(err).Msg("unsubscribe not recorded")
		s.render(w, http.StatusServiceUnavailable, pageData{Lang: lang, Title: t.retry, Text: t.retryText, Button: t.button, Form: true})
		return
	}
	s.log.Info().Str("customer", tok.CustomerID).Str("channel", channel).Msg("unsubscribed")
	s.render(w, http.StatusOK, pageData{Lang: lang, Title: t.done, Text: t.doneText})
}

// clickID names one click on a message's link: the message, the moment and a random part, so that
// two clicks in the same instant are two events too.
func clickID(messageID string, at time.Time) string {
	var r [6]byte
	_, _ = rand.Read(r[:])
	return "unsubscribe/" + messageID + "/" + at.UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(r[:])
}

func (s *Server) render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = page.Execute(w, d)
}
