// Package whatsapp_cloud sends WhatsApp messages through Meta's WhatsApp Cloud API
// (POST /{version}/{phone_number_id}/messages on the Graph API).
//
// Business-initiated messages must use a template Meta approved (Content.TemplateName with its
// body Params); free text (Content.Text) is only delivered inside the 24-hour window after the
// customer wrote to the business.
//
// The Cloud API takes no idempotency key, so a retry after a timeout in which Meta did accept
// the message sends it again. The message's idempotency key travels in biz_opaque_callback_data,
// which Meta echoes in its status webhooks, so a duplicate can at least be recognised there.
package whatsapp_cloud

import (
	_ "embed"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/connectors/internal/httpx"
	"github.com/afterglowhq/afterglow/internal/settings"
	"github.com/afterglowhq/afterglow/message"
)

//go:embed schema.json
var schema []byte

func init() {
	connectors.Register(connectors.Spec{
		Name:    "whatsapp_cloud",
		Summary: "WhatsApp templates and text through Meta's WhatsApp Cloud API",
		Shapes:  []message.Shape{message.WhatsApp},
		Schema:  schema,
		New:     New,
	})
}

// Defaults for the Graph API address and version.
const (
	DefaultBaseURL    = "https://graph.facebook.com"
	DefaultAPIVersion = "v23.0"
)

type whatsapp struct {
	endpoint        string
	token           string
	defaultLanguage string
	previewURL      bool
	timeout         time.Duration
	client          *http.Client
	now             func() time.Time
}

// New builds a WhatsApp Cloud connector from its settings.
func New(with map[string]any, opts connectors.Options) (connectors.Connector, error) {
	r := settings.New("whatsapp_cloud", with)
	phoneID := r.Required("phone_number_id")
	token := r.Required("token")
	version := r.String("api_version", DefaultAPIVersion)
	lang := r.String("default_language", "")
	preview := r.Bool("preview_url", false)
	base := r.URL("base_url", DefaultBaseURL)
	timeout := r.Duration("timeout", httpx.DefaultTimeout)
	if strings.HasPrefix(phoneID, "+") {
		r.Fail("phone_number_id", "want the phone number id from the WhatsApp Manager, not the phone number %s", phoneID)
	}
	if !validVersion(version) {
		r.Fail("api_version", "want a Graph API version such as %s, got %q", DefaultAPIVersion, version)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return &whatsapp{
		endpoint:        strings.TrimRight(base.String(), "/") + "/" + version + "/" + url.PathEscape(phoneID) + "/messages",
		token:           token,
		defaultLanguage: lang,
		previewURL:      preview,
		timeout:         timeout,
		client:          httpx.Client(opts.HTTPClient),
		now:             httpx.Now(opts.Now),
	}, nil
}

func validVersion(v string) bool {
	major, minor, ok := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	return ok && strings.HasPrefix(v, "v") && digits(major) && digits(minor)
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
