// Package message is the model of an outgoing message that the flow language, the engine, the
// stores and the connectors share: its content shapes, its recipient and its rendered content. It
// imports nothing of the project, so that each of them can depend on it without depending on
// another.
package message

// Shape is the form of a message's content; a channel carries one or more shapes.
type Shape string

const (
	Email    Shape = "email"
	SMS      Shape = "sms"
	WhatsApp Shape = "whatsapp"
	Push     Shape = "push"
	Webhook  Shape = "webhook"
)

// Shapes lists every content shape in a stable order.
var Shapes = []Shape{Email, SMS, WhatsApp, Push, Webhook}

// Recipient is where the customer is reached. Only the fields the shape needs are read.
type Recipient struct {
	CustomerID string `json:"customer_id"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"` // E.164
	PushToken  string `json:"push_token,omitempty"`
	Name       string `json:"name,omitempty"`
}

// Content is a rendered message. Which fields are set depends on the shape:
// email Subject, Text, HTML; sms Text; push Title, Body, URL; whatsapp Text or TemplateName with
// Params (and Language); webhook Payload.
type Content struct {
	Subject      string         `json:"subject,omitempty"`
	Text         string         `json:"text,omitempty"`
	HTML         string         `json:"html,omitempty"`
	Title        string         `json:"title,omitempty"`
	Body         string         `json:"body,omitempty"`
	URL          string         `json:"url,omitempty"`
	TemplateName string         `json:"template_name,omitempty"`
	Language     string         `json:"language,omitempty"`
	Params       []string       `json:"params,omitempty"`
	Payload      map[string]any `json:"payload,omitempty"`
}

// Message is what a connector sends. IdempotencyKey is stable for the message however often it is
// retried; connectors pass it to every provider that can deduplicate with it.
type Message struct {
	ID             string    `json:"id"`
	IdempotencyKey string    `json:"idempotency_key"`
	Channel        string    `json:"channel"`
	Shape          Shape     `json:"shape"`
	Category       string    `json:"category"` // transactional | marketing
	Flow           string    `json:"flow"`
	Step           string    `json:"step"`
	Locale         string    `json:"locale"`
	To             Recipient `json:"to"`
	Content        Content   `json:"content"`
	UnsubscribeURL string    `json:"unsubscribe_url,omitempty"`
}
