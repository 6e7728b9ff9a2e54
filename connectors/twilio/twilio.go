// Package twilio sends SMS through the Twilio Messages REST API
// (POST /2010-04-01/Accounts/{AccountSid}/Messages.json).
//
// Twilio's Messages API takes no idempotency key: it has no header or parameter that makes a
// repeated request return the first message instead of sending a second one. When an attempt
// times out after Twilio accepted it, the retry sends the SMS again. The message's status
// callback and the returned sid are the only way to reconcile such a duplicate afterwards.
package twilio

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
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
		Name:    "twilio",
		Summary: "SMS through the Twilio Messages API",
		Shapes:  []message.Shape{message.SMS},
		Schema:  schema,
		New:     New,
	})
}

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// transientCodes are Twilio error codes that succeed when tried later even though the HTTP
// status is a 4xx: 20429 too many requests, 21611 the sender's queue is full.
var transientCodes = map[int]bool{20429: true, 21611: true}

type twilio struct {
	endpoint       string
	accountSID     string
	authToken      string
	from           string
	serviceSID     string
	statusCallback string
	timeout        time.Duration
	client         *http.Client
	now            func() time.Time
}

// New builds a Twilio connector from its settings.
func New(with map[string]any, opts connectors.Options) (connectors.Connector, error) {
	r := settings.New("twilio", with)
	sid := r.Required("account_sid")
	token := r.Required("auth_token")
	from := r.String("from", "")
	service := r.String("messaging_service_sid", "")
	var callback string
	if u := r.URL("status_callback", ""); u != nil {
		callback = u.String()
	}
	base := r.URL("base_url", DefaultBaseURL)
	timeout := r.Duration("timeout", httpx.DefaultTimeout)
	if sid != "" && !strings.HasPrefix(sid, "AC") {
		r.Fail("account_sid", "an Account SID starts with AC; check that it is not the auth token or an API key")
	}
	switch {
	case from == "" && service == "":
		r.Fail("from", "is required unless messaging_service_sid is set")
	case from != "" && service != "":
		r.Fail("from", "give either from or messaging_service_sid, not both")
	case service != "" && !strings.HasPrefix(service, "MG"):
		r.Fail("messaging_service_sid", "a Messaging Service SID starts with MG")
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return &twilio{
		endpoint:       strings.TrimRight(base.String(), "/") + "/2010-04-01/Accounts/" + url.PathEscape(sid) + "/Messages.json",
		accountSID:     sid,
		authToken:      token,
		from:           from,
		serviceSID:     service,
		statusCallback: callback,
		timeout:        timeout,
		client:         httpx.Client(opts.HTTPClient),
		now:            httpx.Now(opts.Now),
	}, nil
}

// answer is the part of Twilio's JSON this connector reads: a Message resource on success, an
// error resource (code, message, more_info) on failure.
type answer struct {
	SID      string `json:"sid"`
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
}

func (t *twilio) Send(ctx context.Context, m message.Message) (connectors.Result, error) {
	if m.Shape != message.SMS {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("twilio: carries sms only, not %q; route that channel to another connector", m.Shape))
	}
	if m.To.Phone == "" {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("twilio: customer %s has no phone number", m.To.CustomerID))
	}
	if strings.TrimSpace(m.Content.Text) == "" {
		return connectors.Result{}, connectors.Permanent(errors.New("twilio: the message text is empty"))
	}
	form := url.Values{"To": {m.To.Phone}, "Body": {m.Content.Text}}
	if t.serviceSID != "" {
		form.Set("MessagingServiceSid", t.serviceSID)
	} else {
		form.Set("From", t.from)
	}
	if t.statusCallback != "" {
		form.Set("StatusCallback", t.statusCallback)
	}

	ctx, cancel := httpx.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("twilio: %w", err))
	}
	req.SetBasicAuth(t.accountSID, t.authToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := httpx.Do(t.client, req, "twilio")
	if err != nil {
		return connectors.Result{}, err
	}
	var a answer
	jsonErr := json.Unmarshal(resp.Body, &a)
	if resp.OK() {
		return connectors.Result{ProviderID: a.SID}, nil
	}
	detail := httpx.Snippet(resp.Body)
	if jsonErr == nil && a.Code != 0 {
		detail = fmt.Sprintf("error %d: %s", a.Code, a.Message)
		if a.MoreInfo != "" {
			detail += " (" + a.MoreInfo + ")"
		}
	}
	if transientCodes[a.Code] {
		return connectors.Result{}, connectors.Transient(fmt.Errorf("twilio answered %d: %s", resp.Status, detail), httpx.RetryAfter(resp.Header, t.now()))
	}
	return connectors.Result{}, httpx.Classify("twilio", resp, t.now(), detail)
}
