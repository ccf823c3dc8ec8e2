// Package settings reads the configuration of a data source instance (its
// jsonData and decrypted secureJsonData) into [Settings], checks it, and
// builds the instance's sources from it.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/feed"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/github"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/mlflow"
)

// Defaults for settings left out of jsonData.
const (
	DefaultAttributionWindow = 72 * time.Hour
	DefaultCacheTTL          = 5 * time.Minute
	DefaultEnvironment       = events.DefaultEnvironment
)

// MaxFeedTimeout is the longest feed timeout accepted: a fetch never runs
// longer than [source.MaxFetchTime] anyway.
const MaxFeedTimeout = source.MaxFetchTime

// The secureJsonData keys.
const (
	KeyFeedToken    = "feedToken"
	KeyFeedPassword = "feedPassword"
)

// Settings is the checked configuration of one data source instance.
type Settings struct {
	// Demo adds the generated demo events. It is on by default when no
	// other source is configured, so that a new data source shows something.
	Demo bool

	// Feed is nil when no feed URL is set.
	Feed *Feed

	// GitHub is nil when no GitHub repository is set.
	GitHub *GitHub

	// MLflow is nil when no MLflow URL is set.
	MLflow *MLflow

	// Environment is the deployment environment the metrics are about.
	Environment string

	// AttributionWindow is how long after a deployment an incident is
	// blamed on it; zero turns attribution off.
	AttributionWindow time.Duration

	// CacheTTL is how long fetched events are kept. Zero fetches on every
	// query (queries running at the same time still share one fetch).
	CacheTTL time.Duration
}

// Feed configures the feed source. It prints without its secrets, and Token
// and Password on their own print as "[redacted]".
type Feed struct {
	URL      string
	Auth     string // feed.AuthNone, feed.AuthBearer or feed.AuthBasic
	Username string
	Token    Secret
	Password Secret
	Timeout  time.Duration
	MaxBytes int64
}

// String describes the feed without its secrets or the user information of
// its URL.
func (f Feed) String() string { return f.Config().String() }

// GoString makes %#v as safe as %v.
func (f Feed) GoString() string { return f.String() }

// MarshalJSON writes the feed without its secrets or the query of its URL.
func (f Feed) MarshalJSON() ([]byte, error) {
	type plain Feed // without the methods, to avoid recursion
	p := plain(f)
	p.URL = feed.RedactURL(f.URL)
	return json.Marshal(p)
}

// Secret is a saved secret. It prints, and marshals to JSON, as
// "[redacted]" (or nothing when empty); convert it with string() only where
// the secret is sent.
type Secret string

// String returns "[redacted]", or "" when no secret is saved.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString makes %#v as safe as %v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalJSON keeps the secret out of JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Config returns the configuration of the feed source, secrets included.
func (f *Feed) Config() feed.Config {
	return feed.Config{
		URL:      f.URL,
		Auth:     f.Auth,
		Username: f.Username,
		Token:    string(f.Token),
		Password: string(f.Password),
		Timeout:  f.Timeout,
		MaxBytes: f.MaxBytes,
	}
}

// String describes the settings without secrets, for debug logs.
func (s Settings) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "demo=%t", s.Demo)
	if s.Feed != nil {
		fmt.Fprintf(&b, " %s", s.Feed.Config())
	}
	if s.GitHub != nil {
		fmt.Fprintf(&b, " %s", s.GitHub.Config())
	}
	if s.MLflow != nil {
		fmt.Fprintf(&b, " %s", s.MLflow)
	}
	fmt.Fprintf(&b, " environment=%q attributionWindow=%s cacheTTL=%s", s.Environment, s.AttributionWindow, s.CacheTTL)
	return b.String()
}

// jsonSettings is the shape of jsonData.
type jsonSettings struct {
	Demo                   *bool       `json:"demo"`
	Feed                   *jsonFeed   `json:"feed"`
	GitHub                 *jsonGitHub `json:"github"`
	MLflow                 *jsonMLflow `json:"mlflow"`
	Environment            string      `json:"environment"`
	AttributionWindowHours number      `json:"attributionWindowHours"`
	CacheSeconds           number      `json:"cacheSeconds"`
}

type jsonFeed struct {
	URL            string `json:"url"`
	Auth           string `json:"auth"`
	Username       string `json:"username"`
	TimeoutSeconds number `json:"timeoutSeconds"`
	MaxBytes       number `json:"maxBytes"`
}

// Load reads and checks the settings of a data source instance. Its errors
// name the setting at fault and how to fix it.
func Load(s backend.DataSourceInstanceSettings) (Settings, error) {
	var js jsonSettings
	if err := decode(s.JSONData, &js); err != nil {
		return Settings{}, err
	}

	out := Settings{
		Environment:       strings.TrimSpace(js.Environment),
		AttributionWindow: DefaultAttributionWindow,
		CacheTTL:          DefaultCacheTTL,
	}
	if out.Environment == "" {
		out.Environment = DefaultEnvironment
	}

	hours, err := js.AttributionWindowHours.nonNegative("attributionWindowHours",
		"use 0 to turn attribution off or a number of hours")
	if err != nil {
		return Settings{}, err
	}
	if js.AttributionWindowHours.set {
		out.AttributionWindow = time.Duration(hours * float64(time.Hour))
	}

	seconds, err := js.CacheSeconds.nonNegative("cacheSeconds",
		"use 0 to fetch on every query or a number of seconds")
	if err != nil {
		return Settings{}, err
	}
	if js.CacheSeconds.set {
		out.CacheTTL = time.Duration(seconds * float64(time.Second))
	}

	if js.Feed != nil && strings.TrimSpace(js.Feed.URL) != "" {
		out.Feed, err = loadFeed(js.Feed, s.DecryptedSecureJSONData)
		if err != nil {
			return Settings{}, err
		}
	}

	if js.GitHub.configured() {
		out.GitHub, err = loadGitHub(js.GitHub, s.DecryptedSecureJSONData, out.Environment)
		if err != nil {
			return Settings{}, err
		}
	}

	if js.MLflow.configured() {
		out.MLflow, err = loadMLflow(js.MLflow, s.DecryptedSecureJSONData, out.Environment)
		if err != nil {
			return Settings{}, err
		}
	}

	others := out.Feed != nil || out.GitHub != nil || out.MLflow != nil
	out.Demo = !others
	if js.Demo != nil {
		out.Demo = *js.Demo
	}
	if !out.Demo && !others {
		return Settings{}, errors.New("demo is off and no other source is set up, so there is nothing to read: set feed.url, a github repository or mlflow.url, or turn demo on")
	}
	return out, nil
}

func loadFeed(jf *jsonFeed, secure map[string]string) (*Feed, error) {
	f := &Feed{
		URL:      strings.TrimSpace(jf.URL),
		Auth:     strings.ToLower(strings.TrimSpace(jf.Auth)),
		Username: strings.TrimSpace(jf.Username),
		Token:    Secret(secure[KeyFeedToken]),
		Password: Secret(secure[KeyFeedPassword]),
		Timeout:  feed.DefaultTimeout,
		MaxBytes: feed.DefaultMaxBytes,
	}
	if f.Auth == "" {
		f.Auth = feed.AuthNone
	}
	if u, err := url.Parse(f.URL); err == nil && u.User != nil {
		return nil, errors.New("feed: url holds a username or password, which jsonData would keep unencrypted: remove them from the url, set auth to basic and save the password there")
	}

	maxSeconds := MaxFeedTimeout.Seconds()
	seconds, err := jf.TimeoutSeconds.nonNegative("feed: timeoutSeconds",
		fmt.Sprintf("use a number of seconds up to %g, or leave it empty for %g", maxSeconds, feed.DefaultTimeout.Seconds()))
	if err != nil {
		return nil, err
	}
	if seconds > maxSeconds {
		return nil, fmt.Errorf("feed: timeoutSeconds is %g, more than the %g a fetch may take: lower it", seconds, maxSeconds)
	}
	if seconds > 0 {
		f.Timeout = time.Duration(seconds * float64(time.Second))
	}

	size, err := jf.MaxBytes.nonNegative("feed: maxBytes", "use a number of bytes, or leave it empty for 256 MiB")
	if err != nil {
		return nil, err
	}
	if size != math.Trunc(size) || size >= math.MaxInt64 {
		return nil, fmt.Errorf("feed: maxBytes is %s: use a whole number of bytes", jf.MaxBytes.raw)
	}
	if size > 0 {
		f.MaxBytes = int64(size)
	}

	if err := f.Config().Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Host is what the plugin gives the sources of an instance besides its
// settings.
type Host struct {
	// Demo makes the demo source.
	Demo func() source.Source
	// HTTPOptions are the instance's HTTP client options.
	HTTPOptions httpclient.Options
	// Key names the state of the data source that outlives an instance,
	// the MLflow alias history: the same for every instance of one data
	// source, different for every other data source.
	Key string
	// StateDir is the plugin-wide directory for that state; empty keeps it
	// in memory.
	StateDir string
}

// Sources builds the sources of the instance: the feed first, so that its
// events win over those of the same id from the others, then GitHub, then
// MLflow, then the demo. A source that holds resources (MLflow's history)
// is an io.Closer; the caller closes them all, also when Sources fails.
func (s Settings) Sources(h Host) ([]source.Source, error) {
	var sources []source.Source
	if s.Feed != nil {
		f, err := feed.New(s.Feed.Config(), h.HTTPOptions)
		if err != nil {
			return nil, err
		}
		sources = append(sources, f)
	}
	if s.GitHub != nil {
		g, err := github.New(s.GitHub.Config(), h.HTTPOptions)
		if err != nil {
			return nil, err
		}
		sources = append(sources, g)
	}
	if s.MLflow != nil {
		cfg := s.MLflow.Config(h.Key)
		cfg.StateDir = h.StateDir
		m, err := mlflow.New(cfg, h.HTTPOptions)
		if err != nil {
			return nil, err
		}
		sources = append(sources, m)
	}
	if s.Demo {
		if h.Demo == nil {
			return sources, errors.New("settings: demo is on but no demo source was given")
		}
		sources = append(sources, h.Demo())
	}
	return sources, nil
}

func decode(data json.RawMessage, js *jsonSettings) error {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	err := json.Unmarshal(data, js)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Errorf("the settings are a JSON %s, not an object: save the data source again", typeErr.Value)
	case errors.As(err, &typeErr):
		return fmt.Errorf("%s is a JSON %s: use %s", fieldName(typeErr.Field), typeErr.Value, want(typeErr.Field))
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("the settings are not valid JSON (%w): save the data source again", err)
	}
	return fmt.Errorf("the settings could not be read (%w): save the data source again", err)
}

// fieldName writes "feed.url" as the messages of loadFeed do, "feed: url",
// and "github.repositories.repo" as "github: repositories.repo".
func fieldName(path string) string {
	for _, section := range []string{"feed", "github", "mlflow"} {
		if rest, ok := strings.CutPrefix(path, section+"."); ok {
			return section + ": " + rest
		}
	}
	return path
}

func want(path string) string {
	switch path {
	case "demo":
		return "true or false"
	case "feed":
		return `an object such as {"url": "https://host/events.ndjson"}`
	case "github":
		return `an object such as {"repositories": [{"repo": "owner/name"}]}`
	case "github.repositories", "github.repositories.paths", "github.repositories.deployments":
		return "a list of objects"
	case "github.repositories.paths.globs":
		return `a list of globs such as ["models/churn/**"]`
	case "github.repositories.deployments.environments":
		return `an object such as {"prod": "production"}`
	case "mlflow":
		return `an object such as {"url": "http://mlflow:5000"}`
	case "mlflow.experiments", "mlflow.models", "mlflow.productionAliases":
		return `a list of names such as ["churn"]`
	case "mlflow.services":
		return `an object such as {"/Users/ana/churn": "churn"}`
	}
	return "text"
}

// number is a JSON number that a config editor may also have saved as a
// string. Decoding never fails; a value that is not a number is reported by
// nonNegative, which knows the setting's name.
type number struct {
	set bool
	ok  bool
	v   float64
	raw string
}

func (n *number) UnmarshalJSON(b []byte) error {
	raw := strings.TrimSpace(string(b))
	if raw == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		raw = strings.TrimSpace(s)
		if raw == "" {
			return nil
		}
	}
	v, err := strconv.ParseFloat(raw, 64)
	n.set, n.raw = true, raw
	n.ok = err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
	n.v = v
	return nil
}

// nonNegative returns the value, zero when unset, or an error naming the
// setting and how to fix it.
func (n number) nonNegative(name, fix string) (float64, error) {
	switch {
	case !n.set:
		return 0, nil
	case !n.ok:
		return 0, fmt.Errorf("%s is %q, not a number: %s", name, n.raw, fix)
	case n.v < 0:
		return 0, fmt.Errorf("%s is %s: %s", name, n.raw, fix)
	}
	return n.v, nil
}
