package source

import (
	"net/http"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// NewHTTPClient builds a connector's HTTP client on the SDK's, from opts
// (typically the data source's HTTPClientOptions). timeout bounds each
// request; any basic auth in opts is dropped, since a connector sets its own
// credentials in auth, the middleware named name that runs last.
func NewHTTPClient(opts httpclient.Options, timeout time.Duration, name string, auth httpclient.MiddlewareFunc) (*http.Client, error) {
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
		httpclient.NamedMiddlewareFunc(name, auth))
	return httpclient.New(opts)
}
