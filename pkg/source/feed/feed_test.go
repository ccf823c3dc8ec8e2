package feed_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/feed"
)

const (
	token    = "s3cr3t-token-value"
	password = "pa55w0rd-value"
)

// kedroHistory returns the shared kedro history, found by walking up from the
// package directory to a shared/data folder.
func kedroHistory(t *testing.T) []byte {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		path := filepath.Join(dir, "shared", "data", "kedro-history.ndjson")
		if data, err := os.ReadFile(path); err == nil {
			return data
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/data/kedro-history.ndjson not found above the package directory")
		}
		dir = parent
	}
}

// expected counts the unique ids of each kind with a plain scan, independent
// of the events package, and how many lines repeat an id.
func expected(t *testing.T, data []byte) (perKind map[events.Kind]int, duplicates int) {
	t.Helper()
	seen := map[string]map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var head struct {
			Kind string          `json:"kind"`
			ID   json.RawMessage `json:"id"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &head))
		if seen[head.Kind] == nil {
			seen[head.Kind] = map[string]bool{}
		}
		if seen[head.Kind][string(head.ID)] {
			duplicates++
		}
		seen[head.Kind][string(head.ID)] = true
	}
	require.NoError(t, sc.Err())
	perKind = map[events.Kind]int{}
	for kind, ids := range seen {
		perKind[events.Kind(kind)] = len(ids)
	}
	return perKind, duplicates
}

func asArray(ndjson []byte) []byte {
	var items [][]byte
	for _, line := range bytes.Split(ndjson, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			items = append(items, line)
		}
	}
	return append(append([]byte("[\n"), bytes.Join(items, []byte(",\n"))...), []byte("\n]\n")...)
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// serve starts a test server and returns its URL.
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newFeed(t *testing.T, cfg feed.Config) *feed.Feed {
	t.Helper()
	f, err := feed.New(cfg, httpclient.Options{})
	require.NoError(t, err)
	return f
}

var _ source.Source = (*feed.Feed)(nil)

func TestFetchReadsTheKedroHistory(t *testing.T) {
	history := kedroHistory(t)
	want, duplicates := expected(t, history)
	require.Positive(t, duplicates, "the history is known to repeat change ids")

	tests := []struct {
		name        string
		contentType string
		body        []byte
		gzip        bool
	}{
		{name: "as NDJSON", contentType: "application/x-ndjson", body: history},
		{name: "as a JSON array", contentType: "application/json", body: asArray(history)},
		{name: "as gzip-compressed NDJSON", contentType: "application/x-ndjson", body: history, gzip: true},
	}
	for _, tt := range tests {
		t.Run("it reads the history "+tt.name, func(t *testing.T) {
			headers := make(chan http.Header, 1)
			url := serve(t, func(w http.ResponseWriter, r *http.Request) {
				headers <- r.Header.Clone()
				w.Header().Set("Content-Type", tt.contentType)
				body := tt.body
				if tt.gzip {
					w.Header().Set("Content-Encoding", "gzip")
					body = gzipped(t, body)
				}
				_, _ = w.Write(body)
			})

			set, rep, err := newFeed(t, feed.Config{URL: url}).Fetch(context.Background())
			require.NoError(t, err)
			for _, kind := range events.Kinds {
				require.Equal(t, want[kind], set.Count(kind), "%s events", kind)
			}
			require.Equal(t, set.Len(), rep.Kept)
			require.Equal(t, duplicates, rep.Skipped)
			require.Contains(t, rep.Reasons[0], "duplicate id, the first one is kept")
			got := <-headers
			require.Contains(t, got.Get("Accept"), "application/x-ndjson")
			require.Contains(t, got.Get("Accept"), "application/json")
			require.Contains(t, got.Get("Accept-Encoding"), "gzip")
		})
	}
}

func TestFetchSkipsAMalformedLine(t *testing.T) {
	body := `{"kind":"change","id":"c1","service":"svc","time":"2025-01-01T00:00:00Z"}
{"kind":"change","id":"c2","service":"svc","time":
{"kind":"change","id":"c3","service":"svc","time":"2025-01-02T00:00:00Z"}
`
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })

	set, rep, err := newFeed(t, feed.Config{URL: url}).Fetch(context.Background())
	require.NoError(t, err)
	require.Equal(t, []string{"c1", "c3"}, []string{set.Changes[0].ID, set.Changes[1].ID})
	require.Equal(t, 2, rep.Kept)
	require.Equal(t, 1, rep.Skipped)
	require.True(t, strings.HasPrefix(rep.Reasons[0], "line 2: "), rep.Reasons[0])
}

func TestFetchAnEmptyFeedHasNoEvents(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	set, rep, err := newFeed(t, feed.Config{URL: url}).Fetch(context.Background())
	require.NoError(t, err)
	require.Zero(t, set.Len())
	require.Zero(t, rep.Skipped)
}

const oneChange = `{"kind":"change","id":"c1","service":"svc","time":"2025-01-01T00:00:00Z"}` + "\n"

// guarded serves oneChange to requests whose Authorization is want.
func guarded(t *testing.T, want string) string {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(oneChange))
	})
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestFetchAuthenticates(t *testing.T) {
	tests := []struct {
		name    string
		server  string // the Authorization header the server wants
		cfg     feed.Config
		wantErr string
	}{
		{
			name:   "a bearer token is sent in the Authorization header",
			server: "Bearer " + token,
			cfg:    feed.Config{Auth: feed.AuthBearer, Token: token},
		},
		{
			name:   "basic authentication sends the username and password",
			server: basic("reader", password),
			cfg:    feed.Config{Auth: feed.AuthBasic, Username: "reader", Password: password},
		},
		{
			name:    "a wrong token asks to check the token",
			server:  "Bearer " + token,
			cfg:     feed.Config{Auth: feed.AuthBearer, Token: "other"},
			wantErr: "the feed URL answered 401 Unauthorized: check the token",
		},
		{
			name:    "a wrong password asks to check the username and password",
			server:  basic("reader", password),
			cfg:     feed.Config{Auth: feed.AuthBasic, Username: "reader", Password: "other"},
			wantErr: "the feed URL answered 401 Unauthorized: check the username and password",
		},
		{
			name:    "no credentials for a guarded feed asks for some",
			server:  "Bearer " + token,
			cfg:     feed.Config{},
			wantErr: "the feed URL answered 401 Unauthorized: the feed needs credentials, set auth to bearer or basic",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.URL = guarded(t, tt.server)

			set, _, err := newFeed(t, tt.cfg).Fetch(context.Background())
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				require.True(t, backend.IsDownstreamError(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, 1, set.Len())
		})
	}
}

func TestFetchUsesCredentialsInTheURL(t *testing.T) {
	url := guarded(t, basic("reader", password))
	withUser := strings.Replace(url, "http://", "http://reader:"+password+"@", 1)

	set, _, err := newFeed(t, feed.Config{URL: withUser}).Fetch(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, set.Len())
}

func TestFetchKeepsCredentialsOnTheFeedHost(t *testing.T) {
	elsewhere := make(chan string, 10)
	other := serve(t, func(w http.ResponseWriter, r *http.Request) {
		elsewhere <- r.Header.Get("Authorization")
		_, _ = w.Write([]byte(oneChange))
	})
	origin := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, other+"/signed", http.StatusFound)
	})

	set, _, err := newFeed(t, feed.Config{URL: origin, Auth: feed.AuthBearer, Token: token}).Fetch(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, set.Len())
	require.Len(t, elsewhere, 1)
	require.Empty(t, <-elsewhere, "the token is not sent to the host redirected to")
}

func TestFetchExplainsFailures(t *testing.T) {
	tests := []struct {
		name    string
		cfg     feed.Config
		handler http.HandlerFunc
		wantErr string // a prefix of the message; the URL of the test server follows some
	}{
		{
			name:    "403 says the credentials may not read the feed",
			cfg:     feed.Config{Auth: feed.AuthBearer, Token: token},
			handler: status(http.StatusForbidden),
			wantErr: "the feed URL answered 403 Forbidden: the credentials were accepted but may not read this feed",
		},
		{
			name:    "404 asks to check the URL",
			handler: status(http.StatusNotFound),
			wantErr: "the feed URL answered 404 Not Found: check the URL http://127.0.0.1:",
		},
		{
			name:    "500 blames the server",
			handler: status(http.StatusInternalServerError),
			wantErr: "the feed server answered 500 Internal Server Error: it failed to serve the feed, try again later",
		},
		{
			name:    "429 asks to read the feed less often",
			handler: status(http.StatusTooManyRequests),
			wantErr: "the feed URL answered 429 Too Many Requests: the server limits how often it is read, raise cacheSeconds",
		},
		{
			name: "an HTML page is not taken for events",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = w.Write([]byte("<!doctype html><title>Sign in</title>"))
			},
			wantErr: "the feed URL answered with an HTML page, not JSON events: check the URL",
		},
		{
			name: "plain text is not JSON",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte("kind,id,service\n"))
			},
			wantErr: `the feed URL answered with something that is not JSON (it starts with 'k')`,
		},
		{
			name:    "a server slower than the timeout is named with the timeout",
			cfg:     feed.Config{Timeout: 100 * time.Millisecond},
			handler: stall,
			wantErr: "the feed URL did not answer within 100ms: check that the server at 127.0.0.1:",
		},
		{
			name:    "a body slower than the timeout is named with the timeout",
			cfg:     feed.Config{Timeout: 500 * time.Millisecond},
			handler: stallAfter([]byte(oneChange)),
			wantErr: "the feed URL did not send all its events within 500ms (",
		},
		{
			name:    "a declared length over the limit is refused before reading",
			cfg:     feed.Config{MaxBytes: 1 << 10},
			handler: bytesOf(bytes.Repeat([]byte(oneChange), 100), false),
			wantErr: "the feed is larger than the limit of 1 KiB: raise maxBytes or serve fewer events",
		},
		{
			name:    "a streamed body over the limit fails rather than being cut",
			cfg:     feed.Config{MaxBytes: 1 << 10},
			handler: bytesOf(bytes.Repeat([]byte(oneChange), 100), true),
			wantErr: "the feed is larger than the limit of 1 KiB: raise maxBytes or serve fewer events",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.URL = serve(t, tt.handler)

			_, _, err := newFeed(t, tt.cfg).Fetch(context.Background())
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), tt.wantErr), "got %q", err)
			require.True(t, backend.IsDownstreamError(err), "a failure of the feed is a downstream error")
		})
	}
}

func TestFetchExplainsARefusedConnection(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()

	_, _, err := newFeed(t, feed.Config{URL: url}).Fetch(context.Background())
	require.ErrorContains(t, err, "could not connect to 127.0.0.1:")
	require.ErrorContains(t, err, "the connection was refused: check the host and port of the URL")
	require.True(t, backend.IsDownstreamError(err))
}

func TestFetchHonoursTheContext(t *testing.T) {
	url := serve(t, stall)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)

	_, _, err := newFeed(t, feed.Config{URL: url}).Fetch(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.EqualError(t, err, "the request to the feed was stopped: context canceled")
}

func TestSecretsStayOutOfMessages(t *testing.T) {
	secrets := []string{token, password}
	check := func(t *testing.T, s string) {
		t.Helper()
		for _, secret := range secrets {
			require.NotContains(t, s, secret)
		}
		require.NotContains(t, s, "reader:", "no user information")
	}

	failures := map[string]http.HandlerFunc{
		"401":          status(http.StatusUnauthorized),
		"403":          status(http.StatusForbidden),
		"404":          status(http.StatusNotFound),
		"500":          status(http.StatusInternalServerError),
		"a timeout":    stall,
		"an HTML page": func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) },
		"a large body": bytesOf(bytes.Repeat([]byte(oneChange), 100), true),
	}
	for what, handler := range failures {
		url := serve(t, handler)
		withUser := strings.Replace(url, "http://", "http://reader:"+password+"@", 1) + "/events?key=" + token
		configs := []feed.Config{
			{URL: withUser},
			{URL: withUser, Auth: feed.AuthBearer, Token: token},
			{URL: withUser, Auth: feed.AuthBasic, Username: "reader", Password: password},
		}
		for i, cfg := range configs {
			t.Run(fmt.Sprintf("the message for %s with config %d holds no secret", what, i), func(t *testing.T) {
				cfg.Timeout = 100 * time.Millisecond
				cfg.MaxBytes = 1 << 10
				_, _, err := newFeed(t, cfg).Fetch(context.Background())
				require.Error(t, err)
				check(t, err.Error())
			})
		}
	}

	t.Run("a refused connection names the host only", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		withUser := strings.Replace(srv.URL, "http://", "http://reader:"+password+"@", 1)

		_, _, err := newFeed(t, feed.Config{URL: withUser, Auth: feed.AuthBearer, Token: token}).Fetch(context.Background())
		require.Error(t, err)
		check(t, err.Error())
	})

	t.Run("validation errors do not quote the URL", func(t *testing.T) {
		for _, url := range []string{
			"https://reader:" + password + "@bad host/",
			"ftp://reader:" + password + "@host/",
			"https://reader:" + password + "@/path?key=" + token,
		} {
			_, err := feed.New(feed.Config{URL: url}, httpclient.Options{})
			require.Error(t, err)
			check(t, err.Error())
		}
	})

	t.Run("printing the config shows neither secret", func(t *testing.T) {
		cfg := feed.Config{
			URL:  "https://reader:" + password + "@host/events?key=" + token,
			Auth: feed.AuthBearer, Token: token, Password: password,
		}
		for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.String()} {
			check(t, s)
			require.Contains(t, s, "https://host/events")
			require.Contains(t, s, "token=set")
		}
	})
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     feed.Config
		wantErr string
	}{
		{"an empty URL is refused", feed.Config{}, "feed: url is empty: set the address that serves the events"},
		{"a URL that is not http is refused", feed.Config{URL: "file:///tmp/events.ndjson"},
			"feed: url must start with http:// or https://"},
		{"a relative URL is refused", feed.Config{URL: "events.ndjson"}, "feed: url must start with http:// or https://"},
		{"a URL without host is refused", feed.Config{URL: "https:///events"},
			"feed: url has no host: write it as https://host/path"},
		{"an unknown auth is refused", feed.Config{URL: "https://host", Auth: "oauth"},
			`feed: auth is "oauth": use none, bearer or basic`},
		{"bearer without a token is refused", feed.Config{URL: "https://host", Auth: feed.AuthBearer},
			"feed: auth is bearer but no token is saved: save the token or set auth to none"},
		{"basic without a username is refused", feed.Config{URL: "https://host", Auth: feed.AuthBasic, Password: "p"},
			"feed: auth is basic but no username is set: set the username or change auth"},
		{"basic without a password is refused", feed.Config{URL: "https://host", Auth: feed.AuthBasic, Username: "u"},
			"feed: auth is basic but no password is saved: save the password or change auth"},
		{"a negative limit is refused", feed.Config{URL: "https://host", MaxBytes: -1},
			"feed: maxBytes is -1: use a positive size, or zero for 268435456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := feed.New(tt.cfg, httpclient.Options{})
			require.EqualError(t, err, tt.wantErr)
			require.EqualError(t, tt.cfg.Validate(), tt.wantErr)
		})
	}

	t.Run("a valid config names its feed without credentials", func(t *testing.T) {
		f, err := feed.New(feed.Config{URL: " https://reader:p@host:8443/events.ndjson?key=k "}, httpclient.Options{})
		require.NoError(t, err)
		require.Equal(t, "feed", f.Name())
		require.Equal(t, "https://host:8443/events.ndjson", f.URL())
	})
}

func TestNewLeavesTheDefaultTimeoutsAlone(t *testing.T) {
	before := httpclient.DefaultTimeoutOptions
	_, err := feed.New(feed.Config{URL: "https://host", Timeout: time.Second}, httpclient.Options{})
	require.NoError(t, err)
	require.Equal(t, before, httpclient.DefaultTimeoutOptions)
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// stall answers nothing until the client gives up.
func stall(_ http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// stallAfter sends head, then nothing until the client gives up.
func stallAfter(head []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(head)
		w.(http.Flusher).Flush()
		stall(w, r)
	}
}

// bytesOf serves body, either with its length or streamed in chunks.
func bytesOf(body []byte, stream bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if !stream {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
			return
		}
		for chunk := range slices(body, 256) {
			_, _ = w.Write(chunk)
			w.(http.Flusher).Flush()
		}
	}
}

func slices(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}
