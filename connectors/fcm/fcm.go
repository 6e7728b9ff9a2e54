// Package fcm sends push notifications through the Firebase Cloud Messaging HTTP v1 API
// (POST /v1/projects/{project_id}/messages:send), authorised by an OAuth 2.0 access token that
// golang.org/x/oauth2/google obtains for a service account by signing a JWT, caches and renews.
//
// FCM takes no idempotency key: a retry after a timeout in which FCM did accept the message
// delivers the notification twice. (Collapse keys are no substitute: a device keeps only a few at
// a time, and they replace pending notifications rather than deduplicate them.)
package fcm

import (
	_ "embed"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2/jwt"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/connectors/internal/httpx"
	"github.com/afterglowhq/afterglow/internal/settings"
	"github.com/afterglowhq/afterglow/message"
)

//go:embed schema.json
var schema []byte

func init() {
	connectors.Register(connectors.Spec{
		Name:    "fcm",
		Summary: "push notifications through Firebase Cloud Messaging (HTTP v1)",
		Shapes:  []message.Shape{message.Push},
		Schema:  schema,
		New:     New,
	})
}

// DefaultBaseURL is the FCM API.
const DefaultBaseURL = "https://fcm.googleapis.com"

type fcm struct {
	endpoint string
	tokens   *tokens
	timeout  time.Duration
	client   *http.Client
	now      func() time.Time
}

// New builds an FCM connector from its settings. The credentials file is read here, so that a
// missing or broken key stops start-up instead of failing every message.
func New(with map[string]any, opts connectors.Options) (connectors.Connector, error) {
	r := settings.New("fcm", with)
	path := r.Required("credentials_file")
	project := r.String("project_id", "")
	base := r.URL("base_url", DefaultBaseURL)
	timeout := r.Duration("timeout", httpx.DefaultTimeout)
	var account *jwt.Config
	if path != "" {
		var fileProject string
		var err error
		if account, fileProject, err = loadServiceAccount(path); err != nil {
			r.Fail("credentials_file", "%v", err)
		} else if project == "" {
			project = fileProject
		}
	}
	if account != nil && project == "" {
		r.Fail("project_id", "is required: the credentials file names no project")
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	client := httpx.Client(opts.HTTPClient)
	now := httpx.Now(opts.Now)
	// The token endpoint is asked outside any send's context: its own client bounds the wait.
	tokenClient := *client
	tokenClient.Timeout = timeout
	return &fcm{
		endpoint: strings.TrimRight(base.String(), "/") + "/v1/projects/" + url.PathEscape(project) + "/messages:send",
		tokens:   newTokens(account, &tokenClient),
		timeout:  timeout,
		client:   client,
		now:      now,
	}, nil
}
