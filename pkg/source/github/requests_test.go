package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

func TestCachedLoadsMakeNoRequestsAndLaterOnesAreAnsweredBy304(t *testing.T) {
	clock := &fakeClock{t: testNow}
	f := newFake(t, clock, "churn-model.json")
	f.pageSize = 2
	s := newSource(t, f, churnConfig())
	cache := source.NewCache(5*time.Minute, clock.Now, s)
	ctx := context.Background()

	// The first load, counted by hand from the fixtures with pages of 2:
	//   repository 1; pull requests 7 → 4 pages; the commits of the six
	//   merged ones in one GraphQL query, except #3 whose five commits are
	//   more than a page and are read by REST in 3 pages: 1 + 3 = 4;
	//   deployments of prod (6) 3 pages and of staging (1) 1 page = 4;
	//   statuses, one page for each of 7 = 7; compares 101...103 (4
	//   commits) 2 pages and 103...104 1 page = 3; issues (4) 2 pages.
	//   1 + 4 + 4 + 4 + 7 + 3 + 2 = 25.
	first, err := cache.Get(ctx)
	require.NoError(t, err)
	requests, notModified := f.counts()
	require.Equal(t, 25, requests)
	require.Zero(t, notModified)
	require.Len(t, f.graphQLQueries, 1)

	// A second dashboard load within the cache time makes none.
	clock.Advance(time.Minute)
	second, err := cache.Get(ctx)
	require.NoError(t, err)
	require.Same(t, first, second)
	requests, _ = f.counts()
	require.Equal(t, 25, requests)

	// After it, every page is asked for with its ETag and nothing changed:
	// all 18 answers are 304s. The commits of merged pull requests and the
	// compares are not asked for again, since they cannot change:
	// 1 + 4 + 4 + 7 + 2 = 18.
	clock.Advance(5 * time.Minute)
	third, err := cache.Get(ctx)
	require.NoError(t, err)
	requests, notModified = f.counts()
	require.Equal(t, 25+18, requests)
	require.Equal(t, 18, notModified)
	require.Len(t, f.graphQLQueries, 1)
	require.Equal(t, first.Set.Len(), third.Set.Len())
	sent, not := s.Stats()
	require.Equal(t, int64(43), sent)
	require.Equal(t, int64(18), not)

	// The health check's quota: the 24 REST answers of 200 were counted;
	// 304s are free and GraphQL has a quota of its own.
	remaining, limit, reset := s.RateLimit()
	require.Equal(t, 5000-24, remaining)
	require.Equal(t, 5000, limit)
	require.Equal(t, testNow.Add(time.Hour).Unix(), reset.Unix())
}

func TestFetchExplainsFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakeGitHub, cfg *Config)
		wantErr string
	}{
		{
			name:    "a bad token asks to check the token",
			setup:   func(_ *fakeGitHub, cfg *Config) { cfg.Token = "github_pat_wrong" },
			wantErr: "github: GitHub answered 401 Unauthorized: check the token, it may be mistyped, expired or revoked",
		},
		{
			name: "a refusal without rate-limit headers names the permission",
			setup: func(f *fakeGitHub, _ *Config) {
				f.intercept = func(w http.ResponseWriter, r *http.Request) bool {
					if !strings.HasSuffix(r.URL.Path, "/deployments") {
						return false
					}
					w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
					w.Header().Set("X-Accepted-GitHub-Permissions", "deployments=read")
					f.fail(w, http.StatusForbidden, "Resource not accessible by personal access token")
					return true
				}
			},
			wantErr: "github: reading the deployments of acme/churn-model was refused (403 Forbidden: Resource not accessible by personal access token): the token or app lacks the deployments=read permission",
		},
		{
			name: "a refusal without GitHub's hint names the permission the request needs",
			setup: func(f *fakeGitHub, _ *Config) {
				f.intercept = func(w http.ResponseWriter, r *http.Request) bool {
					if !strings.HasSuffix(r.URL.Path, "/issues") {
						return false
					}
					w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
					f.fail(w, http.StatusForbidden, "Resource not accessible by integration")
					return true
				}
			},
			wantErr: "the token or app lacks the Issues permission",
		},
		{
			name:    "an unknown repository asks to check owner/repo",
			setup:   func(_ *fakeGitHub, cfg *Config) { cfg.Repositories[0].Name = "churn-models" },
			wantErr: "github: repository acme/churn-models was not found (404 Not Found): check owner/repo",
		},
		{
			name: "a wrong GHES URL that answers 404 at /api/v3 says the base URL looks wrong",
			setup: func(f *fakeGitHub, cfg *Config) {
				f.prefix = "/api/v3"
				cfg.BaseURL = f.srv.URL + "/ghe"
			},
			wantErr: "/ghe/api/v3 answered with 404 Not Found, not as the GitHub API does: the base URL looks wrong",
		},
		{
			name: "a GHES URL that answers with an HTML page says the base URL looks wrong",
			setup: func(f *fakeGitHub, cfg *Config) {
				f.prefix = "/api/v3"
				cfg.BaseURL = f.srv.URL
				f.intercept = func(w http.ResponseWriter, _ *http.Request) bool {
					w.Header().Set("Content-Type", "text/html")
					_, _ = w.Write([]byte("<!doctype html><title>Sign in</title>"))
					return true
				}
			},
			wantErr: "answered with an HTML page, not as the GitHub API does: the base URL looks wrong",
		},
		{
			name: "a workflow that does not exist is named",
			setup: func(_ *fakeGitHub, cfg *Config) {
				cfg.Repositories[0].Deployments = []Deployments{{From: FromWorkflow, Workflow: "deploy.yml"}}
			},
			wantErr: `github: acme/churn-model has no workflow "deploy.yml" (404): check the workflow's file name`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
			cfg := churnConfig()
			tt.setup(f, &cfg)
			s := newSource(t, f, cfg)

			_, _, err := s.Fetch(context.Background())
			require.ErrorContains(t, err, tt.wantErr)
			require.True(t, backend.IsDownstreamError(err), "GitHub, not the plugin, is at fault")
			require.NotContains(t, err.Error(), "github_pat")
		})
	}
}

// limitOnce answers the first request to a path ending in suffix with a
// rate limit, and lets the next one through.
func limitOnce(f *fakeGitHub, suffix string, answer func(w http.ResponseWriter)) *atomic.Int32 {
	var limited atomic.Int32
	f.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, suffix) || !limited.CompareAndSwap(0, 1) {
			return false
		}
		w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
		answer(w)
		return true
	}
	return &limited
}

func TestRateLimitsAreWaitedOut(t *testing.T) {
	tests := []struct {
		name     string
		answer   func(clock *fakeClock) func(w http.ResponseWriter)
		wantWait time.Duration
	}{
		{
			name: "a primary limit waits until x-ratelimit-reset",
			answer: func(clock *fakeClock) func(w http.ResponseWriter) {
				return func(w http.ResponseWriter) {
					w.Header().Set("X-RateLimit-Limit", "5000")
					w.Header().Set("X-RateLimit-Remaining", "0")
					w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(clock.Now().Add(30*time.Second).Unix(), 10))
					w.Header().Set("X-RateLimit-Resource", "core")
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"message":"API rate limit exceeded for user ID 1."}`))
				}
			},
			wantWait: 30 * time.Second,
		},
		{
			name: "a secondary limit with 429 waits as Retry-After says",
			answer: func(*fakeClock) func(w http.ResponseWriter) {
				return func(w http.ResponseWriter) {
					w.Header().Set("Retry-After", "7")
					w.WriteHeader(http.StatusTooManyRequests)
					_, _ = w.Write([]byte(`{"message":"You have exceeded a secondary rate limit."}`))
				}
			},
			wantWait: 7 * time.Second,
		},
		{
			name: "a secondary limit with 403 waits as Retry-After says",
			answer: func(*fakeClock) func(w http.ResponseWriter) {
				return func(w http.ResponseWriter) {
					w.Header().Set("Retry-After", "60")
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"message":"You have exceeded a secondary rate limit."}`))
				}
			},
			wantWait: time.Minute,
		},
		{
			name: "a secondary limit that gives no time waits a minute",
			answer: func(*fakeClock) func(w http.ResponseWriter) {
				return func(w http.ResponseWriter) {
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`))
				}
			},
			wantWait: time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: testNow}
			f := newFake(t, clock, "churn-model.json")
			limited := limitOnce(f, "/pulls", tt.answer(clock))
			s := newSource(t, f, churnConfig())

			set, rep, err := s.Fetch(context.Background())
			require.NoError(t, err)
			require.EqualValues(t, 1, limited.Load())
			require.Equal(t, []time.Duration{tt.wantWait}, clock.Slept())
			require.Len(t, set.Changes, 6, "the request is made again after the wait")
			require.NotContains(t, rep.String(), "rate limited")
		})
	}
}

func TestARateLimitPastTheDeadlineReturnsWhatWasRead(t *testing.T) {
	clock := &fakeClock{t: testNow}
	f := newFake(t, clock, "churn-model.json")
	limitOnce(f, "/issues", func(w http.ResponseWriter) {
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(clock.Now().Add(40*time.Minute).Unix(), 10))
		w.WriteHeader(http.StatusForbidden)
	})
	cfg := churnConfig()
	cfg.Timeout = 10 * time.Second // far shorter than the 40 minutes asked for
	s := newSource(t, f, cfg)

	set, rep, err := s.Fetch(context.Background())
	require.NoError(t, err)
	require.Empty(t, clock.Slept(), "it does not wait when the wait cannot end in time")
	require.Len(t, set.Changes, 6)
	require.Len(t, set.Deployments, 6)
	require.Empty(t, set.Incidents)
	require.Contains(t, rep.String(), "acme/churn-model: its incidents were not all read: github: rate limited for another 40m0s")
	require.True(t, rep.Incomplete, "a fetch cut short by a rate limit is marked incomplete")

	// The quota is used up until the reset, and the health check sees it.
	remaining, _, reset := s.RateLimit()
	require.Zero(t, remaining)
	require.Equal(t, clock.Now().Add(40*time.Minute).Unix(), reset.Unix())
}

func TestAtMostMaxInFlightRequestsRunAtOnce(t *testing.T) {
	f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
	f.delay = 2 * time.Millisecond // long enough for requests to overlap
	cfg := churnConfig()
	cfg.MaxInFlight = 2
	s := newSource(t, f, cfg)

	_, _, err := s.Fetch(context.Background())
	require.NoError(t, err)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Equal(t, 2, f.maxInFlight)
}

func TestGitHubAppSignsInWithAnInstallationToken(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))

	clock := &fakeClock{t: testNow}
	f := newFake(t, clock, "churn-model.json")
	f.token = "ghs_installation_token"
	var exchanges atomic.Int32
	f.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/app/installations/77/access_tokens" {
			return false
		}
		exchanges.Add(1)
		require.Equal(t, http.MethodPost, r.Method)
		claims := verifyJWT(t, &key.PublicKey, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		require.Equal(t, "1234", claims["iss"])
		require.EqualValues(t, clock.Now().Add(-time.Minute).Unix(), claims["iat"])
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"token": "ghs_installation_token", "expires_at": clock.Now().Add(time.Hour).Format(time.RFC3339),
			"permissions": map[string]string{"pull_requests": "read"}, "repository_selection": "selected",
		})
		return true
	}
	cfg := churnConfig()
	cfg.AppID, cfg.InstallationID, cfg.PrivateKey = 1234, 77, pemKey
	s := newSource(t, f, cfg)

	for range 2 {
		set, _, err := s.Fetch(context.Background())
		require.NoError(t, err)
		require.Len(t, set.Changes, 6)
	}
	require.EqualValues(t, 1, exchanges.Load(), "the token is kept until shortly before it expires")

	clock.Advance(56 * time.Minute)
	_, _, err = s.Fetch(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 2, exchanges.Load(), "a token within five minutes of expiry is renewed")
}

func verifyJWT(t *testing.T, pub *rsa.PublicKey, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	require.JSONEq(t, `{"alg":"RS256","typ":"JWT"}`, string(header))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig))
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims
}

func TestCheckReportsTheQuotaAndABadRepository(t *testing.T) {
	f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
	s := newSource(t, f, churnConfig())

	rl, err := s.Check(context.Background())
	require.NoError(t, err)
	require.Equal(t, RateLimit{Remaining: 4999, Limit: 5000, Reset: time.Unix(1772931600, 0), Known: true}, rl)
	require.Equal(t, 1, f.hits("/rate_limit"))
	require.Equal(t, 1, f.hits("/repos/acme/churn-model"))

	cfg := churnConfig()
	cfg.Repositories[0].Owner = "acme-corp"
	_, err = newSource(t, f, cfg).Check(context.Background())
	require.ErrorContains(t, err, "github: repository acme-corp/churn-model was not found (404 Not Found): check owner/repo")
}

func TestARateLimitWhileReadingCommitsKeepsTheChangesAlreadyRead(t *testing.T) {
	clock := &fakeClock{t: testNow}
	f := newFake(t, clock, "churn-model.json")
	f.noGraphQL = true // every pull request's commits by REST
	limitOnce(f, "/pulls/3/commits", func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	cfg := churnConfig()
	cfg.Timeout = 10 * time.Second
	s := newSource(t, f, cfg)

	set, rep, err := s.Fetch(context.Background())
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, c := range set.Changes {
		ids[c.ID] = true
	}
	require.False(t, ids["acme/churn-model/pull/3"])
	require.Less(t, len(set.Changes), 6)
	require.Contains(t, rep.String(), "acme/churn-model: its pull requests were not all read: github: rate limited for another 1h0m0s")
	require.True(t, rep.Incomplete, "a fetch cut short by a rate limit is marked incomplete")
}

func TestTheTokenIsNotSentToAnotherHost(t *testing.T) {
	elsewhere := newFake(t, &fakeClock{t: testNow})
	f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
	f.intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/pulls") {
			return false
		}
		f.githubHeaders(w)
		w.Header().Set("Link", `<`+elsewhere.srv.URL+`/repos/acme/churn-model/pulls?page=2>; rel="next"`)
		_, _ = w.Write([]byte(`[]`))
		return true
	}
	s := newSource(t, f, churnConfig())

	_, _, err := s.Fetch(context.Background())
	require.ErrorContains(t, err, "github: the next page of the pull requests is on another host")
	requests, _ := elsewhere.counts()
	require.Zero(t, requests)
}

func TestRequestsIdentifyThemselves(t *testing.T) {
	f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
	seen := make(chan http.Header, 1)
	f.intercept = func(_ http.ResponseWriter, r *http.Request) bool {
		select {
		case seen <- r.Header.Clone():
		default:
		}
		return false
	}
	_, err := newSource(t, f, churnConfig()).Check(context.Background())
	require.NoError(t, err)
	h := <-seen
	require.NotEmpty(t, h.Get("User-Agent"))
	require.Equal(t, "application/vnd.github+json", h.Get("Accept"))
	require.Equal(t, "2022-11-28", h.Get("X-GitHub-Api-Version"))
	require.Equal(t, "Bearer "+testToken, h.Get("Authorization"))
}

func TestAUsedUpQuotaIsWaitedOutBeforeTheNextRequest(t *testing.T) {
	clock := &fakeClock{t: testNow}
	f := newFake(t, clock, "churn-model.json")
	f.resetIn = 20 * time.Second
	f.resetAt = clock.Now().Add(20 * time.Second)
	f.remaining = 3 // the repository, the pull requests and one list of commits
	s := newSource(t, f, churnConfig())

	set, _, err := s.Fetch(context.Background())
	require.NoError(t, err)
	require.Len(t, set.Changes, 6)
	// The third answer said 0 remaining: the next request waited for the
	// reset instead of being refused. No request was answered 403.
	require.Equal(t, []time.Duration{20 * time.Second}, clock.Slept())
	remaining, _, _ := s.RateLimit()
	require.Positive(t, remaining)
}

func TestWithoutGraphQLEverythingIsReadByREST(t *testing.T) {
	withGraphQL, _, _, _ := fetchChurn(t)

	f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
	f.pageSize = 2
	f.noGraphQL = true
	s := newSource(t, f, churnConfig())
	for range 2 {
		set, _, err := s.Fetch(context.Background())
		require.NoError(t, err)
		require.Equal(t, withGraphQL.Changes, set.Changes)
	}
	require.Equal(t, 1, f.hits("/graphql"), "GraphQL is not tried again once it failed")
	require.Equal(t, 1, f.hits("/repos/acme/churn-model/pulls/1/commits"))
}

func TestOnlyAMissingGraphQLAPITurnsGraphQLOffForGood(t *testing.T) {
	// Only the timeout case shortens the client's timeout, so that a busy
	// machine cannot time out the requests of the other cases.
	const requestTimeout = time.Second
	fail := func(code int, body string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("X-GitHub-Request-Id", "CAFE:1234:5678")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}
	}
	tests := []struct {
		name    string
		answer  func(w http.ResponseWriter)
		forGood bool
	}{
		{"a 502 Bad Gateway is tried again on the next fetch",
			fail(http.StatusBadGateway, `{"message":"Server Error"}`), false},
		{"a 503 Service Unavailable is tried again on the next fetch",
			fail(http.StatusServiceUnavailable, `{"message":"Service Unavailable"}`), false},
		{"a GraphQL error about the service is tried again on the next fetch",
			fail(http.StatusOK, `{"errors":[{"type":"SERVICE_UNAVAILABLE","message":"Something went wrong"}]}`), false},
		{"a dropped connection is tried again on the next fetch", func(w http.ResponseWriter) {
			conn, _, err := http.NewResponseController(w).Hijack()
			require.NoError(t, err)
			_ = conn.Close()
		}, false},
		{"a timeout is tried again on the next fetch", func(http.ResponseWriter) {
			time.Sleep(3 * requestTimeout)
		}, false},
		{"a 404 at the GraphQL endpoint turns it off",
			fail(http.StatusNotFound, `{"message":"Not Found"}`), true},
		{"a schema error for a missing field turns it off",
			fail(http.StatusOK, `{"errors":[{"message":"Field 'files' doesn't exist on type 'PullRequest'",`+
				`"extensions":{"code":"undefinedField","typeName":"PullRequest","fieldName":"files"}}]}`), true},
		{"a schema error known by its message alone turns it off",
			fail(http.StatusOK, `{"errors":[{"message":"Field 'commits' doesn't exist on type 'PullRequest'"}]}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withGraphQL, _, _, _ := fetchChurn(t)

			f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
			f.pageSize = 2
			var failed atomic.Bool
			f.intercept = func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/graphql" || failed.Swap(true) {
					return false
				}
				tt.answer(w)
				return true
			}
			s := newSource(t, f, churnConfig())
			if strings.HasPrefix(tt.name, "a timeout") {
				s.c.http.Timeout = requestTimeout
			}

			set, _, err := s.Fetch(context.Background())
			require.NoError(t, err)
			require.Equal(t, withGraphQL.Changes, set.Changes, "REST read what GraphQL did not")
			require.Equal(t, 1, f.hits("/graphql"))
			require.Equal(t, 1, f.hits("/repos/acme/churn-model/pulls/1/commits"), "read by REST in the fetch that failed")

			// New pull requests merged since: forget the ones read, so that
			// the next fetch has some to ask GraphQL about.
			s.mu.Lock()
			clear(s.pulls)
			s.mu.Unlock()
			set, _, err = s.Fetch(context.Background())
			require.NoError(t, err)
			require.Equal(t, withGraphQL.Changes, set.Changes)
			if tt.forGood {
				require.Equal(t, 1, f.hits("/graphql"), "GraphQL is not tried again")
				require.Equal(t, 2, f.hits("/repos/acme/churn-model/pulls/1/commits"), "REST reads them again")
				return
			}
			require.Equal(t, 2, f.hits("/graphql"), "GraphQL is tried again")
			require.Len(t, f.graphQLQueries, 1, "and answers")
			require.Equal(t, 1, f.hits("/repos/acme/churn-model/pulls/1/commits"), "GraphQL gave them")
		})
	}
}
