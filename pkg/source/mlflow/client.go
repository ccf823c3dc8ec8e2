package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// apiPath is the prefix of every REST API 2.0 endpoint.
const apiPath = "/api/2.0/mlflow/"

// maxBody caps one response; a page of a thousand runs with their tags is
// far below it.
const maxBody = 64 << 20

// Client calls the tracking server's REST API.
type Client struct {
	cfg  *Config
	base *url.URL
	http *http.Client
}

func newClient(cfg *Config, opts httpclient.Options) (*Client, error) {
	base, _ := parseURL(cfg.URL) // validated by withDefaults
	c := &Client{cfg: cfg, base: base}

	var err error
	c.http, err = source.NewHTTPClient(opts, cfg.Timeout, "fourkeys-mlflow", source.Server{
		Base: base, Accept: "application/json",
		Auth: cfg.Auth, Username: cfg.Username, Password: cfg.Password, Token: cfg.Token,
	})
	if err != nil {
		return nil, fmt.Errorf("mlflow: could not build the HTTP client: %w", err)
	}
	return c, nil
}

// get calls a GET endpoint with query parameters.
func (c *Client) get(ctx context.Context, endpoint string, q url.Values, out any) error {
	u := *c.base
	u.Path += apiPath + endpoint
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("mlflow: could not build the request for %s", endpoint)
	}
	return c.do(ctx, endpoint, req, out)
}

// post calls a POST endpoint with a JSON body.
func (c *Client) post(ctx context.Context, endpoint string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("mlflow: could not encode the request for %s: %w", endpoint, err)
	}
	u := *c.base
	u.Path += apiPath + endpoint
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("mlflow: could not build the request for %s", endpoint)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(ctx, endpoint, req, out)
}

func (c *Client) do(ctx context.Context, endpoint string, req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return c.requestError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("mlflow: reading %s was stopped: %w", endpoint, context.Cause(ctx))
		}
		return backend.DownstreamErrorf("mlflow: reading the answer of %s failed (%v): check the server", endpoint, err)
	}
	if len(body) > maxBody {
		return backend.DownstreamErrorf("mlflow: the answer of %s is larger than %d MiB: lower pageSize", endpoint, maxBody>>20)
	}
	if err := c.statusError(endpoint, resp.StatusCode, body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
			return backend.DownstreamErrorf("mlflow: %s answered with an HTML page, not JSON: check that the URL is the tracking server's (a login page or a proxy looks like this)", endpoint)
		}
		return backend.DownstreamErrorf("mlflow: the answer of %s is not the JSON expected (%v): check that the URL is an MLflow tracking server", endpoint, err)
	}
	return nil
}

// apiError is the body MLflow sends with a failure.
type apiError struct {
	Code    string `json:"error_code"`
	Message string `json:"message"`
}

func (c *Client) statusError(endpoint string, code int, body []byte) error {
	if code >= 200 && code < 300 {
		return nil
	}
	status := strconv.Itoa(code) + " " + http.StatusText(code)
	var ae apiError
	_ = json.Unmarshal(body, &ae)
	withCreds := c.cfg.Auth != AuthNone

	var fix string
	switch {
	case code == http.StatusUnauthorized:
		switch c.cfg.Auth {
		case AuthBearer:
			fix = "check the token"
		case AuthBasic:
			fix = "check the username and password"
		default:
			fix = "the server needs credentials, set auth to basic or bearer"
		}
	case code == http.StatusForbidden && withCreds:
		fix = "the credentials were accepted but may not read this, grant the user READ on the experiments and registered models"
	case code == http.StatusForbidden:
		fix = "the server refuses to answer without credentials, set auth to basic or bearer"
	case code == http.StatusNotFound && ae.Code == "RESOURCE_DOES_NOT_EXIST":
		fix = ae.Message
	case code == http.StatusNotFound:
		fix = "check that the URL is the tracking server's base address; if it is, the server may be too old for this endpoint, upgrade MLflow (2.3 or later for aliases)"
	case code == http.StatusTooManyRequests:
		fix = "the server limits how often it is read, raise pollSeconds and cacheSeconds"
	case code >= 500:
		return backend.DownstreamErrorf("mlflow: %s answered %s: the server failed, try again later or check its logs", endpoint, status)
	case ae.Message != "":
		fix = ae.Code + ": " + ae.Message
	default:
		fix = "check the URL"
	}
	return backend.DownstreamErrorf("mlflow: %s answered %s: %s", endpoint, status, fix)
}

func (c *Client) requestError(ctx context.Context, err error) error {
	host := c.base.Host
	failure := source.RequestFailure(ctx, err)
	switch failure.Kind {
	case source.FailureStopped:
		return fmt.Errorf("mlflow: the request was stopped: %w", context.Cause(ctx))
	case source.FailureDNS:
		return backend.DownstreamErrorf("mlflow: could not find the host %s (%s): check the URL", c.base.Hostname(), failure.DNS)
	case source.FailureTimeout:
		return backend.DownstreamErrorf("mlflow: %s did not answer within %s: check that the server is up, or raise timeoutSeconds", host, c.cfg.Timeout)
	case source.FailureRefused:
		return backend.DownstreamErrorf("mlflow: could not connect to %s, the connection was refused: check the host and port of the URL and that the tracking server is running", host)
	case source.FailureCertificate:
		return backend.DownstreamErrorf("mlflow: the TLS certificate of %s is not trusted (%v): fix the server's certificate or trust its CA", host, failure.Cause)
	case source.FailureReset:
		return backend.DownstreamErrorf("mlflow: %s closed the connection without answering: check that the URL's scheme (http or https) and port are right", host)
	}
	return backend.DownstreamErrorf("mlflow: could not reach %s (%v): check the URL and that the tracking server is running", host, failure.Cause)
}
