// Package shopify receives Shopify webhooks at POST /webhooks/shopify, checks their signature and
// turns each into canonical events for the sink. ../README.md maps every topic to the
// events it produces.
package shopify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/sources"
)

// Path is where the handler is usually mounted.
const Path = "/webhooks/shopify"

// Config is the source's settings (afterglow.yaml, sources.shopify).
type Config struct {
	// Secret is the app's client secret, which Shopify signs every delivery with.
	Secret string
	// PreviousSecret is accepted too, for the hour after a rotation during which Shopify may still
	// sign with the old secret. Empty when there was no rotation.
	PreviousSecret string
	// Shop is the shop's myshopify.com domain: a delivery whose X-Shopify-Shop-Domain names another
	// shop is refused, so that a body signed for one shop cannot be replayed as another's.
	Shop string
	// TestOrders accepts Shopify test orders ("test": true) as real ones; they are acknowledged
	// and ignored otherwise.
	TestOrders bool
	// MaxBody is the largest body accepted, in bytes; 0 means sources.DefaultMaxWebhookBody.
	MaxBody int64
	// Orders finds the customer of an order for the notices that do not name one (refunds,
	// fulfillments). Nil means the sink, when it implements sources.OrderCustomers.
	Orders sources.OrderCustomers
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

// Handler serves POST /webhooks/shopify.
type Handler struct {
	sink       sources.Sink
	secrets    []string
	shop       string
	testOrders bool
	maxBody    int64
	orders     sources.OrderCustomers
	log        zerolog.Logger
	now        func() time.Time
	budget     *sources.Budget
	refused    *sources.AuthFailures
}

// New returns the handler. A secret is required: an unsigned Shopify endpoint would let anyone
// invent orders.
func New(sink sources.Sink, cfg Config) (*Handler, error) {
	if sink == nil {
		return nil, errors.New("shopify: no sink to hand events to")
	}
	if cfg.Secret == "" {
		return nil, errors.New("shopify: no secret configured: set sources.shopify.secret to the app's client secret (for example secret: ${SHOPIFY_SECRET})")
	}
	if cfg.Shop == "" {
		return nil, errors.New("shopify: no shop configured: set sources.shopify.shop to the shop's myshopify.com domain (for example shop: tienda.myshopify.com)")
	}
	if cfg.MaxBody < 0 {
		return nil, fmt.Errorf("shopify: max body %d is negative", cfg.MaxBody)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = sources.DefaultMaxWebhookBody
	}
	if cfg.Orders == nil {
		cfg.Orders, _ = sink.(sources.OrderCustomers)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AuthFailures == nil {
		cfg.AuthFailures = sources.NewAuthFailures(cfg.Logger, 10*time.Second)
	}
	return &Handler{
		budget:     cfg.Budget,
		refused:    cfg.AuthFailures,
		sink:       sink,
		secrets:    []string{cfg.Secret, cfg.PreviousSecret},
		shop:       normShop(cfg.Shop),
		testOrders: cfg.TestOrders,
		maxBody:    cfg.MaxBody,
		orders:     cfg.Orders,
		log:        cfg.Logger,
		now:        cfg.Now,
	}, nil
}

// header reads a Shopify header, which newer deliveries send without the X- prefix.
// http.Header.Get already ignores case.
func header(h http.Header, name string) string {
	if v := h.Get("X-Shopify-" + name); v != "" {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(h.Get("Shopify-" + name))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		sources.MethodNotAllowed(w)
		return
	}
	sig := header(r.Header, "Hmac-Sha256")
	if sig == "" {
		h.refused.Add("no X-Shopify-Hmac-Sha256")
		sources.WriteError(w, http.StatusUnauthorized, "missing X-Shopify-Hmac-Sha256 header: only signed Shopify webhooks are accepted")
		return
	}
	body, release, ok := h.budget.Read(w, r, h.maxBody)
	if !ok {
		return
	}
	defer release()
	if !sources.VerifyBase64(sig, body, h.secrets...) {
		h.refused.Add("wrong Shopify signature, topic " + header(r.Header, "Topic"))
		sources.WriteError(w, http.StatusUnauthorized, "the X-Shopify-Hmac-Sha256 signature does not match the body: "+
			"check that sources.shopify.secret is the app's client secret (and previous_secret the old one after a rotation)")
		return
	}
	topic := strings.ToLower(header(r.Header, "Topic"))
	shop := strings.ToLower(header(r.Header, "Shop-Domain"))
	if topic == "" || shop == "" {
		sources.WriteError(w, http.StatusBadRequest, "missing X-Shopify-Topic or X-Shopify-Shop-Domain header: both are needed to read a delivery")
		return
	}
	if shop != h.shop {
		h.log.Warn().Str("topic", topic).Str("shop", shop).Msg("refused a Shopify delivery for another shop")
		sources.WriteError(w, http.StatusUnauthorized, fmt.Sprintf("X-Shopify-Shop-Domain %q is not this engine's shop (sources.shopify.shop): "+
			"only deliveries for %s are accepted", shop, h.shop))
		return
	}
	convert, known := converters[topic]
	if !known {
		h.log.Info().Str("topic", topic).Str("shop", shop).Str("customer", customerOf(topic, body)).
			Msg("ignored a Shopify delivery: Afterglow does not use this topic")
		sources.WriteJSON(w, http.StatusOK, sources.Accepted{})
		return
	}
	if err := sources.CheckJSON(body); err != nil {
		sources.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	if want := misfit(topic, body); want != "" {
		h.log.Warn().Str("topic", topic).Str("shop", shop).Msg("refused a Shopify delivery whose body does not fit its topic")
		sources.WriteError(w, http.StatusBadRequest, "X-Shopify-Topic is "+topic+" but the body is not "+want+
			": the topic header is not covered by the signature, so a body must show what its topic says")
		return
	}
	log := h.log.With().Str("topic", topic).Str("shop", shop).Logger()
	out, err := convert(r.Context(), h.delivery(r, topic, shop, body))
	sources.AnswerNotice(w, r, h.sink, log, h.now(), out, err)
}

func (h *Handler) delivery(r *http.Request, topic, shop string, body []byte) *delivery {
	d := &delivery{topic: topic, source: "shopify/" + shop, now: h.now(), body: body, orders: h.orders, testOrders: h.testOrders}
	d.deliveryID = header(r.Header, "Webhook-Id")
	if d.deliveryID == "" {
		d.deliveryID = header(r.Header, "Event-Id")
	}
	if d.deliveryID == "" {
		d.deliveryID = sources.Digest(body)
	}
	if t, err := time.Parse(time.RFC3339Nano, header(r.Header, "Triggered-At")); err == nil {
		d.triggered = t
	}
	return d
}

// customerOf names the customer of an unknown topic's body for the log, when it says.
func customerOf(topic string, body []byte) string {
	var a anyResource
	_ = sources.DecodeJSON(body, &a)
	switch {
	case a.Customer != nil && a.Customer.ID.ID() != "":
		return a.Customer.ID.ID()
	case a.CustomerID.ID() != "":
		return a.CustomerID.ID()
	case strings.HasPrefix(topic, "customers/"):
		return a.ID.ID()
	}
	return ""
}

// converters turn one topic's body into events.
var converters = map[string]func(context.Context, *delivery) (sources.Outcome, error){
	"orders/create":                            ordersCreate,
	"orders/paid":                              ordersPaid,
	"orders/cancelled":                         ordersCancelled,
	"fulfillments/create":                      fulfillments,
	"fulfillments/update":                      fulfillments,
	"refunds/create":                           refundsCreate,
	"checkouts/create":                         checkoutsCreate,
	"customers/create":                         customersCreate,
	"customers/update":                         customersUpdate,
	"customers_email_marketing_consent/update": emailConsentUpdate,
	"customers_marketing_consent/update":       smsConsentUpdate,
}
