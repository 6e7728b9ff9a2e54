// Package httpapi is the canonical event source: POST /v1/events takes CloudEvents over HTTP in
// any of the binding's three content modes (binary: attributes in ce-* headers and the data as the
// body; structured: one JSON event; batched: a JSON array), checks every event and hands the batch
// to the sink whole or not at all.
package httpapi

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// Path is where the handler is usually mounted.
const Path = "/v1/events"

// Content types of the CloudEvents JSON format: structured mode (one event) and batched mode.
const (
	ContentTypeEvent = "application/cloudevents+json"
	ContentTypeBatch = "application/cloudevents-batch+json"
	ContentTypeJSON  = "application/json"
)

// Config is the source's settings (afterglow.yaml, sources.http).
type Config struct {
	// Token is the bearer token every request must carry.
	Token string
	// AllowNoToken lets New build a handler without a token, which then accepts anyone. It exists
	// for local development; never set it on a server others can reach.
	AllowNoToken bool
	// MaxBody is the largest body accepted, in bytes; 0 means sources.DefaultMaxBody.
	MaxBody int64
	// Logger receives one line per refused or failed request; the zero Logger discards.
	Logger zerolog.Logger
	// Now is the engine's clock, against which an event's time is checked; nil means time.Now.
	Now func() time.Time
	// Budget bounds the memory of the bodies being read and processed at once; nil means none.
	Budget *sources.Budget
	// AuthFailures counts and logs refused tokens; nil means a counter of the handler's own,
	// logging at most every 10 seconds.
	AuthFailures *sources.AuthFailures
}

// Handler serves POST /v1/events.
type Handler struct {
	sink    sources.Sink
	token   string
	maxBody int64
	log     zerolog.Logger
	now     func() time.Time
	budget  *sources.Budget
	refused *sources.AuthFailures
}

// New returns the handler. It refuses an empty token unless cfg.AllowNoToken says so, because an
// open ingest endpoint lets anyone trigger messages to any customer.
func New(sink sources.Sink, cfg Config) (*Handler, error) {
	if sink == nil {
		return nil, errors.New("httpapi: no sink to hand events to")
	}
	if cfg.Token == "" && !cfg.AllowNoToken {
		return nil, errors.New("httpapi: no token configured: set sources.http.token (for example token: ${INGEST_TOKEN}); " +
			"an endpoint without a token would let anyone send events")
	}
	if cfg.MaxBody < 0 {
		return nil, fmt.Errorf("httpapi: max body %d is negative", cfg.MaxBody)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = sources.DefaultMaxBody
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AuthFailures == nil {
		cfg.AuthFailures = sources.NewAuthFailures(cfg.Logger, 10*time.Second)
	}
	return &Handler{sink: sink, token: cfg.Token, maxBody: cfg.MaxBody, log: cfg.Logger, now: cfg.Now, budget: cfg.Budget, refused: cfg.AuthFailures}, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		sources.MethodNotAllowed(w)
		return
	}
	if msg, ok := h.authorize(r); !ok {
		h.refused.Add(msg)
		w.Header().Set("WWW-Authenticate", `Bearer realm="afterglow"`)
		sources.WriteError(w, http.StatusUnauthorized, msg)
		return
	}
	mode, err := modeOf(r.Header)
	if err != nil {
		sources.WriteError(w, http.StatusUnsupportedMediaType, err.Error())
		return
	}
	body, release, ok := h.budget.Read(w, r, h.maxBody)
	if !ok {
		return
	}
	defer release()
	var events []event.Event
	var problems []sources.Problem
	if mode == binary {
		var e event.Event
		e, problems, err = decodeBinary(r.Header, body, h.now())
		events = []event.Event{e}
	} else {
		events, problems, err = decode(body, mode == batched, h.now())
	}
	if err != nil {
		status := http.StatusBadRequest
		if errors.As(err, new(errDataType)) {
			status = http.StatusUnsupportedMediaType
		}
		sources.WriteError(w, status, err.Error())
		return
	}
	if len(problems) > 0 {
		h.log.Info().Int("events", len(events)).Int("problems", len(problems)).Msg("refused a batch of events with problems")
		sources.WriteProblems(w, http.StatusBadRequest, fmt.Sprintf("%d problem(s) found; nothing was accepted: fix them and resend the whole request", len(problems)), problems)
		return
	}
	sources.SubmitAndAnswer(w, r, h.sink, events, http.StatusAccepted, h.log)
}

func (h *Handler) authorize(r *http.Request) (string, bool) {
	if h.token == "" {
		return "", true
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "missing bearer token: send the header Authorization: Bearer <token>", false
	}
	if !sources.EqualTokens(strings.TrimSpace(token), h.token) {
		return "wrong bearer token: use the token set in sources.http.token", false
	}
	return "", true
}

// mode is how a request carries its events.
type mode int

const (
	structured mode = iota // one event as a JSON object
	batched                // a JSON array of events
	binary                 // one event: attributes in ce-* headers, the data as the body
)

// modeOf reads the content mode from the headers. A CloudEvents media type decides; otherwise ce-*
// headers mean binary mode, and plain JSON without them is one event in structured mode.
func modeOf(header http.Header) (mode, error) {
	contentType := header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err == nil && mt == ContentTypeEvent:
		return structured, nil
	case err == nil && mt == ContentTypeBatch:
		return batched, nil
	case isBinary(header):
		return binary, nil
	case err == nil && mt == ContentTypeJSON:
		return structured, nil
	}
	if contentType != "" && err == nil {
		contentType = mt
	}
	return 0, fmt.Errorf("content type %q is not accepted: send %s (one event), %s (one event) or %s (an array of events), "+
		"or one event in binary mode (its attributes in ce-* headers, its data as a JSON body)",
		contentType, ContentTypeEvent, ContentTypeJSON, ContentTypeBatch)
}
