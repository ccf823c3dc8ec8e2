package source_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

func TestRequestFailure(t *testing.T) {
	get := func(ctx context.Context, client *http.Client, url string) source.Failure {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/?token=s3cret", nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		require.Error(t, err)
		f := source.RequestFailure(ctx, err)
		require.NotContains(t, f.Cause.Error(), "s3cret", "the cause no longer quotes the URL")
		return f
	}
	ctx := context.Background()

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		require.Equal(t, source.FailureRefused, get(ctx, http.DefaultClient, "http://"+addr).Kind)
	})

	t.Run("an untrusted certificate", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		require.Equal(t, source.FailureCertificate, get(ctx, http.DefaultClient, srv.URL).Kind)
	})

	t.Run("a connection closed without an answer", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				// Read the request, as a server of another protocol would,
				// and hang up without a word.
				_, _ = c.Read(make([]byte, 4096))
				_ = c.Close()
			}
		}()
		f := get(ctx, http.DefaultClient, "http://"+l.Addr().String())
		require.Equal(t, source.FailureReset, f.Kind, "%v", f.Cause)
	})

	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	t.Cleanup(func() { close(hang); slow.Close() })

	t.Run("no answer in time", func(t *testing.T) {
		client := &http.Client{Timeout: 50 * time.Millisecond}
		require.Equal(t, source.FailureTimeout, get(ctx, client, slow.URL).Kind)
	})

	t.Run("the caller gave up", func(t *testing.T) {
		stopped, cancel := context.WithCancel(ctx)
		cancel()
		require.Equal(t, source.FailureStopped, get(stopped, http.DefaultClient, slow.URL).Kind)
	})
}
