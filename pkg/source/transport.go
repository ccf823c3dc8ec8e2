package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
)

// FailureKind is why a request got no answer at all. Every connector words
// its own message and fix from it.
type FailureKind int

// The kinds of request failure, in the order RequestFailure tests them.
const (
	FailureOther       FailureKind = iota
	FailureStopped                 // the caller's context ended
	FailureDNS                     // the host name did not resolve
	FailureTimeout                 // no answer in time
	FailureRefused                 // nothing listens on the host and port
	FailureCertificate             // the server's TLS certificate is not trusted
	FailureReset                   // the connection closed before an answer (reset, broken pipe, EOF)
)

// Failure is a classified request failure.
type Failure struct {
	Kind FailureKind
	// Cause is the error without the url.Error around it, whose text
	// quotes the request URL and so possibly a secret in its query.
	Cause error
	// DNS is the resolver's own reason, for FailureDNS.
	DNS string
}

// RequestFailure classifies err, the error of an HTTP request made with
// ctx that got no response.
func RequestFailure(ctx context.Context, err error) Failure {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	f := Failure{Cause: err}
	var dnsErr *net.DNSError
	switch {
	case ctx.Err() != nil:
		f.Kind = FailureStopped
	case errors.As(err, &dnsErr):
		f.Kind, f.DNS = FailureDNS, dnsErr.Err
	case IsTimeout(err):
		f.Kind = FailureTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Kind = FailureRefused
	case isCertificateError(err):
		f.Kind = FailureCertificate
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF):
		f.Kind = FailureReset
	}
	return f
}

// IsTimeout reports whether err is a deadline or a network timeout.
func IsTimeout(err error) bool {
	var nerr net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout())
}

func isCertificateError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid)
}
