package github

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/stretchr/testify/require"
)

func TestRepositoryPatternsTakeTheMatchingRepositories(t *testing.T) {
	f := newFake(t, &fakeClock{t: testNow}, "owners.json")
	s := newSource(t, f, Config{Repositories: []Repository{
		{Owner: "acme", Name: "*-model", Team: "ml"},
		{Owner: "mona", Name: "toy-*"}, // a user, not an organization
		{Owner: "acme", Name: "ml-platform", Service: "platform"},
		{Owner: "acme", Name: "churn-*"}, // already taken by the first pattern
	}})

	repos, err := s.expand(context.Background())
	require.NoError(t, err)
	var got []string
	for _, r := range repos {
		got = append(got, fmt.Sprintf("%s → %s/%s", r.FullName(), r.Service, r.Team))
	}
	// legacy-model is archived; churn-model is read once, as the first
	// entry that matches it says.
	require.Equal(t, []string{
		"acme/churn-model → churn-model/ml",
		"acme/ranker-model → ranker-model/ml",
		"mona/toy-model → toy-model/",
		"acme/ml-platform → platform/",
	}, got)
	require.Equal(t, 1, f.hits("/users/mona/repos"), "after /orgs/mona/repos answered 404")
}

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"models/churn/**", "models/churn/train.py", true},
		{"models/churn/**", "models/churn/deep/er/x.py", true},
		{"models/churn/**", "models/churner/train.py", false},
		{"models/*/train.py", "models/churn/train.py", true},
		{"models/*/train.py", "models/churn/v2/train.py", false},
		{"**/*.sql", "pipelines/features/q.sql", true},
		{"**/*.sql", "q.sql", true},
		{"schemas/*.json", "schemas/a.json", true},
		{"schemas/*.json", "schemas/v1/a.json", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s matching %s is %t", tt.glob, tt.name, tt.want), func(t *testing.T) {
			require.Equal(t, tt.want, matchGlob(tt.glob, tt.name))
		})
	}
}

func TestCauseLine(t *testing.T) {
	tests := []struct {
		body, want string
		found      bool
	}{
		{body: "Cause: deployment 103", want: "deployment 103", found: true},
		{body: "Impact: all scores 0\n**Cause:** #42\r\nmore", want: "#42", found: true},
		{body: "caused by: `4f1c2e9`", want: "4f1c2e9", found: true},
		{body: "Because: nobody knows", found: false},
		{body: "The cause: unknown", found: false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q gives %q", tt.body, tt.want), func(t *testing.T) {
			got, ok := causeLine(tt.body)
			require.Equal(t, tt.found, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCauseResolvesToADeployment(t *testing.T) {
	res := &repoResult{
		changes: []change{{number: 4}},
		deployments: []deployment{
			{ref: "v1.2.0", shipped: []string{"aaaa1111bbbb2222"}},
			{ref: "9001"},
		},
	}
	res.changes[0].ID = "acme/x/pull/4"
	res.deployments[0].ID, res.deployments[0].Environment, res.deployments[0].Status = "acme/x/releases/v1.2.0", "production", "success"
	res.deployments[0].Commit, res.deployments[0].Changes = "cccc3333dddd4444", []string{"acme/x/pull/4"}
	res.deployments[1].ID, res.deployments[1].Environment, res.deployments[1].Status = "acme/x/actions/runs/9001", "staging", "success"
	ci := newCauseIndex("production", res)

	tests := []struct{ cause, want string }{
		{"deployment v1.2.0", "acme/x/releases/v1.2.0"},
		{"deployment 9001", "acme/x/actions/runs/9001"},
		{"deployment acme/x/actions/runs/9001", "acme/x/actions/runs/9001"},
		{"#4", "acme/x/releases/v1.2.0"},
		{"PR #4", "acme/x/releases/v1.2.0"},
		{"https://github.com/acme/x/pull/4", "acme/x/releases/v1.2.0"},
		{"aaaa111", "acme/x/releases/v1.2.0"},             // a commit it shipped
		{"commit CCCC3333DDDD", "acme/x/releases/v1.2.0"}, // the commit it deployed
		{"#5", ""},
		{"deployment 1", ""},
		{"the config change", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q names %q", tt.cause, tt.want), func(t *testing.T) {
			require.Equal(t, tt.want, ci.resolve(tt.cause))
		})
	}
}

func TestNextLink(t *testing.T) {
	h := `<https://api.github.com/repositories/1/pulls?page=2>; rel="next", <https://api.github.com/repositories/1/pulls?page=5>; rel="last"`
	require.Equal(t, "https://api.github.com/repositories/1/pulls?page=2", nextLink(h))
	require.Empty(t, nextLink(`<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"`))
	require.Empty(t, nextLink(""))
}

func TestConfigValidate(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	repo := []Repository{{Owner: "acme", Name: "churn-model"}}

	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no credentials ask for a token or an app", Config{Repositories: repo},
			"github: no token is saved and no GitHub App is set"},
		{"a token and an app at once are refused", Config{Token: "t", AppID: 1, Repositories: repo},
			"github: both a token and a GitHub App are set: keep one of them"},
		{"an app without an installation id says where to find it", Config{AppID: 1, PrivateKey: ecPEM, Repositories: repo},
			"github: the GitHub App has no installation id"},
		{"a private key that is not PEM asks for the whole file", Config{AppID: 1, InstallationID: 2, PrivateKey: "MIIE...", Repositories: repo},
			"github: the GitHub App private key is not PEM text"},
		{"a private key that is not RSA is refused", Config{AppID: 1, InstallationID: 2, PrivateKey: ecPEM, Repositories: repo},
			"github: the GitHub App private key is not an RSA key"},
		{"no repositories ask for one", Config{Token: "t"},
			"github: no repositories are set"},
		{"a repository without an owner is refused", Config{Token: "t", Repositories: []Repository{{Name: "churn-model"}}},
			`github: repository "/churn-model" is not owner/repo`},
		{"an unknown deployment source is refused", Config{Token: "t", Repositories: []Repository{{Owner: "a", Name: "b", Deployments: []Deployments{{From: "tags"}}}}},
			`github: a/b: deployments from "tags": use deployments, releases or workflow`},
		{"a workflow rule needs the workflow", Config{Token: "t", Repositories: []Repository{{Owner: "a", Name: "b", Deployments: []Deployments{{From: FromWorkflow}}}}},
			"github: a/b: deployments from a workflow need the workflow's file name"},
		{"a path mapping needs a service", Config{Token: "t", Repositories: []Repository{{Owner: "a", Name: "b", Paths: []PathService{{Globs: []string{"x/**"}}}}}},
			"github: a/b: a path mapping has no service"},
		{"a base URL with credentials is refused", Config{Token: "t", BaseURL: "https://me:pw@git.example.com", Repositories: repo},
			"github: base URL holds a username, password or query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			require.ErrorContains(t, err, tt.wantErr)
			require.NotContains(t, err.Error(), "pw")
		})
	}
	require.NoError(t, Config{Token: "t", Repositories: repo}.Validate())
}

func TestNewLeavesTheCallersConfigAsItWas(t *testing.T) {
	cfg := Config{
		Token: "t",
		Repositories: []Repository{{
			Owner: " acme ", Name: "churn-model",
			Paths: []PathService{{Globs: []string{"models/churn/**"}, Service: "churn"}},
			Deployments: []Deployments{
				{From: FromReleases},
				{From: FromWorkflow, Workflow: "deploy.yml", Environment: "staging"},
			},
		}},
	}
	want := Config{
		Token: "t",
		Repositories: []Repository{{
			Owner: " acme ", Name: "churn-model",
			Paths: []PathService{{Globs: []string{"models/churn/**"}, Service: "churn"}},
			Deployments: []Deployments{
				{From: FromReleases},
				{From: FromWorkflow, Workflow: "deploy.yml", Environment: "staging"},
			},
		}},
	}

	s, err := New(cfg, httpclient.Options{})
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	require.Equal(t, want, cfg, "no default was written into the caller's slices")

	got := s.cfg.Repositories[0]
	require.Equal(t, "acme", got.Owner)
	require.Equal(t, "production", got.Deployments[0].Environment, "the Source has its defaults")
	require.Equal(t, "staging", got.Deployments[1].Environment)
}

func TestConfigStringLeavesOutSecrets(t *testing.T) {
	cfg := Config{Token: "github_pat_secret", PrivateKey: "-----BEGIN", Repositories: []Repository{{Owner: "a", Name: "b"}}}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%#v", cfg)} {
		require.NotContains(t, s, "github_pat_secret")
		require.NotContains(t, s, "BEGIN")
		require.Contains(t, s, "token=set")
		require.Contains(t, s, "repositories=a/b")
	}
}
