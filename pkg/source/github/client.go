package github

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// apiVersion pins the REST API version the payloads were written against.
const apiVersion = "2022-11-28"

// userAgent names the plugin to GitHub, which asks every client for one.
const userAgent = "mlops-fourkeys-datasource"

// maxBody bounds one response; a page of 100 pull requests is far smaller.
const maxBody = 32 << 20

// secondaryWait is how long to wait on a secondary rate limit that says
// neither Retry-After nor a reset time, as GitHub's documentation advises.
const secondaryWait = time.Minute

// maxAttempts bounds the tries of one request that keeps being limited.
const maxAttempts = 4

// call describes a request for the messages of its errors.
type call struct {
	repo       string // owner/name, empty for requests about no repository
	what       string // "the pull requests", "the deployments"
	permission string // the fine-grained permission that reads it
	notFound   string // the message for a 404, when not the repository's
}

// answer is a response whose body has been read and closed.
type answer struct {
	code   int
	header http.Header
	body   []byte
}

// page is one answer of the API.
type page struct {
	body        []byte
	next        string // the rel="next" link, empty on the last page
	notModified bool
}

// cached is a page kept with its ETag for a conditional request.
type cached struct {
	etag string
	body []byte
	next string
	used uint64 // the fetch that last read it
}

// RateLimit is the REST quota as GitHub last reported it.
type RateLimit struct {
	Remaining int
	Limit     int
	Reset     time.Time
	Known     bool // false until a response carried the headers
}

// client sends the requests of one Source. Its ETag cache and token live
// as long as the Source, so they outlast the Cache's snapshots.
type client struct {
	http    *http.Client
	rest    *url.URL
	token   string
	appID   int64
	install int64
	key     *rsa.PrivateKey
	slots   chan struct{}
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	etags  map[string]cached
	gen    uint64 // counts fetches, to forget pages no fetch reads any more
	rate   RateLimit
	appTok string
	appExp time.Time

	tokenMu sync.Mutex // one installation token request at a time
	quotaMu sync.Mutex // one wait for the primary limit's reset at a time

	requests    atomic.Int64 // responses received, 304s included
	notModified atomic.Int64
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// RateLimitError says a rate limit would outlast the fetch's deadline.
type RateLimitError struct {
	Reset time.Time // when GitHub allows requests again; zero when unknown
	Wait  time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("github: rate limited for another %s, longer than the time left for this fetch: raise cacheSeconds, read fewer repositories, or shorten the history",
		e.Wait.Round(time.Second))
}

// get reads one page, conditionally when an ETag of it is known, so that an
// unchanged page costs no quota.
func (c *client) get(ctx context.Context, rawURL string, k call) (page, error) {
	c.mu.Lock()
	prev, hasPrev := c.etags[rawURL]
	if hasPrev {
		prev.used = c.gen
		c.etags[rawURL] = prev
	}
	c.mu.Unlock()

	header := http.Header{}
	if hasPrev {
		header.Set("If-None-Match", prev.etag)
	}
	a, err := c.send(ctx, http.MethodGet, rawURL, header, nil, k)
	if err != nil {
		return page{}, err
	}
	if a.code == http.StatusNotModified && hasPrev {
		c.notModified.Add(1)
		return page{body: prev.body, next: prev.next, notModified: true}, nil
	}
	p := page{body: a.body, next: nextLink(a.header.Get("Link"))}
	if etag := a.header.Get("ETag"); etag != "" {
		c.mu.Lock()
		c.etags[rawURL] = cached{etag: etag, body: a.body, next: p.next, used: c.gen}
		c.mu.Unlock()
	}
	return p, nil
}

// getJSON reads one page into v.
func (c *client) getJSON(ctx context.Context, rawURL string, k call, v any) error {
	p, err := c.get(ctx, rawURL, k)
	if err != nil {
		return err
	}
	return c.decode(p.body, rawURL, v)
}

// each reads every page of a listing, calling fn with each one's body, and
// stops early when fn returns false.
func (c *client) each(ctx context.Context, rawURL string, k call, fn func(body []byte) (more bool, err error)) error {
	for rawURL != "" {
		p, err := c.get(ctx, rawURL, k)
		if err != nil {
			return err
		}
		more, err := fn(p.body)
		if err != nil || !more {
			return err
		}
		if p.next != "" && !c.sameHost(p.next) {
			return fmt.Errorf("github: the next page of %s is on another host (%s): check the base URL", k.what, hostOf(p.next))
		}
		rawURL = p.next
	}
	return nil
}

// eachItem pages through a listing whose pages are JSON arrays of T, calling
// fn for each item until fn returns false.
func eachItem[T any](ctx context.Context, c *client, rawURL string, k call, fn func(T) (more bool)) error {
	return c.each(ctx, rawURL, k, func(body []byte) (bool, error) {
		var page []T
		if err := c.decode(body, rawURL, &page); err != nil {
			return false, err
		}
		for _, item := range page {
			if !fn(item) {
				return false, nil
			}
		}
		return true, nil
	})
}

func (c *client) decode(body []byte, rawURL string, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		if looksLikeHTML(body) {
			return c.baseURLError("an HTML page")
		}
		return fmt.Errorf("github: the answer to %s is not the JSON expected (%w): check the base URL", pathOf(rawURL), err)
	}
	return nil
}

// send makes one request, waiting and trying again on rate limits as long
// as ctx allows. A refused or failed answer comes back with its error, so
// that a caller may look at its status.
func (c *client) send(ctx context.Context, method, rawURL string, header http.Header, payload []byte, k call) (answer, error) {
	for attempt := 1; ; attempt++ {
		if err := c.waitForQuota(ctx); err != nil {
			return answer{}, err
		}
		a, err := c.roundTrip(ctx, method, rawURL, header, payload, k)
		if err != nil {
			return answer{}, err
		}
		wait, limited := c.limitWait(a)
		if !limited {
			if err := c.statusError(a, k); err != nil {
				return a, err
			}
			return a, nil
		}
		if attempt == maxAttempts {
			return answer{}, &RateLimitError{Wait: wait, Reset: c.now().Add(wait)}
		}
		if err := c.wait(ctx, wait); err != nil {
			return answer{}, err
		}
	}
}

func (c *client) roundTrip(ctx context.Context, method, rawURL string, header http.Header, payload []byte, k call) (answer, error) {
	var auth string
	if k.what == appTokenCall {
		jwt, err := appJWT(c.key, c.appID, c.now())
		if err != nil {
			return answer{}, fmt.Errorf("github: could not sign the GitHub App token: %w", err)
		}
		auth = "Bearer " + jwt
	} else {
		tok, err := c.authToken(ctx)
		if err != nil {
			return answer{}, err
		}
		auth = "Bearer " + tok
	}

	var reqBody io.Reader
	if payload != nil {
		reqBody = bytes.NewReader(payload) // a new reader for each try
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, reqBody)
	if err != nil {
		return answer{}, fmt.Errorf("github: could not build the request for %s: %w", k.what, err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, v := range header {
		req.Header[name] = v
	}
	// GitHub refuses requests without a User-Agent; the SDK's middleware
	// replaces this one with the plugin's when it knows the build.
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", apiVersion)
	if c.sameHost(rawURL) {
		req.Header.Set("Authorization", auth)
	}

	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return answer{}, fmt.Errorf("github: stopped before reading %s: %w", k.what, context.Cause(ctx))
	}
	defer func() { <-c.slots }()
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, c.requestError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return answer{}, c.requestError(ctx, err)
	}
	if len(body) > maxBody {
		return answer{}, fmt.Errorf("github: the answer for %s is larger than %d MiB", k.what, maxBody>>20)
	}
	c.requests.Add(1)
	c.observeRate(resp.Header)
	return answer{code: resp.StatusCode, header: resp.Header, body: body}, nil
}

// limitWait tells a rate-limited answer from a refusal, and how long it
// asks to wait.
func (c *client) limitWait(a answer) (time.Duration, bool) {
	if a.code != http.StatusForbidden && a.code != http.StatusTooManyRequests {
		return 0, false
	}
	h := a.header
	if s := h.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, ok := unixHeader(h.Get("X-RateLimit-Reset")); ok {
			return max(reset.Sub(c.now()), time.Second), true
		}
		return secondaryWait, true
	}
	// A secondary limit may come with neither header; only its message
	// tells it from a missing permission.
	if a.code == http.StatusTooManyRequests || strings.Contains(strings.ToLower(githubMessage(a.body)), "secondary rate limit") {
		return secondaryWait, true
	}
	return 0, false
}

// waitForQuota holds a request back while the primary limit is used up.
func (c *client) waitForQuota(ctx context.Context) error {
	// One request waits for the reset and the others queue behind it, so
	// that they look at the quota again after it rather than all sleeping.
	c.quotaMu.Lock()
	defer c.quotaMu.Unlock()
	c.mu.Lock()
	rl := c.rate
	c.mu.Unlock()
	if !rl.Known || rl.Remaining > 0 {
		return nil
	}
	wait := rl.Reset.Sub(c.now())
	if wait <= 0 {
		return nil
	}
	if err := c.wait(ctx, wait); err != nil {
		return err
	}
	// The quota is back; the next response will say by how much.
	c.mu.Lock()
	if c.rate.Remaining == 0 && !c.now().Before(c.rate.Reset) {
		c.rate.Remaining = 1
	}
	c.mu.Unlock()
	return nil
}

// wait sleeps for d unless that would pass ctx's deadline.
func (c *client) wait(ctx context.Context, d time.Duration) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return &RateLimitError{Wait: d, Reset: c.now().Add(d)}
	}
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("github: stopped while waiting on the rate limit: %w", err)
	}
	return nil
}

func (c *client) observeRate(h http.Header) {
	if res := h.Get("X-RateLimit-Resource"); res != "" && res != "core" {
		return
	}
	remaining, err1 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	limit, err2 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	reset, ok := unixHeader(h.Get("X-RateLimit-Reset"))
	if err1 != nil || err2 != nil || !ok {
		return
	}
	c.mu.Lock()
	c.rate = RateLimit{Remaining: remaining, Limit: limit, Reset: reset, Known: true}
	c.mu.Unlock()
}

// startFetch begins a new generation of the ETag cache and drops the pages
// the previous fetch did not read, such as those of a day that left the
// history, so that the cache holds about one fetch's pages.
func (c *client) startFetch() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for u, p := range c.etags {
		if p.used < c.gen {
			delete(c.etags, u)
		}
	}
	c.gen++
}

func (c *client) rateLimit() RateLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// appTokenCall marks the request that exchanges the app's JWT for an
// installation token.
const appTokenCall = "an installation token for the GitHub App"

// authToken returns the personal access token, or a fresh installation
// token of the GitHub App.
func (c *client) authToken(ctx context.Context) (string, error) {
	if c.token != "" {
		return c.token, nil
	}
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	c.mu.Lock()
	tok, exp := c.appTok, c.appExp
	c.mu.Unlock()
	if tok != "" && c.now().Add(tokenMargin).Before(exp) {
		return tok, nil
	}

	u := c.endpoint(fmt.Sprintf("/app/installations/%d/access_tokens", c.install), nil)
	k := call{what: appTokenCall, notFound: fmt.Sprintf(
		"github: GitHub App installation %d was not found (404): check the installation id, and that the app is installed on the repositories' owner", c.install)}
	a, err := c.send(ctx, http.MethodPost, u, nil, nil, k)
	if err != nil {
		return "", err
	}
	body := a.body
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := c.decode(body, u, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", errors.New("github: GitHub answered without an installation token: check the app id and installation id")
	}
	c.mu.Lock()
	c.appTok, c.appExp = out.Token, out.ExpiresAt
	c.mu.Unlock()
	return out.Token, nil
}

// endpoint returns the REST address of p with a query.
func (c *client) endpoint(p string, q url.Values) string {
	u := *c.rest
	u.Path = strings.TrimRight(u.Path, "/") + p
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *client) sameHost(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Scheme == c.rest.Scheme && u.Host == c.rest.Host
}

// nextLink finds the rel="next" target of a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if strings.ReplaceAll(strings.TrimSpace(p), " ", "") == `rel="next"` {
				return strings.Trim(strings.TrimSpace(target), "<>")
			}
		}
	}
	return ""
}

func unixHeader(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return "(not a URL)"
}

func pathOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Path
	}
	return "(not a URL)"
}

func looksLikeHTML(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}
