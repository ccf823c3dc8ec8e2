package github

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"golang.org/x/sync/errgroup"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// Source is a [source.Source] that reads the configured repositories. It
// keeps the ETags of the pages it read, the facts that cannot change (the
// commits of a merged pull request, the compare of two commits) and the
// latest rate limit for as long as it lives; the settings layer should keep
// one Source per data source instance.
//
// [source.Source]: github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source.Source
type Source struct {
	cfg     Config
	graphql *url.URL
	c       *client

	// noGraphQL is set once the server showed it has no GraphQL API, or not
	// the fields the queries use; REST reads everything then. A failure that
	// may pass sets restFetch to the number of the fetch it happened in, and
	// only that fetch reads by REST.
	noGraphQL atomic.Bool
	fetches   atomic.Uint64
	restFetch atomic.Uint64

	mu       sync.Mutex
	pulls    map[string]pullDetail // by repo, number and merge commit
	compares map[string][]string   // by repo and base...head: the SHAs between
}

// New validates cfg and builds the Source's HTTP client from opts, which are
// typically the data source's HTTPClientOptions. cfg.Timeout bounds a whole
// fetch; the client keeps the per-request timeouts of opts.
func New(cfg Config, opts httpclient.Options) (*Source, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rest, graphql, _ := apiURLs(cfg.BaseURL) // validated above
	key := parsedKey(cfg)

	opts.BasicAuth = nil
	hc, err := httpclient.New(opts)
	if err != nil {
		return nil, fmt.Errorf("github: could not build the HTTP client: %w", err)
	}
	return &Source{
		cfg:     cfg,
		graphql: graphql,
		c: &client{
			http:    hc,
			rest:    rest,
			token:   cfg.Token,
			appID:   cfg.AppID,
			install: cfg.InstallationID,
			key:     key,
			slots:   make(chan struct{}, cfg.MaxInFlight),
			now:     time.Now,
			sleep:   sleepCtx,
			etags:   make(map[string]cached),
		},
		pulls:    make(map[string]pullDetail),
		compares: make(map[string][]string),
	}, nil
}

func parsedKey(cfg Config) *rsa.PrivateKey {
	if cfg.Token != "" {
		return nil
	}
	key, _ := parsePrivateKey(cfg.PrivateKey) // validated by withDefaults
	return key
}

// Name returns "github".
func (s *Source) Name() string { return "github" }

// RESTURL returns the REST address derived from the base URL.
func (s *Source) RESTURL() string { return s.c.rest.String() }

// GraphQLURL returns the GraphQL address derived from the base URL.
func (s *Source) GraphQLURL() string { return s.graphql.String() }

// RateLimit returns the REST quota as the latest response reported it; the
// reset time is zero before the first response.
func (s *Source) RateLimit() (remaining, limit int, reset time.Time) {
	rl := s.c.rateLimit()
	return rl.Remaining, rl.Limit, rl.Reset
}

// Stats returns how many responses the Source received, and how many of
// them were 304 Not Modified answers, which cost no quota.
func (s *Source) Stats() (requests, notModified int64) {
	return s.c.requests.Load(), s.c.notModified.Load()
}

// Check signs in and reads the rate limit (which costs no quota), then
// reads each named repository, so that a wrong token, base URL or
// repository shows up in the health check with its fix.
func (s *Source) Check(ctx context.Context) (RateLimit, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var out struct {
		Resources struct {
			Core struct {
				Limit     int   `json:"limit"`
				Remaining int   `json:"remaining"`
				Reset     int64 `json:"reset"`
			} `json:"core"`
		} `json:"resources"`
	}
	if err := s.c.getJSON(ctx, s.c.endpoint("/rate_limit", nil), call{what: "the rate limit"}, &out); err != nil {
		return s.c.rateLimit(), downstream(err)
	}
	core := out.Resources.Core
	rl := RateLimit{Remaining: core.Remaining, Limit: core.Limit, Reset: time.Unix(core.Reset, 0), Known: true}
	for _, r := range s.cfg.Repositories {
		if r.isPattern() {
			continue
		}
		if _, err := s.repoInfo(ctx, r); err != nil {
			return rl, downstream(err)
		}
	}
	return rl, nil
}

// downstream marks a rate limit as GitHub's doing; other errors are marked
// where they are made.
func downstream(err error) error {
	var limited *RateLimitError
	if errors.As(err, &limited) {
		return backend.DownstreamError(err)
	}
	return err
}

// repoResult is what one repository gave.
type repoResult struct {
	changes     []change
	deployments []deployment
	incidents   []events.Incident
	report      events.Report
}

// Fetch reads every configured repository. When a rate limit outlasts the
// fetch's time, it returns what it read, with the reason in the report and
// the report marked incomplete.
func (s *Source) Fetch(ctx context.Context) (*events.Set, events.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	s.c.startFetch()
	s.fetches.Add(1)

	var rep events.Report
	repos, err := s.expand(ctx)
	var limited *RateLimitError
	if errors.As(err, &limited) {
		rep.Skip(fmt.Sprintf("some repository patterns were not listed: %v", err))
		rep.Incomplete = true
	} else if err != nil {
		return nil, events.Report{}, err
	}

	results := make([]repoResult, len(repos))
	g, gctx := errgroup.WithContext(ctx)
	for i, r := range repos {
		g.Go(func() (err error) {
			results[i], err = s.fetchRepo(gctx, r)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, events.Report{}, err
	}

	b := events.NewBuilder()
	for _, res := range results {
		for _, c := range res.changes {
			b.AddChange(c.Change)
		}
		for _, d := range res.deployments {
			b.AddDeployment(d.Deployment)
		}
		for _, in := range res.incidents {
			b.AddIncident(in)
		}
	}
	out := b.Report()
	out.Merge(rep)
	for _, res := range results {
		out.Merge(res.report)
	}
	return b.Set(), out, nil
}

// fetchRepo reads one repository. A rate limit ends it early without an
// error: what was read so far is kept, and the report says what is missing.
func (s *Source) fetchRepo(ctx context.Context, r Repository) (repoResult, error) {
	var res repoResult
	stop := func(step string, err error) (repoResult, error) {
		var limited *RateLimitError
		if errors.As(err, &limited) {
			res.report.Skip(fmt.Sprintf("%s: %s were not all read: %v", r.FullName(), step, err))
			res.report.Incomplete = true
			return res, nil
		}
		return res, err
	}

	info, err := s.repoInfo(ctx, r)
	if err != nil {
		return stop("its events", err)
	}
	if res.changes, err = s.changes(ctx, r, info.DefaultBranch); err != nil {
		return stop("its pull requests", err)
	}
	for _, rule := range r.Deployments {
		ds, err := s.deployments(ctx, r, rule)
		res.deployments = append(res.deployments, ds...)
		if err != nil {
			return stop("its deployments", err)
		}
	}
	if err := s.ship(ctx, r, &res); err != nil {
		return stop("the changes its deployments ship", err)
	}
	if res.incidents, err = s.incidents(ctx, r, &res); err != nil {
		return stop("its incidents", err)
	}
	return res, nil
}

type ghRepo struct {
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
	Archived      bool   `json:"archived"`
}

func (s *Source) repoInfo(ctx context.Context, r Repository) (ghRepo, error) {
	var info ghRepo
	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name, nil)
	err := s.c.getJSON(ctx, u, call{repo: r.FullName(), what: "the repository", permission: "Metadata"}, &info)
	if err == nil && info.DefaultBranch == "" {
		err = fmt.Errorf("github: %s has no default branch: push a first commit, or remove the repository", r.FullName())
	}
	return info, err
}

// expand replaces owner/pattern entries by the repositories they match.
func (s *Source) expand(ctx context.Context) ([]Repository, error) {
	var out []Repository
	for _, r := range s.cfg.Repositories {
		if !r.isPattern() {
			out = append(out, r)
			continue
		}
		names, err := s.ownerRepos(ctx, r.Owner)
		if err != nil {
			return out, err
		}
		for _, name := range names {
			if ok, _ := path.Match(r.Name, name); ok {
				m := r
				m.Name = name
				if m.Service == "" {
					m.Service = name
				}
				out = append(out, m)
			}
		}
	}
	// A repository named and also matched by a pattern is read once, with
	// the settings of its first entry.
	seen := map[string]bool{}
	unique := out[:0]
	for _, r := range out {
		if seen[r.FullName()] {
			continue
		}
		seen[r.FullName()] = true
		if r.Service == "" {
			r.Service = r.Name
		}
		unique = append(unique, r)
	}
	return unique, nil
}

// ownerRepos lists the repositories of an organization, or of a user when
// no organization has that name. Archived repositories are left out.
func (s *Source) ownerRepos(ctx context.Context, owner string) ([]string, error) {
	q := url.Values{"per_page": {"100"}, "type": {"all"}}
	k := call{what: "the repositories of " + owner, permission: "Metadata", notFound: notFoundOwner}
	names, err := s.listRepos(ctx, s.c.endpoint("/orgs/"+owner+"/repos", q), k)
	var nf *notFoundError
	if errors.As(err, &nf) && nf.msg == notFoundOwner {
		k.notFound = fmt.Sprintf("github: no organization or user is called %q (404): check the owner of the repository pattern", owner)
		names, err = s.listRepos(ctx, s.c.endpoint("/users/"+owner+"/repos", q), k)
	}
	return names, err
}

const notFoundOwner = "github: not an organization"

func (s *Source) listRepos(ctx context.Context, u string, k call) ([]string, error) {
	var names []string
	err := eachItem(ctx, s.c, u, k, func(r ghRepo) bool {
		if !r.Archived {
			names = append(names, r.Name)
		}
		return true
	})
	return names, err
}

// since is the oldest time a listing needs to reach. It is a whole UTC day,
// so that the URLs that carry it stay the same, and keep their ETags,
// from one fetch to the next.
func (s *Source) since() time.Time {
	return s.c.now().Add(-s.cfg.History).UTC().Truncate(24 * time.Hour)
}
