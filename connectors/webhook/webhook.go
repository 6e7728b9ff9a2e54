package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
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
		Name:    "webhook",
		Summary: "signed JSON POST to an HTTP endpoint of your own",
		Shapes:  message.Shapes,
		Schema:  schema,
		New:     New,
	})
}

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the raw body>".
const SignatureHeader = "X-Afterglow-Signature"

// reserved headers are set by the connector; letting settings replace them would break the
// signature or the deduplication a receiver relies on.
var reserved = []string{"Content-Type", "Content-Length", "Host", "Idempotency-Key", SignatureHeader}

type webhook struct {
	url     string
	host    string
	secret  []byte
	headers http.Header
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

// New builds a webhook connector from its settings.
func New(with map[string]any, opts connectors.Options) (connectors.Connector, error) {
	r := settings.New("webhook", with)
	u := r.RequiredURL("url")
	secret := r.Required("secret")
	extra := r.StringMap("headers")
	timeout := r.Duration("timeout", httpx.DefaultTimeout)
	headers := http.Header{}
	for k, v := range extra {
		for _, res := range reserved {
			if strings.EqualFold(k, res) {
				r.Fail("headers", "%s is set by the connector; remove it", res)
			}
		}
		headers.Set(k, v)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return &webhook{
		url:     u.String(),
		host:    u.Host,
		secret:  []byte(secret),
		headers: headers,
		timeout: timeout,
		client:  httpx.Client(opts.HTTPClient),
		now:     httpx.Now(opts.Now),
	}, nil
}

// Sign returns the X-Afterglow-Signature value of body under secret, for receivers written in Go
// and for tests.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (w *webhook) Send(ctx context.Context, m message.Message) (connectors.Result, error) {
	body, err := json.Marshal(newBody(m))
	if err != nil {
		// A payload that cannot be encoded (a NaN, say) will not encode on a retry either.
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("webhook: cannot encode message %s as JSON: %w", m.ID, err))
	}
	ctx, cancel := httpx.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("webhook: %w", err))
	}
	for k, v := range w.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.IdempotencyKey)
	req.Header.Set(SignatureHeader, Sign(w.secret, body))

	resp, err := httpx.Do(w.client, req, "webhook "+w.host)
	if err != nil {
		return connectors.Result{}, err
	}
	if !resp.OK() {
		return connectors.Result{}, httpx.Classify("webhook "+w.host, resp, w.now(), httpx.Snippet(resp.Body))
	}
	var answer struct {
		ID string `json:"id"`
	}
	// The answer's shape is up to the receiver; only a JSON object with an "id" is used.
	_ = json.Unmarshal(resp.Body, &answer)
	return connectors.Result{ProviderID: answer.ID}, nil
}
