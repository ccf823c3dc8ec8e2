// Package feed reads canonical events from an HTTP(S) URL that serves them as
// a JSON array or as NDJSON, with no authentication, a bearer token or basic
// authentication. See docs/sources/feed.md.
package feed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// Defaults for a Config that leaves Timeout or MaxBytes at zero.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMaxBytes = 256 << 20 // 256 MiB
)

// The authentication methods.
const (
	AuthNone   = source.AuthNone
	AuthBearer = source.AuthBearer
	AuthBasic  = source.AuthBasic
)

// acceptHeader prefers NDJSON, which can be read line by line.
const acceptHeader = "application/x-ndjson, application/json;q=0.9"

// Config says where the feed is and how to read it. Token and Password are
// secrets: the String and GoString methods leave them out.
type Config struct {
	URL      string
	Auth     string // AuthNone (the default when empty), AuthBearer or AuthBasic
	Username string
	Token    string // bearer token
	Password string // basic authentication password
	Timeout  time.Duration
	MaxBytes int64 // the most the feed may send, after decompression
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("feed url=%s auth=%s username=%q token=%s password=%s timeout=%s maxBytes=%d",
		RedactURL(c.URL), c.Auth, c.Username, source.Saved(c.Token), source.Saved(c.Password), c.Timeout, c.MaxBytes)
}

// GoString makes %#v as safe as %v.
func (c Config) GoString() string { return c.String() }

// Validate checks the configuration. Its messages name the setting at fault
// and never repeat a secret.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c Config) withDefaults() (Config, error) {
	c.URL = strings.TrimSpace(c.URL)
	if c.Auth == "" {
		c.Auth = AuthNone
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}

	if _, err := parseURL(c.URL); err != nil {
		return c, err
	}
	switch c.Auth {
	case AuthNone:
	case AuthBearer:
		if c.Token == "" {
			return c, errors.New("feed: auth is bearer but no token is saved: save the token or set auth to none")
		}
	case AuthBasic:
		if c.Username == "" {
			return c, errors.New("feed: auth is basic but no username is set: set the username or change auth")
		}
		if c.Password == "" {
			return c, errors.New("feed: auth is basic but no password is saved: save the password or change auth")
		}
	default:
		return c, fmt.Errorf("feed: auth is %q: use none, bearer or basic", c.Auth)
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("feed: timeout is %s: use a positive duration, or zero for %s", c.Timeout, DefaultTimeout)
	}
	if c.MaxBytes < 0 {
		return c, fmt.Errorf("feed: maxBytes is %d: use a positive size, or zero for %d", c.MaxBytes, DefaultMaxBytes)
	}
	return c, nil
}

func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("feed: url is empty: set the address that serves the events")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The url.Error would quote the whole URL, credentials included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("feed: url is not valid (%w): check it for typos", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("feed: url must start with http:// or https://")
	}
	if u.Host == "" {
		return nil, errors.New("feed: url has no host: write it as https://host/path")
	}
	return u, nil
}

// Feed is a [source.Source] that reads one URL.
//
// [source.Source]: github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source.Source
type Feed struct {
	cfg    Config
	url    *url.URL
	client *http.Client
}

// New validates cfg and builds the feed's HTTP client from opts, which are
// typically the data source's [backend.DataSourceInstanceSettings.HTTPClientOptions].
//
// The credentials come from cfg only: any basic authentication in opts is
// dropped. They are sent to the configured scheme and host and nowhere else,
// so a redirect to another host (a storage bucket, say) is followed without
// them. cfg.Timeout replaces the overall timeout of opts.
//
// [backend.DataSourceInstanceSettings.HTTPClientOptions]: https://pkg.go.dev/github.com/grafana/grafana-plugin-sdk-go/backend#DataSourceInstanceSettings.HTTPClientOptions
func New(cfg Config, opts httpclient.Options) (*Feed, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	u, _ := parseURL(cfg.URL) // validated above
	f := &Feed{cfg: cfg, url: u}

	f.client, err = source.NewHTTPClient(opts, cfg.Timeout, "fourkeys-feed", source.Server{
		Base: u, Accept: acceptHeader,
		Auth: cfg.Auth, Username: cfg.Username, Password: cfg.Password, Token: cfg.Token,
	})
	if err != nil {
		return nil, fmt.Errorf("feed: could not build the HTTP client: %w", err)
	}
	return f, nil
}

// Name returns "feed".
func (f *Feed) Name() string { return "feed" }

// URL returns the feed's address without credentials or query, fit for
// messages.
func (f *Feed) URL() string { return redactURL(f.url) }

// Fetch reads every event the feed serves. The whole response must arrive
// within the timeout and fit in MaxBytes.
func (f *Feed) Fetch(ctx context.Context) (*events.Set, events.Report, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url.String(), nil)
	if err != nil {
		// Not wrapped: the error would quote the URL, credentials included.
		return nil, events.Report{}, errors.New("feed: could not build the request")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, events.Report{}, f.requestError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()

	if err := f.statusError(resp); err != nil {
		return nil, events.Report{}, err
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		return nil, events.Report{}, f.tooLarge()
	}

	body := &limitReader{r: resp.Body, left: f.cfg.MaxBytes}
	br := bufio.NewReaderSize(body, 64<<10)
	if err := checkContent(resp.Header.Get("Content-Type"), br); err != nil {
		return nil, events.Report{}, f.readError(ctx, err, body)
	}
	set, rep, err := events.Read(br)
	if err != nil {
		return nil, events.Report{}, f.readError(ctx, err, body)
	}
	return set, rep, nil
}
