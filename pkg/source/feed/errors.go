package feed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// Every message here names the host or a redacted URL, never f.cfg.URL,
// since the configured URL may carry a password.

func (f *Feed) statusError(resp *http.Response) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	status := fmt.Sprintf("%d %s", code, http.StatusText(code))
	status = strings.TrimSpace(status)

	var fix string
	switch {
	case code == http.StatusUnauthorized:
		switch {
		case f.cfg.Auth == AuthBearer:
			fix = "check the token"
		case f.cfg.Auth == AuthBasic || f.url.User != nil:
			fix = "check the username and password"
		default:
			fix = "the feed needs credentials, set auth to bearer or basic"
		}
	case code == http.StatusForbidden:
		if f.cfg.Auth == AuthNone && f.url.User == nil {
			fix = "the server refuses to serve the feed without credentials, set auth to bearer or basic"
		} else {
			fix = "the credentials were accepted but may not read this feed, grant them access or use others"
		}
	case code == http.StatusNotFound:
		fix = "check the URL " + redactURL(f.url)
	case code == http.StatusTooManyRequests:
		fix = "the server limits how often it is read, raise cacheSeconds"
	case code >= 500:
		return backend.DownstreamErrorf("the feed server answered %s: it failed to serve the feed, try again later or check the server's logs",
			status)
	default:
		fix = "check the URL " + redactURL(f.url)
	}
	return backend.DownstreamErrorf("the feed URL answered %s: %s", status, fix)
}

// requestError explains a failure to get a response at all.
func (f *Feed) requestError(ctx context.Context, err error) error {
	host := f.url.Host
	failure := source.RequestFailure(ctx, err)
	switch failure.Kind {
	case source.FailureStopped:
		return fmt.Errorf("the request to the feed was stopped: %w", context.Cause(ctx))
	case source.FailureDNS:
		return backend.DownstreamErrorf("could not find the host %s (%s): check the URL", f.url.Hostname(), failure.DNS)
	case source.FailureTimeout:
		return backend.DownstreamErrorf("the feed URL did not answer within %s: check that the server at %s is up, or raise timeoutSeconds",
			f.cfg.Timeout, host)
	case source.FailureRefused:
		return backend.DownstreamErrorf("could not connect to %s, the connection was refused: check the host and port of the URL and that the feed server is running",
			host)
	case source.FailureCertificate:
		return backend.DownstreamErrorf("the TLS certificate of %s is not trusted (%v): fix the server's certificate or trust its CA",
			host, failure.Cause)
	case source.FailureReset:
		return backend.DownstreamErrorf("%s closed the connection without answering: check that the URL's scheme (http or https) and port are right",
			host)
	}
	if backend.IsDownstreamHTTPError(failure.Cause) {
		return backend.DownstreamErrorf("could not read the feed from %s (%v): check the URL and that the feed server is running",
			host, failure.Cause)
	}
	return fmt.Errorf("could not read the feed from %s (%w): check the URL and that the feed server is running", host, failure.Cause)
}

// readError explains a failure while reading the body.
func (f *Feed) readError(ctx context.Context, err error, body *limitReader) error {
	var content *contentError
	switch {
	case errors.As(err, &content):
		return backend.DownstreamError(err)
	case errors.Is(err, errTooLarge):
		return f.tooLarge()
	case errors.Is(err, httpclient.ErrResponseBodyTooLarge):
		return backend.DownstreamErrorf("the feed is larger than Grafana's response limit: serve fewer events, or ask the Grafana administrator to raise response_limit in the [dataproxy] section")
	case ctx.Err() != nil:
		return fmt.Errorf("reading the feed was stopped: %w", context.Cause(ctx))
	case source.IsTimeout(err):
		return backend.DownstreamErrorf("the feed URL did not send all its events within %s (%s arrived): raise timeoutSeconds or serve fewer events",
			f.cfg.Timeout, formatSize(body.read))
	}
	return backend.DownstreamErrorf("reading the feed failed after %s (%v): check the feed server",
		formatSize(body.read), err)
}

func (f *Feed) tooLarge() error {
	return backend.DownstreamErrorf("the feed is larger than the limit of %s: raise maxBytes or serve fewer events",
		formatSize(f.cfg.MaxBytes))
}

// contentError says the body is not canonical events at all.
type contentError struct{ msg string }

func (e *contentError) Error() string { return e.msg }

// checkContent looks at the media type and the first bytes of the body, so
// that an HTML login page is reported as such rather than as a thousand
// skipped lines.
func checkContent(contentType string, br *bufio.Reader) error {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "text/html" {
		return errHTML
	}
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	if len(head) == 0 {
		return nil
	}
	switch head[0] {
	case '[', '{':
		return nil
	case '<':
		return errHTML
	}
	return &contentError{fmt.Sprintf("the feed URL answered with something that is not JSON (it starts with %q): check that the URL serves the events as a JSON array or NDJSON", rune(head[0]))}
}

var errHTML = &contentError{"the feed URL answered with an HTML page, not JSON events: check the URL (a login page or a proxy's error page looks like this)"}

// errTooLarge is returned by limitReader once the body passes the limit.
var errTooLarge = errors.New("feed: the response is over the size limit")

// limitReader fails, rather than stops, at the limit, so that a cut-off feed
// is never read as a complete one.
type limitReader struct {
	r    io.Reader
	left int64
	read int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, errTooLarge
	}
	if int64(len(p))-1 > l.left {
		p = p[:l.left+1] // one byte over the limit tells a full body from a long one
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		n = int(l.left)
		l.read += int64(n)
		l.left, l.over = 0, true
		return n, errTooLarge
	}
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// redactURL drops the user information, query and fragment, any of which
// may hold a secret.
func redactURL(u *url.URL) string {
	r := *u
	r.User = nil
	r.RawQuery, r.ForceQuery = "", false
	r.Fragment, r.RawFragment = "", ""
	return r.String()
}

// RedactURL returns raw without user information, query or fragment, fit
// for messages and logs.
func RedactURL(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return `""`
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "(not a valid URL)"
	}
	return redactURL(u)
}
