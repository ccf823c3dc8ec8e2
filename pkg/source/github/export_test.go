package github

import "testing"

// TestToken is the token the fake GitHub accepts.
const TestToken = testToken

// NewFakeEnterprise serves fixtures as a GitHub Enterprise Server at the
// returned base URL, for tests outside the package that build a Source from
// settings, as the plugin does.
func NewFakeEnterprise(t *testing.T, fixtures ...string) (baseURL string) {
	f := newFake(t, &fakeClock{t: testNow}, fixtures...)
	f.prefix = "/api/v3"
	return f.srv.URL
}
