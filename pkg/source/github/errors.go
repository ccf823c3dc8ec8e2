package github

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// No message here quotes a token or an Authorization header; the URLs are
// those of the API and carry no secret.

// statusError explains an answer that is neither a success nor a 304.
func (c *client) statusError(a answer, k call) error {
	code, body := a.code, a.body
	if (code >= 200 && code < 300) || code == http.StatusNotModified {
		if mt, _, _ := mime.ParseMediaType(a.header.Get("Content-Type")); mt == "text/html" {
			return c.baseURLError("an HTML page")
		}
		return nil
	}
	status := strings.TrimSpace(fmt.Sprintf("%d %s", code, http.StatusText(code)))
	fromGitHub := a.header.Get("X-GitHub-Media-Type") != "" || a.header.Get("X-GitHub-Request-Id") != ""

	switch {
	case !fromGitHub && (code == http.StatusNotFound || looksLikeHTML(body)):
		return c.baseURLError(status)
	case code == http.StatusUnauthorized && k.what == appTokenCall:
		return backend.DownstreamErrorf("github: the GitHub App was refused (%s): check the app id and that the private key is the app's current one", status)
	case code == http.StatusUnauthorized:
		if c.token == "" {
			return backend.DownstreamErrorf("github: the GitHub App's installation token was refused (%s): check the installation id and that the app is still installed", status)
		}
		return backend.DownstreamErrorf("github: GitHub answered %s: check the token, it may be mistyped, expired or revoked", status)
	case code == http.StatusForbidden:
		return backend.DownstreamErrorf("github: reading %s%s was refused (%s%s): %s",
			k.what, ofRepo(k.repo), status, githubMessage(body), permissionFix(a.header, k))
	case code == http.StatusNotFound && k.notFound != "":
		return backend.DownstreamError(&notFoundError{k.notFound})
	case code == http.StatusNotFound && k.repo != "":
		return backend.DownstreamErrorf("github: repository %s was not found (%s): check owner/repo, and that the token may read it (GitHub answers 404 for a private repository the token cannot see)",
			k.repo, status)
	case code >= 500:
		return backend.DownstreamErrorf("github: GitHub failed to serve %s%s (%s): try again later, or check githubstatus.com or the server's status",
			k.what, ofRepo(k.repo), status)
	}
	return backend.DownstreamErrorf("github: reading %s%s failed (%s%s)", k.what, ofRepo(k.repo), status, githubMessage(body))
}

func ofRepo(repo string) string {
	if repo == "" {
		return ""
	}
	return " of " + repo
}

// permissionFix names the permission a refused request needs. GitHub says
// which one in X-Accepted-GitHub-Permissions when it can.
func permissionFix(h http.Header, k call) string {
	perm := k.permission
	if accepted := h.Get("X-Accepted-GitHub-Permissions"); accepted != "" {
		perm = accepted
	}
	if perm == "" {
		return "grant the token read access to it"
	}
	return fmt.Sprintf("the token or app lacks the %s permission: grant it (read-only is enough), or for a classic token the repo scope", perm)
}

// githubMessage returns ": message" from a GitHub error body, if any.
func githubMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		return ""
	}
	return ": " + e.Message
}

func (c *client) baseURLError(got string) error {
	return backend.DownstreamErrorf("github: %s answered with %s, not as the GitHub API does: the base URL looks wrong; for GitHub Enterprise Server use https://your-host (the plugin adds /api/v3), for github.com leave it empty",
		c.rest.String(), got)
}

// requestError explains a failure to get an answer at all.
func (c *client) requestError(ctx context.Context, err error) error {
	host := c.rest.Host
	failure := source.RequestFailure(ctx, err)
	switch failure.Kind {
	case source.FailureStopped:
		return fmt.Errorf("github: the request was stopped: %w", context.Cause(ctx))
	case source.FailureDNS:
		return backend.DownstreamErrorf("github: could not find the host %s (%s): check the base URL", host, failure.DNS)
	case source.FailureRefused:
		return backend.DownstreamErrorf("github: could not connect to %s, the connection was refused: check the base URL", host)
	case source.FailureTimeout:
		return backend.DownstreamErrorf("github: %s did not answer in time: check the base URL and that the server is up", host)
	case source.FailureCertificate:
		return backend.DownstreamErrorf("github: the TLS certificate of %s is not trusted (%v): fix the server's certificate or trust its CA", host, failure.Cause)
	}
	return backend.DownstreamErrorf("github: could not reach %s (%v): check the base URL", host, failure.Cause)
}

// notFoundError is a 404 with a message of the caller's.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
