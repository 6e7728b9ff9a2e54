package woocommerce

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
		Name:    "woocommerce",
		Summary: "WooCommerce webhooks: orders by status, customers",
		Path:    Path,
		Schema:  schema,
		New:     fromSettings,
	})
}

// fromSettings builds the handler from sources.woocommerce in afterglow.yaml.
func fromSettings(with map[string]any, opts sources.Options) (http.Handler, error) {
	r := settings.New("sources.woocommerce", with)
	cfg := Config{Secret: r.Required("secret"), Logger: opts.Logger, Now: opts.Now, Budget: opts.Budget, AuthFailures: opts.AuthFailures}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return New(opts.Sink, cfg)
}
