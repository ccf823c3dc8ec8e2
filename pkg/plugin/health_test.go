package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"
)

const githubToken = "github_pat_never-show-me"

// githubServer answers as the REST API of a GitHub Enterprise Server with
// one repository, acme/churn-model, that has no pull requests or issues.
// It refuses every request when refuse is set, and counts the listings.
func githubServer(t *testing.T, refuse bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	reset := time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC).Unix()
	var listings atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-GitHub-Request-Id", "CAFE:1")
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4870")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(reset))
		w.Header().Set("X-RateLimit-Resource", "core")
		if refuse || !strings.Contains(r.Header.Get("Authorization"), githubToken) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message": "Bad credentials"}`))
			return
		}
		switch path := r.URL.Path; {
		case path == "/api/v3/rate_limit":
			fmt.Fprintf(w, `{"resources": {"core": {"limit": 5000, "remaining": 4870, "reset": %d}}}`, reset)
		case path == "/api/v3/repos/acme/churn-model":
			_, _ = w.Write([]byte(`{"name": "churn-model", "full_name": "acme/churn-model", "default_branch": "main"}`))
		case strings.HasPrefix(path, "/api/v3/repos/acme/churn-model/"):
			listings.Add(1)
			_, _ = w.Write([]byte(`[]`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message": "Not Found"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &listings
}

func githubDS(t *testing.T, srv *httptest.Server) *Datasource {
	return newDS(t, fmt.Sprintf(`{"github": {"baseUrl": %q, "repositories": [{"repo": "acme/churn-model"}]}}`, srv.URL),
		map[string]string{"githubToken": githubToken})
}

func TestHealthShowsTheGitHubQuota(t *testing.T) {
	srv, listings := githubServer(t, false)
	ds := githubDS(t, srv)

	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	quota := "GitHub API quota: 4,870 of 5,000 left, resets 14:05 UTC"
	require.Contains(t, res.Message, "Read github. "+quota+". Last 90 days: 0 changes")

	var h Health
	require.NoError(t, json.Unmarshal(res.JSONDetails, &h))
	require.Equal(t, []SourceHealth{{Name: "github", OK: true, Message: "0 events read; " + quota, Status: quota}}, h.Sources)
	require.Positive(t, listings.Load(), "the check is followed by a fetch")
}

func TestHealthStopsAtAFailedGitHubCheck(t *testing.T) {
	srv, listings := githubServer(t, true)
	ds := githubDS(t, srv)

	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusError, res.Status)
	require.Equal(t, "github: GitHub answered 401 Unauthorized: check the token, it may be mistyped, expired or revoked", res.Message)
	require.NotContains(t, res.Message, githubToken)
	require.Zero(t, listings.Load(), "a failed check is not followed by a fetch")
}
