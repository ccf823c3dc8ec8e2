package source

import (
	"net/http"
	"net/url"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// The ways a connector signs in to its server.
const (
	AuthNone   = "none"
	AuthBearer = "bearer"
	AuthBasic  = "basic"
)

// Server is the one server a connector reads, and how.
type Server struct {
	// Base is the server's address: only requests to its scheme and host
	// carry the credentials, so that a redirect elsewhere never does.
	Base *url.URL
	// Accept is the Accept header of every request.
	Accept string

	Auth     string // AuthNone, AuthBearer or AuthBasic
	Username string
	Password string
	Token    string
}

// NewHTTPClient builds a connector's HTTP client on the SDK's, from opts
// (typically the data source's HTTPClientOptions). timeout bounds each
// request. Any basic auth in opts is dropped: the middleware named name,
// which runs last, sets the Accept header and srv's own credentials.
func NewHTTPClient(opts httpclient.Options, timeout time.Duration, name string, srv Server) (*http.Client, error) {
	timeouts := httpclient.DefaultTimeoutOptions // a copy: the default is shared
	if opts.Timeouts != nil {
		timeouts = *opts.Timeouts
	}
	timeouts.Timeout = timeout
	opts.Timeouts = &timeouts
	opts.BasicAuth = nil
	if opts.Middlewares == nil {
		opts.Middlewares = httpclient.DefaultMiddlewares()
	}
	// Clip the capacity so that appending never writes into the caller's array.
	opts.Middlewares = append(opts.Middlewares[:len(opts.Middlewares):len(opts.Middlewares)],
		httpclient.NamedMiddlewareFunc(name, srv.middleware))
	return httpclient.New(opts)
}

func (srv Server) middleware(_ httpclient.Options, next http.RoundTripper) http.RoundTripper {
	return httpclient.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		req = req.Clone(req.Context()) // a RoundTripper must not change its caller's request
		req.Header.Set("Accept", srv.Accept)
		if req.URL.Scheme == srv.Base.Scheme && req.URL.Host == srv.Base.Host {
			switch srv.Auth {
			case AuthBearer:
				req.Header.Set("Authorization", "Bearer "+srv.Token)
			case AuthBasic:
				req.SetBasicAuth(srv.Username, srv.Password)
			}
		}
		return next.RoundTrip(req)
	})
}

// Saved describes a secret in a configuration's String: "set" or "unset",
// never the secret.
func Saved(secret string) string {
	if secret == "" {
		return "unset"
	}
	return "set"
}
