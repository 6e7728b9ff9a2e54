package shopify

import (
	_ "embed"
	"net/http"

	"github.com/afterglowhq/afterglow/internal/settings"
	"github.com/afterglowhq/afterglow/sources"
)

//go:embed schema.json
var schema []byte

func init() {
	sources.Register(sources.Spec{
		Name:    "shopify",
		Summary: "Shopify webhooks: orders, fulfillments, refunds, checkouts, customers, consent",
		Path:    Path,
		Schema:  schema,
		New:     fromSettings,
	})
}

// fromSettings builds the handler from sources.shopify in afterglow.yaml.
func fromSettings(with map[string]any, opts sources.Options) (http.Handler, error) {
	r := settings.New("sources.shopify", with)
	cfg := Config{
		Secret:         r.Required("secret"),
		PreviousSecret: r.String("previous_secret", ""),
		Shop:           r.Required("shop"),
		TestOrders:     r.Enum("test_orders", "ignore", "ignore", "accept") == "accept",
		Logger:         opts.Logger,
		Now:            opts.Now,
		Budget:         opts.Budget,
		AuthFailures:   opts.AuthFailures,
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return New(opts.Sink, cfg)
}
