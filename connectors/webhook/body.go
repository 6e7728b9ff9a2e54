package webhook

import "github.com/afterglowhq/afterglow/message"

// body is the JSON the endpoint receives; doc.go shows it. Field names are part of the public
// contract with receivers: add fields, never rename them.
type body struct {
	ID             string            `json:"id"`
	IdempotencyKey string            `json:"idempotency_key"`
	Channel        string            `json:"channel"`
	Shape          message.Shape     `json:"shape"`
	Category       string            `json:"category,omitempty"`
	Flow           string            `json:"flow,omitempty"`
	Step           string            `json:"step,omitempty"`
	CustomerID     string            `json:"customer_id"`
	Locale         string            `json:"locale,omitempty"`
	To             message.Recipient `json:"to"`
	Content        *content          `json:"content,omitempty"`
	Payload        map[string]any    `json:"payload,omitempty"`
	UnsubscribeURL string            `json:"unsubscribe_url,omitempty"`
}

// content is the rendered content without the webhook payload, which sits at the top level.
type content struct {
	Subject      string   `json:"subject,omitempty"`
	Text         string   `json:"text,omitempty"`
	HTML         string   `json:"html,omitempty"`
	Title        string   `json:"title,omitempty"`
	Body         string   `json:"body,omitempty"`
	URL          string   `json:"url,omitempty"`
	TemplateName string   `json:"template_name,omitempty"`
	Language     string   `json:"language,omitempty"`
	Params       []string `json:"params,omitempty"`
}

func newBody(m message.Message) body {
	c := m.Content
	b := body{
		ID:             m.ID,
		IdempotencyKey: m.IdempotencyKey,
		Channel:        m.Channel,
		Shape:          m.Shape,
		Category:       m.Category,
		Flow:           m.Flow,
		Step:           m.Step,
		CustomerID:     m.To.CustomerID,
		Locale:         m.Locale,
		To:             m.To,
		Payload:        c.Payload,
		UnsubscribeURL: m.UnsubscribeURL,
	}
	rest := content{c.Subject, c.Text, c.HTML, c.Title, c.Body, c.URL, c.TemplateName, c.Language, c.Params}
	if rest.Subject != "" || rest.Text != "" || rest.HTML != "" || rest.Title != "" || rest.Body != "" ||
		rest.URL != "" || rest.TemplateName != "" || rest.Language != "" || len(rest.Params) > 0 {
		b.Content = &rest
	}
	return b
}
