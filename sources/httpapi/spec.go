package httpapi

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
		Name:    "http",
		Summary: "canonical CloudEvents, one or a batch, from the shop's own systems",
		Path:    Path,
		Schema:  schema,
		New:     fromSettings,
	})
}

// fromSettings builds the handler from sources.http in afterglow.yaml.
func fromSettings(with map[string]any, opts sources.Options) (http.Handler, error) {
	r := settings.New("sources.http", with)
	cfg := Config{Token: r.Required("token"), Logger: opts.Logger, Now: opts.Now, Budget: opts.Budget, AuthFailures: opts.AuthFailures}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return New(opts.Sink, cfg)
}
