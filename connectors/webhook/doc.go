// Package webhook posts each message as JSON to an HTTP endpoint of the shop's own (a CRM, a data
// warehouse, a custom sender). It carries every content shape.
//
// # The request
//
//	POST <url>
//	Content-Type: application/json
//	Idempotency-Key: <the message's idempotency key>
//	X-Afterglow-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>
//	<any headers from the `headers` setting>
//
//	{
//	  "id": "msg_01J9...",                      the message id
//	  "idempotency_key": "j_01J9.../thanks",    the same on every retry of this message
//	  "channel": "crm",                         the channel name in afterglow.yaml
//	  "shape": "webhook",                       email | sms | whatsapp | push | webhook
//	  "category": "marketing",                  transactional | marketing
//	  "flow": "thank-you-nps",
//	  "step": "thanks",
//	  "customer_id": "7001",
//	  "locale": "es",
//	  "to": {"customer_id": "7001", "email": "laura@example.com", "phone": "+51987654321", "name": "Laura"},
//	  "content": {"subject": "...", "text": "..."},   the rendered fields of email, sms, whatsapp and push
//	  "payload": {"any": "object"},                   the rendered body of a webhook template
//	  "unsubscribe_url": "https://..."                when the message has one
//	}
//
// Empty fields are left out. The body depends only on the message, so every retry sends the same
// bytes with the same signature; receivers deduplicate with Idempotency-Key.
//
// # Verifying a request
//
// Compute HMAC-SHA256 over the raw body bytes as received (before any JSON parsing) with the
// shared secret, hex-encode it, and compare it with the header after "sha256=" in constant time.
//
// # The answer
//
// Any 2xx is success; when the answer is a JSON object with a string "id", that id is recorded as
// the provider's id of the message. 408, 429 and 5xx are retried (after Retry-After when given);
// any other status fails the message for good. Redirects are not followed.
package webhook
