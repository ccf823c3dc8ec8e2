package settings_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/settings"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/github"
)

const githubToken = "github_pat_11AAAAexampleexample"

func privateKey(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

func githubDefaults() *settings.GitHub {
	return &settings.GitHub{
		Auth:          "token",
		Token:         githubToken,
		Repositories:  []github.Repository{{Owner: "acme", Name: "churn-model"}},
		IncidentLabel: "incident",
		Environment:   "production",
		Lookback:      90 * 24 * time.Hour,
		History:       180 * 24 * time.Hour,
		MaxInFlight:   4,
		Timeout:       2 * time.Minute,
	}
}

func TestLoadGitHub(t *testing.T) {
	withToken := map[string]string{settings.KeyGitHubToken: githubToken}
	tests := []struct {
		name     string
		jsonData string
		demo     bool
		want     func(g *settings.GitHub)
	}{
		{
			name:     "one repository and a saved token take the defaults and turn the demo off",
			jsonData: `{"github": {"repositories": [{"repo": "acme/churn-model"}]}}`,
		},
		{
			name:     "the demo can stay on beside GitHub",
			jsonData: `{"demo": true, "github": {"repositories": [{"repo": "acme/churn-model"}]}}`,
			demo:     true,
		},
		{
			name:     "rows with no repository are left out",
			jsonData: `{"github": {"repositories": [{"repo": " "}, {"repo": " acme/churn-model "}, {"service": "x"}]}}`,
		},
		{
			name:     "numbers saved as strings are read, and the environment comes from the top level",
			jsonData: `{"environment": "prod", "github": {"lookbackDays": "30", "maxInFlight": "2", "repositories": [{"repo": "acme/churn-model"}]}}`,
			want: func(g *settings.GitHub) {
				g.Environment, g.Lookback, g.MaxInFlight = "prod", 30*24*time.Hour, 2
			},
		},
		{
			name: "every setting is read",
			jsonData: `{"github": {"baseUrl": " https://ghe.acme.io ", "auth": "Token", "incidentLabel": "outage",
				"lookbackDays": 14, "historyDays": 60, "maxInFlight": 8, "timeoutSeconds": 90,
				"repositories": [{"repo": "acme/ml-platform", "service": "platform", "team": "ml", "incidentLabel": "sev",
					"paths": [{"globs": ["models/churn/**", " "], "service": "churn", "team": "growth"}, {"globs": [], "service": ""}],
					"deployments": [
						{"from": "deployments", "environments": {" prod ": "production"}},
						{"from": "workflow", "workflow": "deploy.yml", "environment": "staging", "service": "churn"},
						{"from": "releases", "tagPrefix": "features/"}]}]}}`,
			want: func(g *settings.GitHub) {
				g.BaseURL, g.IncidentLabel = "https://ghe.acme.io", "outage"
				g.Lookback, g.History, g.MaxInFlight, g.Timeout = 14*24*time.Hour, 60*24*time.Hour, 8, 90*time.Second
				g.Repositories = []github.Repository{{
					Owner: "acme", Name: "ml-platform", Service: "platform", Team: "ml", IncidentLabel: "sev",
					Paths: []github.PathService{{Globs: []string{"models/churn/**"}, Service: "churn", Team: "growth"}},
					Deployments: []github.Deployments{
						// Load keeps the rules as saved: the Source fills in
						// the default environment on its own copy.
						{From: "deployments", Environments: map[string]string{"prod": "production"}},
						{From: "workflow", Workflow: "deploy.yml", Environment: "staging", Service: "churn"},
						{From: "releases", TagPrefix: "features/"},
					},
				}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settings.Load(instance(tt.jsonData, withToken))
			require.NoError(t, err)
			want := githubDefaults()
			if tt.want != nil {
				tt.want(want)
			}
			require.Equal(t, tt.demo, got.Demo)
			require.Equal(t, want, got.GitHub)
		})
	}

	t.Run("a github object without repositories is no GitHub source", func(t *testing.T) {
		got, err := settings.Load(instance(`{"github": {"auth": "token", "repositories": []}}`, withToken))
		require.NoError(t, err)
		require.Nil(t, got.GitHub)
		require.True(t, got.Demo)
	})

	t.Run("a GitHub App passes its id, installation and key, and no leftover token", func(t *testing.T) {
		key := privateKey(t)
		got, err := settings.Load(instance(
			`{"github": {"auth": "app", "appId": "12345", "installationId": 678, "repositories": [{"repo": "acme/churn-model"}]}}`,
			map[string]string{settings.KeyGitHubToken: githubToken, settings.KeyGitHubAppPrivateKey: key}))
		require.NoError(t, err)
		cfg := got.GitHub.Config()
		require.Equal(t, int64(12345), cfg.AppID)
		require.Equal(t, int64(678), cfg.InstallationID)
		require.Equal(t, key[:len(key)-1], cfg.PrivateKey, "the key is saved without its trailing newline")
		require.Empty(t, cfg.Token)
	})
}

func TestLoadGitHubRefusesBadSettings(t *testing.T) {
	repo := `"repositories": [{"repo": "acme/churn-model"}]`
	withToken := map[string]string{settings.KeyGitHubToken: githubToken}
	tests := []struct {
		name     string
		jsonData string
		secure   map[string]string
		wantErr  string
	}{
		{"a token sign-in without a saved token", `{"github": {` + repo + `}}`, nil,
			"github: auth is token but no token is saved: save a personal access token, or set auth to app for a GitHub App"},
		{"an unknown sign-in method", `{"github": {"auth": "oauth", ` + repo + `}}`, withToken,
			`github: auth is "oauth": use token or app`},
		{"an app id that is not a number", `{"github": {"auth": "app", "appId": "my-app", ` + repo + `}}`, nil,
			`github: appId is "my-app", not a number: use the number on the app's settings page`},
		{"a fractional installation id", `{"github": {"auth": "app", "appId": 1, "installationId": 2.5, ` + repo + `}}`, nil,
			"github: installationId is 2.5: use the number that ends the URL of the installation's settings page"},
		{"an app without a private key", `{"github": {"auth": "app", "appId": 1, "installationId": 2, ` + repo + `}}`, withToken,
			"github: the GitHub App has no private key saved: generate one on the app's settings page and save the .pem file's text"},
		{"an app without an installation id", `{"github": {"auth": "app", "appId": 1, ` + repo + `}}`, nil,
			"github: the GitHub App has no installation id: set it (it ends the URL of the installation's settings page)"},
		{"a repository without an owner", `{"github": {"repositories": [{"repo": "churn-model"}]}}`, withToken,
			`github: repository "churn-model/" is not owner/repo: write it as owner/repo, or owner/pattern such as acme/ml-*`},
		{"a workflow rule without a workflow", `{"github": {"repositories": [{"repo": "acme/m", "deployments": [{"from": "workflow"}]}]}}`, withToken,
			"github: acme/m: deployments from a workflow need the workflow's file name, such as deploy.yml"},
		{"an unknown deployment source", `{"github": {"repositories": [{"repo": "acme/m", "deployments": [{"from": "argo"}]}]}}`, withToken,
			`github: acme/m: deployments from "argo": use deployments, releases or workflow`},
		{"a path mapping without a service", `{"github": {"repositories": [{"repo": "acme/m", "paths": [{"globs": ["a/**"]}]}]}}`, withToken,
			"github: acme/m: a path mapping has no service: name the service its globs belong to"},
		{"a negative lookback", `{"github": {"lookbackDays": -3, ` + repo + `}}`, withToken,
			"github: lookbackDays is -3: use a number of days, or leave it empty for 90"},
		{"a history that is not a number", `{"github": {"historyDays": "half a year", ` + repo + `}}`, withToken,
			`github: historyDays is "half a year", not a number: use a number of days, or leave it empty for 180`},
		{"too many requests in flight", `{"github": {"maxInFlight": 50, ` + repo + `}}`, withToken,
			"github: maxInFlight is 50, more than the 20 GitHub tolerates without secondary rate limits: lower it"},
		{"a timeout over the fetch limit", `{"github": {"timeoutSeconds": 900, ` + repo + `}}`, withToken,
			"github: timeoutSeconds is 900, more than the 300 a fetch may take: lower it"},
		{"a base URL that is not one", `{"github": {"baseUrl": "ghe.acme.io", ` + repo + `}}`, withToken,
			`github: base URL "ghe.acme.io" is not valid: write it as https://github.example.com, or leave it empty for github.com`},
		{"repositories that are not a list", `{"github": {"repositories": "acme/churn-model"}}`, withToken,
			"github: repositories is a JSON string: use a list of objects"},
		{"globs that are not a list", `{"github": {"repositories": [{"repo": "acme/m", "paths": [{"globs": "a/**"}]}]}}`, withToken,
			`github: repositories.paths.globs is a JSON string: use a list of globs such as ["models/churn/**"]`},
		{"a github section that is not an object", `{"github": true}`, withToken,
			`github is a JSON bool: use an object such as {"repositories": [{"repo": "owner/name"}]}`},
	}
	for _, tt := range tests {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			_, err := settings.Load(instance(tt.jsonData, tt.secure))
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestGitHubSecretsAreRedacted(t *testing.T) {
	key := privateKey(t)
	for _, auth := range []string{"token", "app"} {
		t.Run("with "+auth+" sign-in", func(t *testing.T) {
			s, err := settings.Load(instance(
				`{"github": {"auth": "`+auth+`", "appId": 1, "installationId": 2, "repositories": [{"repo": "acme/churn-model"}]}}`,
				map[string]string{settings.KeyGitHubToken: githubToken, settings.KeyGitHubAppPrivateKey: key}))
			require.NoError(t, err)

			js, err := json.Marshal(s)
			require.NoError(t, err)
			printed := []string{
				s.String(), fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s),
				fmt.Sprint(*s.GitHub), fmt.Sprintf("%+v", *s.GitHub), fmt.Sprintf("%#v", *s.GitHub), fmt.Sprintf("%+v", s.GitHub),
				fmt.Sprint(s.GitHub.Config()), fmt.Sprintf("%#v", s.GitHub.Config()), string(js),
			}
			for _, out := range printed {
				require.NotContains(t, out, githubToken)
				require.NotContains(t, out, "PRIVATE KEY")
			}
			require.Contains(t, s.String(), "repositories=acme/churn-model")
			require.Contains(t, string(js), `"Token":"[redacted]"`)
			require.Contains(t, string(js), `"PrivateKey":"[redacted]"`)
		})
	}
}

func TestGitHubSources(t *testing.T) {
	demo := func() source.Source { return demoSource{} }
	s, err := settings.Load(instance(
		`{"demo": true, "feed": {"url": "https://host"}, "github": {"repositories": [{"repo": "acme/churn-model"}]}}`,
		map[string]string{settings.KeyGitHubToken: githubToken}))
	require.NoError(t, err)

	sources, err := s.Sources(settings.Host{Demo: demo})
	require.NoError(t, err)
	var names []string
	for _, src := range sources {
		names = append(names, src.Name())
	}
	require.Equal(t, []string{"feed", "github", "demo"}, names)
	require.Implements(t, (*source.Checker)(nil), sources[1], "the GitHub source reports its quota to the health check")
}
