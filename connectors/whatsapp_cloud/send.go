package whatsapp_cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/connectors/internal/httpx"
	"github.com/afterglowhq/afterglow/message"
)

// maxCallbackData is Meta's limit on biz_opaque_callback_data.
const maxCallbackData = 512

// request is the Cloud API's message object, for the two types this connector sends.
type request struct {
	MessagingProduct string    `json:"messaging_product"`
	RecipientType    string    `json:"recipient_type"`
	To               string    `json:"to"`
	Type             string    `json:"type"`
	Template         *template `json:"template,omitempty"`
	Text             *text     `json:"text,omitempty"`
	CallbackData     string    `json:"biz_opaque_callback_data,omitempty"`
}

type template struct {
	Name       string      `json:"name"`
	Language   language    `json:"language"`
	Components []component `json:"components,omitempty"`
}

type language struct {
	Code string `json:"code"`
}

type component struct {
	Type       string      `json:"type"`
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// answer is the part of the Cloud API's answer this connector reads.
type answer struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
		TraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

// transientCodes are Meta error codes that clear up when tried later, whatever the HTTP status:
// throttling (4, 80007, 130429, 131048, 131056) and temporary failures on Meta's side
// (1, 2, 131000, 131016, 133004).
var transientCodes = map[int]bool{
	1: true, 2: true, 4: true, 80007: true, 130429: true, 131000: true, 131016: true,
	131048: true, 131056: true, 133004: true,
}

func (w *whatsapp) build(m message.Message) (request, error) {
	if m.Shape != message.WhatsApp {
		return request{}, fmt.Errorf("carries whatsapp only, not %q; route that channel to another connector", m.Shape)
	}
	if m.To.Phone == "" {
		return request{}, fmt.Errorf("customer %s has no phone number", m.To.CustomerID)
	}
	req := request{MessagingProduct: "whatsapp", RecipientType: "individual", To: m.To.Phone, CallbackData: m.IdempotencyKey}
	if len(req.CallbackData) > maxCallbackData {
		req.CallbackData = req.CallbackData[:maxCallbackData]
	}
	c := m.Content
	switch {
	case c.TemplateName != "":
		lang := metaLanguage(c.Language, m.Locale, w.defaultLanguage)
		if lang == "" {
			return request{}, fmt.Errorf("template %q needs a language: give the content a language, the customer a locale, or the connector a default_language", c.TemplateName)
		}
		t := &template{Name: c.TemplateName, Language: language{Code: lang}}
		if len(c.Params) > 0 {
			body := component{Type: "body"}
			for _, p := range c.Params {
				body.Parameters = append(body.Parameters, parameter{Type: "text", Text: p})
			}
			t.Components = []component{body}
		}
		req.Type, req.Template = "template", t
	case strings.TrimSpace(c.Text) != "":
		req.Type, req.Text = "text", &text{Body: c.Text, PreviewURL: w.previewURL}
	default:
		return request{}, errors.New("the message has neither a template_name nor text")
	}
	return req, nil
}

// metaLanguage picks the template language: the content's, else the message locale, else the
// default. Meta writes language codes with an underscore (en_US, pt_BR), locales often use a hyphen.
func metaLanguage(choices ...string) string {
	for _, c := range choices {
		if c = strings.TrimSpace(c); c != "" {
			return strings.ReplaceAll(c, "-", "_")
		}
	}
	return ""
}

func (w *whatsapp) Send(ctx context.Context, m message.Message) (connectors.Result, error) {
	msg, err := w.build(m)
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("whatsapp_cloud: %w", err))
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("whatsapp_cloud: %w", err))
	}
	ctx, cancel := httpx.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.endpoint, bytes.NewReader(body))
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("whatsapp_cloud: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Content-Type", "application/json")

	resp, err := httpx.Do(w.client, req, "whatsapp_cloud")
	if err != nil {
		return connectors.Result{}, err
	}
	var a answer
	jsonErr := json.Unmarshal(resp.Body, &a)
	if resp.OK() && a.Error == nil {
		var id string
		if len(a.Messages) > 0 {
			id = a.Messages[0].ID
		}
		return connectors.Result{ProviderID: id}, nil
	}
	if jsonErr != nil || a.Error == nil {
		return connectors.Result{}, httpx.Classify("whatsapp_cloud", resp, w.now(), httpx.Snippet(resp.Body))
	}
	e := a.Error
	detail := fmt.Sprintf("error %d: %s", e.Code, e.Message)
	if e.ErrorData.Details != "" {
		detail += " (" + e.ErrorData.Details + ")"
	}
	if e.TraceID != "" {
		detail += " [fbtrace_id " + e.TraceID + "]"
	}
	if transientCodes[e.Code] {
		return connectors.Result{}, connectors.Transient(fmt.Errorf("whatsapp_cloud answered %d: %s", resp.Status, detail), httpx.RetryAfter(resp.Header, w.now()))
	}
	if resp.OK() {
		// An error object in a 2xx answer is unusual; treat it like the 400 Meta normally sends.
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("whatsapp_cloud answered %d with an error: %s", resp.Status, detail))
	}
	return connectors.Result{}, httpx.Classify("whatsapp_cloud", resp, w.now(), detail)
}
