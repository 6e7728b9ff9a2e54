// Package woocommerce receives WooCommerce webhooks at POST /webhooks/woocommerce, checks their
// signature and turns each into canonical events for the sink. ../README.md maps every
// topic to the events it produces.
package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/sources"
)

// Path is where the handler is usually mounted.
const Path = "/webhooks/woocommerce"

// Config is the source's settings (afterglow.yaml, sources.woocommerce).
type Config struct {
	// Secret is the webhook's secret, which WooCommerce signs every delivery with.
	Secret string
	// MaxBody is the largest body accepted, in bytes; 0 means sources.DefaultMaxWebhookBody.
	MaxBody int64
	// Logger receives one line per skipped or refused delivery; the zero Logger discards.
	Logger zerolog.Logger
	// Now is the clock for events whose notice carries no time; nil means time.Now.
	Now func() time.Time
	// Budget bounds the memory of the bodies being read and processed at once; nil means none.
	Budget *sources.Budget
	// AuthFailures counts and logs refused signatures; nil means a counter of the handler's own,
	// logging at most every 10 seconds.
	AuthFailures *sources.AuthFailures
}

// Handler serves POST /webhooks/woocommerce.
type Handler struct {
	sink    sources.Sink
	secret  string
	maxBody int64
	log     zerolog.Logger
	now     func() time.Time
	budget  *sources.Budget
	refused *sources.AuthFailures
	pings   *sources.Throttle
}

// New returns the handler. A secret is required: an unsigned endpoint would let anyone invent
// orders.
func New(sink sources.Sink, cfg Config) (*Handler, error) {
	if sink == nil {
		return nil, errors.New("woocommerce: no sink to hand events to")
	}
	if cfg.Secret == "" {
		return nil, errors.New("woocommerce: no secret configured: set sources.woocommerce.secret to the webhook's secret (for example secret: ${WOO_SECRET})")
	}
	if cfg.MaxBody < 0 {
		return nil, fmt.Errorf("woocommerce: max body %d is negative", cfg.MaxBody)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = sources.DefaultMaxWebhookBody
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AuthFailures == nil {
		cfg.AuthFailures = sources.NewAuthFailures(cfg.Logger, 10*time.Second)
	}
	return &Handler{sink: sink, secret: cfg.Secret, maxBody: cfg.MaxBody, log: cfg.Logger, now: cfg.Now,
		budget: cfg.Budget, refused: cfg.AuthFailures,
		pings: sources.NewThrottle(cfg.Logger, zerolog.InfoLevel, "WooCommerce webhook created: its ping is acknowledged (count since the last such line)", 10*time.Second)}, nil
}

// ping is the unsigned form body WooCommerce posts once when a webhook is created.
var ping = regexp.MustCompile(`^webhook_id=[0-9]+$`)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		sources.MethodNotAllowed(w)
		return
	}
	body, release, ok := h.budget.Read(w, r, h.maxBody)
	if !ok {
		return
	}
	defer release()
	sig := strings.TrimSpace(r.Header.Get("X-WC-Webhook-Signature"))
	if ping.Match(bytes.TrimSpace(body)) && (sig == "" || sources.VerifyBase64(sig, body, h.secret)) {
		// Throttled: the ping is unsigned, so anyone could fill the log with it.
		h.pings.Note("webhook", strings.TrimPrefix(string(bytes.TrimSpace(body)), "webhook_id="))
		sources.WriteJSON(w, http.StatusOK, sources.Accepted{})
		return
	}
	if sig == "" {
		h.refused.Add("no X-WC-Webhook-Signature")
		sources.WriteError(w, http.StatusUnauthorized, "missing X-WC-Webhook-Signature header: only signed WooCommerce webhooks are accepted")
		return
	}
	if !sources.VerifyBase64(sig, body, h.secret) {
		h.refused.Add("wrong WooCommerce signature, topic " + r.Header.Get("X-WC-Webhook-Topic"))
		sources.WriteError(w, http.StatusUnauthorized, "the X-WC-Webhook-Signature signature does not match the body: "+
			"check that sources.woocommerce.secret is the secret set on the webhook in WooCommerce")
		return
	}
	topic := strings.ToLower(strings.TrimSpace(r.Header.Get("X-WC-Webhook-Topic")))
	site := siteOf(r.Header.Get("X-WC-Webhook-Source"))
	if topic == "" || site == "" {
		sources.WriteError(w, http.StatusBadRequest, "missing X-WC-Webhook-Topic or X-WC-Webhook-Source header: both are needed to read a delivery")
		return
	}
	log := h.log.With().Str("topic", topic).Str("site", site).Logger()
	convert, known := converters[topic]
	if !known {
		log.Info().Str("customer", customerOf(topic, body)).Msg("ignored a WooCommerce delivery: Afterglow does not use this topic")
		sources.WriteJSON(w, http.StatusOK, sources.Accepted{})
		return
	}
	if err := sources.CheckJSON(body); err != nil {
		sources.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	if id, deleted := onlyID(body); deleted {
		log.Info().Str("resource", id).Msg("acknowledged a notice of a deleted resource: nothing to store")
		sources.WriteJSON(w, http.StatusOK, sources.Accepted{})
		return
	}
	d := &delivery{topic: topic, source: "woocommerce/" + site, body: body, now: h.now()}
	d.deliveryID = strings.TrimSpace(r.Header.Get("X-WC-Webhook-Delivery-ID"))
	if d.deliveryID == "" {
		d.deliveryID = sources.Digest(body)
	}
	out, err := convert(r.Context(), d)
	sources.AnswerNotice(w, r, h.sink, log, h.now(), out, err)
}

// siteOf names the store by its address (X-WC-Webhook-Source, the site's home URL): host and
// path, so that two stores of one host stay apart.
func siteOf(source string) string {
	u, err := url.Parse(strings.TrimSpace(source))
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/")
}

// onlyID tells the body of a deleted resource, {"id": N}, from a resource.
func onlyID(body []byte) (string, bool) {
	var m map[string]json.RawMessage
	if sources.DecodeJSON(body, &m) != nil || len(m) != 1 {
		return "", false
	}
	id, ok := m["id"]
	return string(id), ok
}

// customerOf names the customer of an unknown topic's body for the log, when it says.
func customerOf(topic string, body []byte) string {
	var a anyResource
	_ = sources.DecodeJSON(body, &a)
	if strings.HasPrefix(topic, "customer.") {
		return a.ID.ID()
	}
	return a.CustomerID.ID()
}

// converters turn one topic's body into events.
var converters = map[string]func(context.Context, *delivery) (sources.Outcome, error){
	"order.created":    orderCreated,
	"order.updated":    orderUpdated,
	"customer.created": customerCreated,
	"customer.updated": customerUpdated,
}
