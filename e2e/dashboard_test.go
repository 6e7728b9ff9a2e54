package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const uiPassword = "dashboard-password-e2e"

const dashboardSettings = `flows: [flows]
templates: [flows]
timezone: UTC
currency: USD
database: ${DATABASE_URL}
listen: 127.0.0.1:%d
channels:
  email: {connector: console}
sources:
  http: {token: "${INGEST_TOKEN}"}
ui:
  users: {marketing: "${AFTERGLOW_UI_PASSWORD}"}
`

// A flow with a holdout, so that the report has a flow to weigh against the customers it kept apart.
const dashboardFlow = `flow: thanks
trigger: {event: order.placed}
entry: {key: event.data.order_id}
holdout: 50%
steps:
  - id: thanks
    send:
      channel: email
      category: transactional
      content:
        default_locale: en
        locales:
          en: {subject: "Thank you", text: "Thank you for order {{ trigger.data.order_id }}."}
`

// chromium finds the browser, or fails the test saying how to install it: a browser test that
// skips would leave the dashboard untested while the run looks green.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("Chromium is not installed; the dashboard's browser test needs it: run scripts/chromium-up " +
		"(or `sudo apt-get install -y chromium`)")
	return ""
}

// browser is a headless Chromium of its own that records every console error, uncaught
// exception, error the browser logs (a style or request a Content-Security-Policy refused among
// them) and failed request, and the status of each page it loads.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
	status map[string]int64 // page URL -> HTTP status
}

func newBrowser(t *testing.T, auth string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{ctx: ctx, status: map[string]int64{}}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				b.errors = append(b.errors, fmt.Sprintf("console %s: %s", e.Type, args(e.Args)))
			}
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, "exception: "+e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				b.errors = append(b.errors, fmt.Sprintf("browser log: %s %s", e.Entry.Text, e.Entry.URL))
			}
		case *network.EventLoadingFailed:
			b.errors = append(b.errors, fmt.Sprintf("request failed: %s %s", e.ErrorText, e.BlockedReason))
		case *network.EventResponseReceived:
			if e.Type == network.ResourceTypeDocument {
				b.status[e.Response.URL] = e.Response.Status
			}
		}
	})
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	call := func(what string, err error) {
		if err != nil {
			t.Fatalf("Chromium: %s: %v", what, err)
		}
	}
	_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	call("Network.enable", err)
	_, err = chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	call("Log.enable", err)
	_, err = chromedp.Call(ctx, runtime.Enable, cdp.Empty{})
	call("Runtime.enable", err)
	if auth != "" {
		_, err = chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
		call("Network.setExtraHTTPHeaders", err)
	}
	return b
}

func args(as []*runtime.RemoteObject) string {
	var out []string
	for _, a := range as {
		out = append(out, strings.Trim(string(a.Value), `"`)+a.Description)
	}
	return strings.Join(out, " ")
}

// do runs steps, each with a deadline of its own.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action and returns what it gives.
func value[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (b *browser) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

func TestDashboardInABrowser(t *testing.T) {
	db := newDatabase(t, true)
	dir := t.TempDir()
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for name, src := range map[string]string{"afterglow.yaml": fmt.Sprintf(dashboardSettings, port), "flows/thanks.yaml": dashboardFlow} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start(t, "dashboard", filepath.Join(dir, "afterglow.yaml"), base,
		map[string]string{"DATABASE_URL": db.url, "INGEST_TOKEN": ingestToken, "AFTERGLOW_UI_PASSWORD": uiPassword})

	// Twelve customers: each bought two months ago, half again last month, and all this month, so
	// that this month's buyers all had bought before; this month's orders enter the flow.
	now := time.Now().UTC()
	var evs []map[string]any
	at := func(e map[string]any, t time.Time) map[string]any { e["time"] = t.Format(time.RFC3339Nano); return e }
	for i := range 12 {
		id := fmt.Sprintf("cus_%02d", i)
		evs = append(evs, at(event("c"+id, "customer.created", id, map[string]any{"email": fmt.Sprintf("Buyer%02d@Shop.example", i), "first_name": "Buyer"}), now.AddDate(0, -2, 0)))
		evs = append(evs, at(event("o1"+id, "order.placed", id, map[string]any{"order_id": "1" + id, "total": "40.00", "currency": "USD"}), now.AddDate(0, -2, 0)))
		if i%2 == 0 {
			evs = append(evs, at(event("o2"+id, "order.placed", id, map[string]any{"order_id": "2" + id, "total": "55.00", "currency": "USD"}), now.AddDate(0, -1, 0)))
		}
		evs = append(evs, event("o3"+id, "order.placed", id, map[string]any{"order_id": "3" + id, "total": "70.00", "currency": "USD"}))
	}
	postEvents(t, base, evs...)
	eventually(t, 30*time.Second, func() (bool, string) {
		n := db.count(t, `SELECT count(*) FROM journeys`)
		return n == 12, fmt.Sprintf("%d journeys, want 12", n)
	})

	// The API's figures, which the page must show.
	req, _ := http.NewRequest("GET", base+"/api/report", nil)
	req.SetBasicAuth("marketing", uiPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Months []struct {
			Month           string `json:"month"`
			Buyers          int    `json:"buyers"`
			ReturningBuyers int    `json:"returning_buyers"`
		} `json:"months"`
		Flows []struct {
			Flow     string           `json:"flow"`
			Journeys map[string]int64 `json:"journeys"`
		} `json:"flows"`
	}
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /api/report: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	last := rep.Months[len(rep.Months)-1]
	if last.Buyers != 12 || last.ReturningBuyers != 12 || len(rep.Flows) != 1 || rep.Flows[0].Journeys["holdout"] == 0 {
		t.Fatalf("the report's data is not what was ingested: %+v", rep)
	}

	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("marketing:"+uiPassword))
	b := newBrowser(t, auth)
	b.do(t, "loading /ui/", chromedp.Navigate(base+"/ui/"), chromedp.WaitVisible(chromedp.ID("headline")))
	headline := value(t, b, "the headline", chromedp.Text(chromedp.ID("headline")))
	cards := value(t, b, "the cards", chromedp.Evaluate[[]string](`[...document.querySelectorAll(".card .value")].map(e => e.textContent)`))
	bars := value(t, b, "the repeat chart", chromedp.Evaluate[int](`document.querySelectorAll("#repeat svg.chart rect").length`))
	shapes := value(t, b, "the flow charts", chromedp.Evaluate[int](`document.querySelectorAll("#flows svg.chart rect, #flows svg.chart line, #flows svg.chart circle").length`))
	if want := fmt.Sprintf("%d buyers, %d of them (100.0%%) had bought before", last.Buyers, last.ReturningBuyers); !strings.Contains(headline, want) {
		t.Errorf("headline %q; want it to say %q as /api/report does", headline, want)
	}
	if len(cards) == 0 || cards[0] != fmt.Sprint(last.Buyers) {
		t.Errorf("cards %q; the first should be the %d buyers", cards, last.Buyers)
	}
	if bars < 12 || shapes == 0 {
		t.Errorf("the repeat chart has %d bars, the flow charts %d shapes: not drawn", bars, shapes)
	}
	bg := value(t, b, "the header's style", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("header")).backgroundColor`))
	if bg == "rgba(0, 0, 0, 0)" || bg == "" {
		t.Errorf("the header has no background (%q): the style sheet did not load", bg)
	}
	if shot := os.Getenv("AFTERGLOW_SCREENSHOT_DIR"); shot != "" {
		png := value(t, b, "a screenshot", chromedp.CaptureScreenshot())
		_ = os.WriteFile(filepath.Join(shot, "report.png"), png, 0o644)
	}

	// The period picker shows another period.
	b.do(t, "picking a period",
		chromedp.SetValue(chromedp.CSS(`input[name="from"]`), "2024-01"),
		chromedp.SetValue(chromedp.CSS(`input[name="to"]`), "2024-03"),
		chromedp.Submit(chromedp.CSS(`form.picker`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="to"][value="2024-03"]`)),
	)
	if period := value(t, b, "the period", chromedp.Text(chromedp.CSS("header .period"))); !strings.HasPrefix(period, "January 2024 to March 2024") {
		t.Errorf("after picking January to March 2024 the page shows %q", period)
	}

	// Customer search by email, in another case than stored, opens the customer's page.
	b.do(t, "finding a customer",
		chromedp.Click(chromedp.CSS(`header nav a[href="/ui/customers"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.search input[name="q"]`)),
		chromedp.SendKeys(chromedp.CSS(`form.search input[name="q"]`), "buyer07@shop.EXAMPLE"),
		chromedp.Submit(chromedp.CSS(`form.search`)),
		chromedp.WaitVisible(chromedp.ID("customer")),
	)
	customer := value(t, b, "the customer", chromedp.Text(chromedp.ID("customer")))
	attrs := value(t, b, "the attributes", chromedp.Text(chromedp.ID("attributes")))
	if customer != "cus_07" || !strings.Contains(attrs, "Buyer07@Shop.example") {
		t.Errorf("the search by email opened %q with %q; want cus_07's page", customer, attrs)
	}
	if shot := os.Getenv("AFTERGLOW_SCREENSHOT_DIR"); shot != "" {
		png := value(t, b, "a screenshot", chromedp.CaptureScreenshot())
		_ = os.WriteFile(filepath.Join(shot, "customer.png"), png, 0o644)
	}
	if n := value(t, b, "the journeys", chromedp.Evaluate[int](`document.querySelectorAll("#journeys tbody tr").length`)); n != 1 {
		t.Errorf("cus_07's page lists %d journeys, want 1", n)
	}
	// Why: the order of two months ago arrived late and started nothing; this month's entered.
	b.do(t, "asking why",
		chromedp.SetValue(chromedp.CSS(`#why select[name="flow"]`), "thanks"),
		chromedp.Submit(chromedp.CSS(`#why form`)),
		chromedp.WaitVisible(chromedp.ID("decisions")),
	)
	decisions := value(t, b, "the decisions", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#decisions tbody tr")].map(r => r.textContent)`))
	if len(decisions) != 2 || !strings.Contains(decisions[0], "not entered") || strings.Contains(decisions[1], "not entered") || !strings.Contains(decisions[1], "entered") {
		t.Errorf("why cus_07 entered thanks or not: %q; want the old order not entered, this month's entered", decisions)
	}
	b.do(t, "opening the flow", chromedp.Click(chromedp.CSS(`#journeys a[href="/ui/flows/thanks"]`)), chromedp.WaitVisible(chromedp.ID("flow")))
	if title := value(t, b, "the flow", chromedp.Text(chromedp.ID("flow"))); title != "thanks" {
		t.Errorf("the flow page is titled %q", title)
	}
	if shot := os.Getenv("AFTERGLOW_SCREENSHOT_DIR"); shot != "" {
		png := value(t, b, "a screenshot", chromedp.CaptureScreenshot())
		_ = os.WriteFile(filepath.Join(shot, "flow.png"), png, 0o644)
	}
	if p := b.problems(); len(p) > 0 {
		t.Errorf("the dashboard had errors in the browser:\n%s", strings.Join(p, "\n"))
	}

	// Without credentials, the browser is asked for them.
	anon := newBrowser(t, "")
	// A headless browser cannot ask for a password: it gives up on the page, having seen the 401.
	err = chromedp.Do(anon.ctx, chromedp.Navigate(base+"/ui/"))
	if err != nil && !strings.Contains(err.Error(), "ERR_INVALID_AUTH_CREDENTIALS") {
		t.Fatalf("loading /ui/ without credentials: %v", err)
	}
	body := value(t, anon, "the page", chromedp.Evaluate[string](`document.body ? document.body.textContent : ""`))
	anon.mu.Lock()
	status := anon.status[base+"/ui/"]
	anon.mu.Unlock()
	if status != http.StatusUnauthorized || strings.Contains(body, "buyers") {
		t.Errorf("without credentials: %d %q; want 401 and no figures", status, body)
	}
}
