package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/stretchr/testify/require"
)

const testToken = "github_pat_test_0123456789"

// testNow is Tuesday 10 March 2026, after the week the fixtures cover.
var testNow = time.Date(2026, time.March, 10, 0, 0, 0, 0, time.UTC)

// fakeClock is the Source's clock in tests: sleeping moves it on at once
// and records how long was asked for.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// fakeGitHub answers like the REST API from fixture files that map a path
// to its full answer. Lists are paged by the smaller of per_page and
// pageSize, with Link headers; every answer has an ETag, and a matching
// If-None-Match gets a 304.
type fakeGitHub struct {
	t        *testing.T
	srv      *httptest.Server
	clock    *fakeClock
	prefix   string // "/api/v3" for GitHub Enterprise Server
	routes   map[string]json.RawMessage
	pageSize int
	token    string

	// intercept may answer a request itself, before anything else.
	intercept func(w http.ResponseWriter, r *http.Request) bool
	delay     time.Duration

	mu          sync.Mutex
	requests    int
	notModified int
	byPath      map[string]int
	inFlight    int
	maxInFlight int
	remaining   int
	resetIn     time.Duration // how long a quota window lasts
	resetAt     time.Time

	noGraphQL      bool // answer GraphQL with 404, as a server without it
	graphQLQueries []string
}

func newFake(t *testing.T, clock *fakeClock, fixtures ...string) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{
		t: t, clock: clock, routes: map[string]json.RawMessage{}, pageSize: 100,
		token: testToken, byPath: map[string]int{}, remaining: 5000,
		resetIn: time.Hour, resetAt: clock.Now().Add(time.Hour),
	}
	for _, name := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		var routes map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(data, &routes))
		for p, body := range routes {
			f.routes[p] = body
		}
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.byPath[r.URL.Path]++
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.intercept != nil && f.intercept(w, r) {
		return
	}

	if r.Method == http.MethodPost && (r.URL.Path == "/graphql" || r.URL.Path == "/api/graphql") {
		f.graphql(w, r)
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, f.prefix)
	if !ok {
		http.NotFound(w, r) // not the API at all: no GitHub headers
		return
	}
	f.githubHeaders(w)
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.fail(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	body, ok := f.routes[p]
	if !ok {
		f.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	out, more := f.page(body, r.URL.Query())
	if more {
		next := *r.URL
		q := next.Query()
		q.Set("page", strconv.Itoa(pageOf(q)+1))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", `<http://`+r.Host+next.String()+`>; rel="next", <http://`+r.Host+r.URL.Path+`?page=99>; rel="last"`)
	}
	sum := sha256.Sum256(out)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		f.mu.Lock()
		f.notModified++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.mu.Lock()
	f.remaining = max(f.remaining-1, 0)
	f.mu.Unlock()
	f.rateHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(out)
}

func (f *fakeGitHub) githubHeaders(w http.ResponseWriter) {
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.Header().Set("X-GitHub-Request-Id", "CAFE:1234:5678")
	f.rateHeaders(w)
}

func (f *fakeGitHub) rateHeaders(w http.ResponseWriter) {
	f.mu.Lock()
	if now := f.clock.Now(); !now.Before(f.resetAt) {
		f.remaining, f.resetAt = 5000, now.Add(f.resetIn)
	}
	remaining, resetAt := f.remaining, f.resetAt
	f.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(5000-remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(resetAt.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (f *fakeGitHub) fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(code),
	})
}

func pageOf(q url.Values) int {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// page cuts one page out of a list, or out of the list field of an object
// (the commits of a compare, the runs of a workflow). An environment query
// filters deployments as GitHub does.
func (f *fakeGitHub) page(body json.RawMessage, q url.Values) ([]byte, bool) {
	size := f.pageSize
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n < size {
		size = n
	}
	cut := func(items []json.RawMessage) ([]json.RawMessage, bool) {
		if env := q.Get("environment"); env != "" {
			var kept []json.RawMessage
			for _, it := range items {
				var d struct {
					Environment string `json:"environment"`
				}
				_ = json.Unmarshal(it, &d)
				if d.Environment == env {
					kept = append(kept, it)
				}
			}
			items = kept
		}
		from := (pageOf(q) - 1) * size
		if from >= len(items) {
			return []json.RawMessage{}, false
		}
		to := min(from+size, len(items))
		return items[from:to], to < len(items)
	}

	var list []json.RawMessage
	if json.Unmarshal(body, &list) == nil {
		items, more := cut(list)
		out, _ := json.Marshal(items)
		return out, more
	}
	var obj map[string]json.RawMessage
	require.NoError(f.t, json.Unmarshal(body, &obj))
	for _, field := range []string{"commits", "workflow_runs"} {
		if raw, ok := obj[field]; ok && json.Unmarshal(raw, &list) == nil {
			items, more := cut(list)
			obj[field], _ = json.Marshal(items)
			out, _ := json.Marshal(obj)
			return out, more
		}
	}
	return body, false
}

// counts returns the requests answered so far and how many were 304s.
func (f *fakeGitHub) counts() (requests, notModified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.notModified
}

func (f *fakeGitHub) hits(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byPath[f.prefix+path]
}

// newSource builds a Source that talks to the fake as if it were
// api.github.com, on the fake clock.
func newSource(t *testing.T, f *fakeGitHub, cfg Config) *Source {
	t.Helper()
	if cfg.Token == "" && cfg.AppID == 0 {
		cfg.Token = testToken
	}
	s, err := New(cfg, httpclient.Options{})
	require.NoError(t, err)
	if f.prefix == "" {
		s.c.rest, _ = url.Parse(f.srv.URL)
		s.graphql, _ = url.Parse(f.srv.URL + "/graphql")
	}
	s.c.now, s.c.sleep = f.clock.Now, f.clock.Sleep
	return s
}

func churnConfig() Config {
	return Config{
		Repositories: []Repository{{
			Owner: "acme", Name: "churn-model", Service: "churn", Team: "growth",
			Deployments: []Deployments{{
				From:         FromDeployments,
				Environments: map[string]string{"prod": "production", "staging": "staging"},
			}},
		}},
	}
}

var graphQLPull = regexp.MustCompile(`p(\d+): pullRequest\(number: (\d+)\)`)

// graphql answers the query of queryPulls from the REST fixtures of the
// same pull requests, in GitHub's GraphQL shapes, with pages of pageSize.
func (f *fakeGitHub) graphql(w http.ResponseWriter, r *http.Request) {
	f.githubHeaders(w)
	w.Header().Set("X-RateLimit-Resource", "graphql")
	if f.noGraphQL {
		f.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.fail(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	var req struct {
		Query     string            `json:"query"`
		Variables map[string]string `json:"variables"`
	}
	require.NoError(f.t, json.NewDecoder(r.Body).Decode(&req))
	f.mu.Lock()
	f.graphQLQueries = append(f.graphQLQueries, req.Query)
	f.mu.Unlock()
	repo := "/repos/" + req.Variables["owner"] + "/" + req.Variables["name"]
	first := min(100, f.pageSize)

	conn := func(path string, node func(json.RawMessage) any) map[string]any {
		var items []json.RawMessage
		require.NoError(f.t, json.Unmarshal(f.routes[path], &items))
		nodes := []any{}
		for _, it := range items[:min(first, len(items))] {
			nodes = append(nodes, node(it))
		}
		return map[string]any{"pageInfo": map[string]bool{"hasNextPage": len(items) > first}, "nodes": nodes}
	}
	out := map[string]any{}
	for _, m := range graphQLPull.FindAllStringSubmatch(req.Query, -1) {
		base := repo + "/pulls/" + m[2]
		pr := map[string]any{"commits": conn(base+"/commits", func(raw json.RawMessage) any {
			var c ghCommit
			require.NoError(f.t, json.Unmarshal(raw, &c))
			return map[string]any{"commit": map[string]any{"authoredDate": c.Commit.Author.Date}}
		})}
		if strings.Contains(req.Query, "files(first") {
			pr["files"] = conn(base+"/files", func(raw json.RawMessage) any {
				var file ghFile
				require.NoError(f.t, json.Unmarshal(raw, &file))
				return map[string]any{"path": file.Filename}
			})
		}
		out["p"+m[1]] = pr
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"repository": out}})
}
