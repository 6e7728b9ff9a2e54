package shopify

import (
	"encoding/json"
	"strings"
)

// A delivery's topic and shop come in headers that its signature does not cover: a captured body
// could be replayed under another topic (an order "cancelled" by sending its creation notice as
// orders/cancelled). So the body must have the shape of what its topic says, by the fields that
// tell Shopify's resources apart, and the facts a topic states (a cancellation, a payment) must be
// in the body. sources/README.md lists the rules.

// shape is the fields of a body that say what it is.
type shape map[string]json.RawMessage

func (s shape) has(k string) bool {
	v, ok := s[k]
	return ok && string(v) != "null"
}

// text is a field's string value, "" when absent, null or not a string.
func (s shape) text(k string) string {
	var v string
	_ = json.Unmarshal(s[k], &v)
	return v
}

func (s shape) isOrder() bool { return s.has("line_items") && s.has("financial_status") }

// paidStatuses are the financial statuses of an order whose payment was taken.
var paidStatuses = map[string]bool{"paid": true, "partially_paid": true, "partially_refunded": true, "refunded": true}

// topicShapes says, per topic, what is wrong with a body that does not fit it ("" when it fits).
var topicShapes = map[string]func(shape) string{
	"orders/create": func(s shape) string {
		if !s.isOrder() {
			return "an order (with line_items and financial_status)"
		}
		return ""
	},
	"orders/paid": func(s shape) string {
		if !s.isOrder() || !paidStatuses[strings.ToLower(s.text("financial_status"))] {
			return "a paid order (financial_status paid, partially_paid, partially_refunded or refunded)"
		}
		return ""
	},
	"orders/cancelled": func(s shape) string {
		if !s.isOrder() || s.text("cancelled_at") == "" {
			return "a cancelled order (with cancelled_at)"
		}
		return ""
	},
	"fulfillments/create": fulfillmentShape,
	"fulfillments/update": fulfillmentShape,
	"refunds/create": func(s shape) string {
		if !s.has("order_id") || !(s.has("refund_line_items") || s.has("transactions")) || s.has("line_items") {
			return "a refund (with order_id and refund_line_items or transactions)"
		}
		return ""
	},
	"checkouts/create": func(s shape) string {
		if !s.has("line_items") || s.has("financial_status") || !(s.has("token") || s.has("abandoned_checkout_url")) {
			return "a checkout (with line_items and a token, and no financial_status)"
		}
		return ""
	},
	"customers/create": customerShape,
	"customers/update": customerShape,
	"customers_email_marketing_consent/update": func(s shape) string {
		if !s.has("customer_id") || !s.has("email_marketing_consent") || s.has("line_items") {
			return "an email marketing consent (with customer_id and email_marketing_consent)"
		}
		return ""
	},
	"customers_marketing_consent/update": func(s shape) string {
		if !s.has("id") || !s.has("sms_marketing_consent") || s.has("line_items") || s.has("order_id") {
			return "an SMS marketing consent (with id and sms_marketing_consent)"
		}
		return ""
	},
}

func fulfillmentShape(s shape) string {
	if !s.has("order_id") || !s.has("status") || s.has("refund_line_items") || s.has("financial_status") {
		return "a fulfillment (with order_id and status)"
	}
	return ""
}

func customerShape(s shape) string {
	if !s.has("id") || s.has("line_items") || s.has("order_id") || s.has("customer_id") || !(s.has("state") || s.has("verified_email")) {
		return "a customer (with id and state or verified_email, and no line_items)"
	}
	return ""
}

// misfit says what a topic's body should have been when body does not fit topic, "" when it does.
// A body that is not a JSON object fits nothing.
func misfit(topic string, body []byte) string {
	check, ok := topicShapes[topic]
	if !ok {
		return ""
	}
	var s shape
	if err := json.Unmarshal(body, &s); err != nil || s == nil {
		return "a JSON object"
	}
	return check(s)
}

// normShop reads the configured shop as Shopify names it in X-Shopify-Shop-Domain: lowercase,
// without a scheme or a trailing slash.
func normShop(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	return strings.TrimRight(s, "/")
}
