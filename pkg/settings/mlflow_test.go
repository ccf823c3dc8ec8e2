package settings_test

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/settings"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/mlflow"
)

const mlflowPassword = "mlfl0w-pa55"

func mlflowDefaults() *settings.MLflow {
	return &settings.MLflow{
		URL: "http://mlflow:5000", Auth: mlflow.AuthNone, Environment: "production",
		PageSize: 1000, Timeout: 30 * time.Second, PollInterval: time.Minute,
	}
}

func TestLoadMLflow(t *testing.T) {
	secure := map[string]string{settings.KeyMLflowPassword: mlflowPassword, settings.KeyMLflowToken: token}
	tests := []struct {
		name     string
		jsonData string
		demo     bool
		want     func(m *settings.MLflow)
	}{
		{
			name:     "a url alone takes the defaults and turns the demo off",
			jsonData: `{"mlflow": {"url": "http://mlflow:5000"}}`,
		},
		{
			name:     "the demo can stay on beside MLflow",
			jsonData: `{"demo": true, "mlflow": {"url": " http://mlflow:5000 "}}`,
			demo:     true,
		},
		{
			name: "every setting is read, numbers also as strings, and a directory is not taken from jsonData",
			jsonData: `{"environment": "prod", "mlflow": {"url": "http://mlflow:5000", "auth": "Basic", "username": " ana ",
				"experiments": ["churn", " ", "12"], "models": ["churn"], "services": {" /Users/ana/churn ": "churn"},
				"productionAliases": ["live"], "legacyStage": "-", "baselineAlias": "base", "baselineTag": "is_base",
				"deployedAtTag": "went_live", "pageSize": "200", "timeoutSeconds": 5, "pollSeconds": "15", "stateDir": "/etc"}}`,
			want: func(m *settings.MLflow) {
				m.Auth, m.Username, m.Password, m.Environment = mlflow.AuthBasic, "ana", mlflowPassword, "prod"
				m.Experiments, m.Models = []string{"churn", "12"}, []string{"churn"}
				m.Services = map[string]string{"/Users/ana/churn": "churn"}
				m.ProductionAliases, m.LegacyStage = []string{"live"}, "-"
				m.BaselineAlias, m.BaselineTag, m.DeployedAtTag = "base", "is_base", "went_live"
				m.PageSize, m.Timeout, m.PollInterval = 200, 5*time.Second, 15*time.Second
			},
		},
		{
			name:     "an object without a url is no MLflow source",
			jsonData: `{"mlflow": {"auth": "basic"}}`,
			demo:     true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.Load(instance(tt.jsonData, secure))
			require.NoError(t, err)
			require.Equal(t, tt.demo, got.Demo)
			if tt.want == nil && tt.demo && tt.name == "an object without a url is no MLflow source" {
				require.Nil(t, got.MLflow)
				return
			}
			want := mlflowDefaults()
			if tt.want != nil {
				tt.want(want)
			}
			// The secrets are loaded, and kept for the chosen auth only.
			want.Token = token
			if want.Auth != mlflow.AuthBasic {
				want.Password = mlflowPassword
			}
			require.Equal(t, want, got.MLflow)
		})
	}

	t.Run("only the secret of the chosen auth is passed on", func(t *testing.T) {
		got, err := settings.Load(instance(`{"mlflow": {"url": "http://m", "auth": "bearer"}}`, secure))
		require.NoError(t, err)
		cfg := got.MLflow.Config("uid")
		require.Equal(t, token, cfg.Token)
		require.Empty(t, cfg.Password)
	})
}

func TestLoadMLflowErrors(t *testing.T) {
	tests := []struct {
		name     string
		jsonData string
		secure   map[string]string
		want     string
	}{
		{"a url with a path to the API", `{"mlflow": {"url": "http://m:5000/api/2.0/mlflow"}}`, nil,
			"mlflow: url must be the server's base address, without /api/2.0/mlflow"},
		{"a url with credentials in it", `{"mlflow": {"url": "http://ana:pw@m:5000"}}`, nil,
			"mlflow: url holds a username or password, which jsonData would keep unencrypted"},
		{"basic without a password", `{"mlflow": {"url": "http://m", "auth": "basic", "username": "ana"}}`, nil,
			"mlflow: auth is basic but the username or password is missing"},
		{"bearer without a token", `{"mlflow": {"url": "http://m", "auth": "bearer"}}`, nil,
			"mlflow: auth is bearer but no token is saved"},
		{"an unknown auth", `{"mlflow": {"url": "http://m", "auth": "kerberos"}}`, nil,
			`mlflow: auth is "kerberos": use none, bearer or basic`},
		{"a poll of half a second", `{"mlflow": {"url": "http://m", "pollSeconds": 0.5}}`, nil,
			"mlflow: pollSeconds is 0.5: use one second or more"},
		{"a poll too far apart", `{"mlflow": {"url": "http://m", "pollSeconds": 1e10}}`, nil,
			"mlflow: pollSeconds is 1e10: use a number of seconds up to 86400, or leave it empty for 60"},
		{"a negative timeout", `{"mlflow": {"url": "http://m", "timeoutSeconds": -1}}`, nil,
			"mlflow: timeoutSeconds is -1: use a number of seconds up to 300, or leave it empty for 30"},
		{"a timeout longer than a fetch", `{"mlflow": {"url": "http://m", "timeoutSeconds": 301}}`, nil,
			"mlflow: timeoutSeconds is 301: use a number of seconds up to 300"},
		{"a page size that is not whole", `{"mlflow": {"url": "http://m", "pageSize": 10.5}}`, nil,
			"mlflow: pageSize is 10.5: use a whole number from 1 to 50000"},
		{"a page size that is not a number", `{"mlflow": {"url": "http://m", "pageSize": "many"}}`, nil,
			`mlflow: pageSize is "many", not a number`},
		{"experiments as text", `{"mlflow": {"url": "http://m", "experiments": "churn"}}`, nil,
			`mlflow: experiments is a JSON string: use a list of names such as ["churn"]`},
		{"services as a list", `{"mlflow": {"url": "http://m", "services": ["churn"]}}`, nil,
			`mlflow: services is a JSON array: use an object such as {"/Users/ana/churn": "churn"}`},
		{"a service without a name", `{"mlflow": {"url": "http://m", "services": {"churn": " "}}}`, nil,
			`mlflow: services maps "churn" to "": give both`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := settings.Load(instance(tt.jsonData, tt.secure))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestMLflowSecretsStayOut(t *testing.T) {
	got, err := settings.Load(instance(`{"mlflow": {"url": "http://m", "auth": "basic", "username": "ana"}}`,
		map[string]string{settings.KeyMLflowPassword: mlflowPassword, settings.KeyMLflowToken: token}))
	require.NoError(t, err)
	raw, err := json.Marshal(got)
	require.NoError(t, err)
	for _, out := range []string{got.String(), fmt.Sprintf("%v %+v %#v", got, got, got), string(raw), got.MLflow.String()} {
		require.NotContains(t, out, mlflowPassword)
		require.NotContains(t, out, token)
	}
}

func TestMLflowSources(t *testing.T) {
	dir := t.TempDir()
	s, err := settings.Load(instance(`{"demo": true, "feed": {"url": "https://host"}, "mlflow": {"url": "http://127.0.0.1:1"}}`, nil))
	require.NoError(t, err)

	sources, err := s.Sources(settings.Host{Demo: func() source.Source { return demoSource{} }, Key: "1-abc", StateDir: dir})
	require.NoError(t, err)
	var names []string
	for _, src := range sources {
		names = append(names, src.Name())
	}
	require.Equal(t, []string{"feed", "mlflow", "demo"}, names)
	require.Implements(t, (*source.Checker)(nil), sources[1])
	require.Implements(t, (*io.Closer)(nil), sources[1], "the plugin closes the alias history with the instance")

	m := sources[1].(*mlflow.Source)
	require.Equal(t, dir, m.StateDir(), "the plugin-wide directory keeps the history")
	require.NoError(t, m.Close())

	t.Run("a stateDir in jsonData does not move the history", func(t *testing.T) {
		s, err := settings.Load(instance(`{"mlflow": {"url": "http://127.0.0.1:1", "stateDir": "/etc"}}`, nil))
		require.NoError(t, err)
		sources, err := s.Sources(settings.Host{Key: "1-abc", StateDir: dir})
		require.NoError(t, err)
		m := sources[0].(*mlflow.Source)
		defer func() { _ = m.Close() }()
		require.Equal(t, dir, m.StateDir())
	})
}
