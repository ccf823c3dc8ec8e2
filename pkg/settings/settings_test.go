package settings_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/settings"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/feed"
)

const (
	token    = "s3cr3t-token-value"
	password = "pa55w0rd-value"
)

func instance(jsonData string, secure map[string]string) backend.DataSourceInstanceSettings {
	return backend.DataSourceInstanceSettings{JSONData: json.RawMessage(jsonData), DecryptedSecureJSONData: secure}
}

func TestLoadDefaults(t *testing.T) {
	tests := []struct {
		name     string
		jsonData string
		want     settings.Settings
	}{
		{
			name:     "a data source with no configuration shows the demo",
			jsonData: "",
			want: settings.Settings{Demo: true, Environment: "production",
				AttributionWindow: 72 * time.Hour, CacheTTL: 5 * time.Minute},
		},
		{
			name:     "an empty object is no configuration",
			jsonData: `{}`,
			want: settings.Settings{Demo: true, Environment: "production",
				AttributionWindow: 72 * time.Hour, CacheTTL: 5 * time.Minute},
		},
		{
			name:     "a feed turns the demo off by default",
			jsonData: `{"feed": {"url": "https://host/events.ndjson"}}`,
			want: settings.Settings{Environment: "production", AttributionWindow: 72 * time.Hour, CacheTTL: 5 * time.Minute,
				Feed: &settings.Feed{URL: "https://host/events.ndjson", Auth: "none", Timeout: 30 * time.Second, MaxBytes: 256 << 20}},
		},
		{
			name:     "a feed and the demo can both be on",
			jsonData: `{"demo": true, "feed": {"url": "https://host/events.ndjson"}}`,
			want: settings.Settings{Demo: true, Environment: "production", AttributionWindow: 72 * time.Hour, CacheTTL: 5 * time.Minute,
				Feed: &settings.Feed{URL: "https://host/events.ndjson", Auth: "none", Timeout: 30 * time.Second, MaxBytes: 256 << 20}},
		},
		{
			name:     "a feed object without a url is no feed",
			jsonData: `{"feed": {"url": " ", "auth": "bearer"}}`,
			want: settings.Settings{Demo: true, Environment: "production",
				AttributionWindow: 72 * time.Hour, CacheTTL: 5 * time.Minute},
		},
		{
			name: "every setting is read",
			jsonData: `{"demo": false, "environment": " staging ", "attributionWindowHours": 24, "cacheSeconds": 60,
				"feed": {"url": "https://host/e", "auth": "Basic", "username": "reader", "timeoutSeconds": 10, "maxBytes": 1024}}`,
			want: settings.Settings{Environment: "staging", AttributionWindow: 24 * time.Hour, CacheTTL: time.Minute,
				Feed: &settings.Feed{URL: "https://host/e", Auth: "basic", Username: "reader", Password: password,
					Timeout: 10 * time.Second, MaxBytes: 1024}},
		},
		{
			name:     "zero turns attribution off and caching off",
			jsonData: `{"attributionWindowHours": 0, "cacheSeconds": 0}`,
			want:     settings.Settings{Demo: true, Environment: "production"},
		},
		{
			name:     "numbers saved as strings are read, and empty strings are unset",
			jsonData: `{"attributionWindowHours": "12", "cacheSeconds": "", "feed": {"url": "http://host", "timeoutSeconds": "2.5"}}`,
			want: settings.Settings{Environment: "production", AttributionWindow: 12 * time.Hour, CacheTTL: 5 * time.Minute,
				Feed: &settings.Feed{URL: "http://host", Auth: "none", Timeout: 2500 * time.Millisecond, MaxBytes: 256 << 20}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.Load(instance(tt.jsonData, map[string]string{settings.KeyFeedPassword: password}))
			require.NoError(t, err)
			if tt.want.Feed != nil && tt.want.Feed.Auth != feed.AuthBasic {
				tt.want.Feed.Password = password // saved, though unused without basic auth
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestLoadReadsTheSecrets(t *testing.T) {
	got, err := settings.Load(instance(`{"feed": {"url": "https://host", "auth": "bearer"}}`,
		map[string]string{settings.KeyFeedToken: token}))
	require.NoError(t, err)
	require.Equal(t, settings.Secret(token), got.Feed.Token)
	require.Equal(t, token, got.Feed.Config().Token)
}

func TestLoadRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name     string
		jsonData string
		secure   map[string]string
		wantErr  string
	}{
		{"a negative attribution window", `{"attributionWindowHours": -1}`, nil,
			"attributionWindowHours is -1: use 0 to turn attribution off or a number of hours"},
		{"an attribution window that is not a number", `{"attributionWindowHours": "three days"}`, nil,
			`attributionWindowHours is "three days", not a number: use 0 to turn attribution off or a number of hours`},
		{"a negative cache time", `{"cacheSeconds": -5}`, nil,
			"cacheSeconds is -5: use 0 to fetch on every query or a number of seconds"},
		{"demo that is not a boolean", `{"demo": "yes"}`, nil,
			"demo is a JSON string: use true or false"},
		{"a feed url that is not text", `{"feed": {"url": 42}}`, nil,
			"feed: url is a JSON number: use text"},
		{"a feed that is not an object", `{"feed": "https://host"}`, nil,
			`feed is a JSON string: use an object such as {"url": "https://host/events.ndjson"}`},
		{"settings that are not JSON", `{"demo": tru}`, nil,
			"the settings are not valid JSON (invalid character '}' in literal true (expecting 'e')): save the data source again"},
		{"settings that are not an object", `[]`, nil,
			"the settings are a JSON array, not an object: save the data source again"},
		{"nothing to read", `{"demo": false}`, nil,
			"demo is off and no other source is set up, so there is nothing to read: set feed.url, a github repository or mlflow.url, or turn demo on"},
		{"a feed url without a scheme", `{"feed": {"url": "host/events.ndjson"}}`, nil,
			"feed: url must start with http:// or https://"},
		{"bearer auth without a saved token", `{"feed": {"url": "https://host", "auth": "bearer"}}`, nil,
			"feed: auth is bearer but no token is saved: save the token or set auth to none"},
		{"basic auth without a saved password", `{"feed": {"url": "https://host", "auth": "basic", "username": "u"}}`, nil,
			"feed: auth is basic but no password is saved: save the password or change auth"},
		{"an unknown auth", `{"feed": {"url": "https://host", "auth": "oauth2"}}`, nil,
			`feed: auth is "oauth2": use none, bearer or basic`},
		{"a negative feed timeout", `{"feed": {"url": "https://host", "timeoutSeconds": -1}}`, nil,
			"feed: timeoutSeconds is -1: use a number of seconds up to 300, or leave it empty for 30"},
		{"a feed timeout over the fetch limit", `{"feed": {"url": "https://host", "timeoutSeconds": 900}}`, nil,
			"feed: timeoutSeconds is 900, more than the 300 a fetch may take: lower it"},
		{"credentials in the feed url", `{"feed": {"url": "https://reader:` + password + `@host"}}`, nil,
			"feed: url holds a username or password, which jsonData would keep unencrypted: remove them from the url, set auth to basic and save the password there"},
		{"a fractional size limit", `{"feed": {"url": "https://host", "maxBytes": 1.5}}`, nil,
			"feed: maxBytes is 1.5: use a whole number of bytes"},
	}
	for _, tt := range tests {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			_, err := settings.Load(instance(tt.jsonData, tt.secure))
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	s, err := settings.Load(instance(
		`{"feed": {"url": "https://host/events?key=`+token+`", "auth": "bearer"}}`,
		map[string]string{settings.KeyFeedToken: token, settings.KeyFeedPassword: password}))
	require.NoError(t, err)

	js, err := json.Marshal(s)
	require.NoError(t, err)
	printed := []string{
		s.String(), fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s),
		fmt.Sprint(*s.Feed), fmt.Sprintf("%+v", *s.Feed), fmt.Sprintf("%#v", *s.Feed), fmt.Sprintf("%+v", s.Feed),
		fmt.Sprintf("%v %+v %#v", s.Feed.Token, s.Feed.Token, s.Feed.Token),
		fmt.Sprint(s.Feed.Config()), string(js),
	}
	for _, out := range printed {
		require.NotContains(t, out, token)
		require.NotContains(t, out, password)
	}
	require.Contains(t, s.String(), "url=https://host/events auth=bearer")
	require.Contains(t, fmt.Sprintf("%+v", s.Feed), "token=set password=set")
	require.Equal(t, "[redacted]", fmt.Sprint(s.Feed.Token))

	t.Run("errors about a URL with credentials do not repeat them", func(t *testing.T) {
		for _, url := range []string{"ftp://reader:" + password + "@host/", "https://reader:" + password + "@bad host/"} {
			_, err := settings.Load(instance(`{"feed": {"url": "`+url+`"}}`, nil))
			require.Error(t, err)
			require.NotContains(t, err.Error(), password)
		}
	})
}

type demoSource struct{}

func (demoSource) Name() string { return "demo" }

func (demoSource) Fetch(context.Context) (*events.Set, events.Report, error) {
	return &events.Set{}, events.Report{}, nil
}

func TestSources(t *testing.T) {
	demo := func() source.Source { return demoSource{} }
	names := func(sources []source.Source) []string {
		var out []string
		for _, s := range sources {
			out = append(out, s.Name())
		}
		return out
	}

	tests := []struct {
		name     string
		jsonData string
		want     []string
	}{
		{"no configuration gives the demo", ``, []string{"demo"}},
		{"a feed gives the feed", `{"feed": {"url": "https://host"}}`, []string{"feed"}},
		{"a feed and the demo give the feed first", `{"demo": true, "feed": {"url": "https://host"}}`, []string{"feed", "demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := settings.Load(instance(tt.jsonData, nil))
			require.NoError(t, err)
			sources, err := s.Sources(settings.Host{Demo: demo})
			require.NoError(t, err)
			require.Equal(t, tt.want, names(sources))
		})
	}

	t.Run("the demo on without a demo source is a wiring error", func(t *testing.T) {
		_, err := settings.Settings{Demo: true}.Sources(settings.Host{})
		require.EqualError(t, err, "settings: demo is on but no demo source was given")
	})
}
