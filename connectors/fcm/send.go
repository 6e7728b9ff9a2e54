package fcm

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

// request is the HTTP v1 send body.
type request struct {
	Message fcmMessage `json:"message"`
}

type fcmMessage struct {
	Token        string            `json:"token"`
	Notification notification      `json:"notification"`
	Data         map[string]string `json:"data,omitempty"`
	Webpush      *webpush          `json:"webpush,omitempty"`
}

type notification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
}

type webpush struct {
	FCMOptions struct {
		Link string `json:"link"`
	} `json:"fcm_options"`
}

// answer is FCM's reply: the message name on success, a Google API error otherwise, whose
// details carry the FCM error code (UNREGISTERED, QUOTA_EXCEEDED, ...).
type answer struct {
	Name  string `json:"name"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type      string `json:"@type"`
			ErrorCode string `json:"errorCode"`
		} `json:"details"`
	} `json:"error"`
}

// hints say what to do about the FCM errors that need a person.
var hints = map[string]string{
	"UNREGISTERED":           "the device token is no longer valid; clear the customer's push_token",
	"SENDER_ID_MISMATCH":     "the device token belongs to another Firebase project; check project_id",
	"THIRD_PARTY_AUTH_ERROR": "the APNs certificate or web push key in the Firebase project is missing or invalid",
}

func build(m message.Message) (request, error) {
	if m.Shape != message.Push {
		return request{}, fmt.Errorf("carries push only, not %q; route that channel to another connector", m.Shape)
	}
	if m.To.PushToken == "" {
		return request{}, fmt.Errorf("customer %s has no push_token", m.To.CustomerID)
	}
	c := m.Content
	if strings.TrimSpace(c.Title) == "" && strings.TrimSpace(c.Body) == "" {
		return request{}, errors.New("the notification has neither a title nor a body")
	}
	msg := fcmMessage{Token: m.To.PushToken, Notification: notification{Title: c.Title, Body: c.Body}}
	if c.URL != "" {
		// data.url is for the app to open; webpush's link opens on click in browsers, which
		// accept only https links there.
		msg.Data = map[string]string{"url": c.URL}
		if strings.HasPrefix(c.URL, "https://") {
			msg.Webpush = &webpush{}
			msg.Webpush.FCMOptions.Link = c.URL
		}
	}
	return request{Message: msg}, nil
}

func (f *fcm) Send(ctx context.Context, m message.Message) (connectors.Result, error) {
	msg, err := build(m)
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("fcm: %w", err))
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("fcm: %w", err))
	}
	ctx, cancel := httpx.WithTimeout(ctx, f.timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return connectors.Result{}, connectors.Transient(fmt.Errorf("fcm: %w", err), 0)
	}
	token, err := f.tokens.Token()
	if err != nil {
		return connectors.Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint, bytes.NewReader(body))
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("fcm: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")

	resp, err := httpx.Do(f.client, req, "fcm")
	if err != nil {
		return connectors.Result{}, err
	}
	var a answer
	jsonErr := json.Unmarshal(resp.Body, &a)
	if resp.OK() {
		return connectors.Result{ProviderID: a.Name}, nil
	}
	detail := httpx.Snippet(resp.Body)
	code := ""
	if jsonErr == nil && a.Error != nil {
		code = a.Error.Status
		for _, d := range a.Error.Details {
			if d.ErrorCode != "" {
				code = d.ErrorCode
			}
		}
		detail = code + ": " + a.Error.Message
		if h := hints[code]; h != "" {
			detail += " (" + h + ")"
		}
	}
	if resp.Status == http.StatusUnauthorized && code != "THIRD_PARTY_AUTH_ERROR" {
		// The access token was refused before it expired (revoked, or a clock gone wrong):
		// forget it, so the retry signs in afresh.
		f.tokens.Invalidate(token)
		return connectors.Result{}, connectors.Transient(fmt.Errorf("fcm answered 401: %s", detail), 0)
	}
	return connectors.Result{}, httpx.Classify("fcm", resp, f.now(), detail)
}
