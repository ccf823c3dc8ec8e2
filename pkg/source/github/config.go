package github

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// Defaults for a Config that leaves a field at its zero value.
const (
	DefaultBaseURL       = "https://api.github.com"
	DefaultLookback      = 90 * 24 * time.Hour
	DefaultHistory       = 180 * 24 * time.Hour
	DefaultIncidentLabel = "incident"
	DefaultMaxInFlight   = 4
	DefaultTimeout       = 2 * time.Minute
)

// The deployment sources of a [Deployments] rule.
const (
	FromDeployments = "deployments" // the Deployments API and its statuses
	FromReleases    = "releases"    // published releases and their tags
	FromWorkflow    = "workflow"    // completed runs of one workflow
)

// Config says which GitHub to read, how to sign in and which repositories
// to read. Token and PrivateKey are secrets: String leaves them out.
type Config struct {
	// BaseURL is empty or https://github.com for github.com, or the address
	// of a GitHub Enterprise Server (https://host, with or without /api/v3).
	BaseURL string

	// Token is a personal access token. Leave it empty to sign in as a
	// GitHub App with AppID, InstallationID and PrivateKey.
	Token          string
	AppID          int64
	InstallationID int64
	PrivateKey     string // PEM, PKCS #1 or PKCS #8

	Repositories []Repository

	// IncidentLabel marks the issues that are incidents; a repository may
	// name its own. Empty means DefaultIncidentLabel.
	IncidentLabel string

	// Environment is the environment the metrics are about, used to pick
	// the deployment an incident's cause line names by commit or pull
	// request. Empty means production.
	Environment string

	// Lookback bounds what the first deployment of a service ships: changes
	// merged longer than this before it are left out and counted.
	Lookback time.Duration

	// History bounds what is read: pull requests, deployments and issues
	// last updated longer ago than this are not listed.
	History time.Duration

	// MaxInFlight is how many requests may run at once.
	MaxInFlight int

	// Timeout bounds one fetch, waits on rate limits included.
	Timeout time.Duration
}

// Repository is one owner/name entry, or an owner with a name pattern
// (such as "ml-*") that takes every repository of the owner that matches.
type Repository struct {
	Owner string
	Name  string // a name, or a pattern in the syntax of path.Match

	// Service defaults to the repository's name; Team may stay empty.
	Service string
	Team    string

	// Paths map the files of a monorepo to services. A pull request
	// belongs to every service whose paths it touches, and to Service when
	// it touches none.
	Paths []PathService

	// Deployments says what counts as a deployment. With no rule, the
	// repository gives changes and incidents only.
	Deployments []Deployments

	// IncidentLabel overrides Config.IncidentLabel for this repository.
	IncidentLabel string
}

// FullName returns owner/name.
func (r Repository) FullName() string { return r.Owner + "/" + r.Name }

// PathService maps files of a monorepo to a service. A glob is matched
// against the whole path; "**" matches any number of directories, so
// "models/churn/**" takes everything below models/churn.
type PathService struct {
	Globs   []string
	Service string
	Team    string // defaults to the repository's team
}

// Deployments is one rule for what counts as a deployment.
type Deployments struct {
	// From is FromDeployments, FromReleases or FromWorkflow.
	From string

	// Environments maps GitHub environment names to the environment names
	// of the events, such as {"prod": "production"}. For FromDeployments, a
	// non-empty map also limits the environments read; an empty map reads
	// all of them under their own names.
	Environments map[string]string

	// Workflow is the workflow file name (deploy.yml) or id, for
	// FromWorkflow.
	Workflow string

	// Environment is the environment of releases and workflow runs.
	// Empty means production.
	Environment string

	// TagPrefix keeps only the releases whose tag starts with it, so that
	// each service of a monorepo can have its own releases.
	TagPrefix string

	// Service is the service deployed; empty means the repository's.
	Service string
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	names := make([]string, len(c.Repositories))
	for i, r := range c.Repositories {
		names[i] = r.FullName()
	}
	return fmt.Sprintf("github baseURL=%s token=%s appID=%d installationID=%d privateKey=%s repositories=%s",
		c.BaseURL, source.Saved(c.Token), c.AppID, c.InstallationID, source.Saved(c.PrivateKey), strings.Join(names, ","))
}

// GoString makes %#v as safe as %v.
func (c Config) GoString() string { return c.String() }

// Validate checks the configuration. Its messages name the setting at fault
// and never repeat a secret.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c Config) withDefaults() (Config, error) {
	if c.IncidentLabel == "" {
		c.IncidentLabel = DefaultIncidentLabel
	}
	if c.Environment == "" {
		c.Environment = events.DefaultEnvironment
	}
	if c.Lookback == 0 {
		c.Lookback = DefaultLookback
	}
	if c.History == 0 {
		c.History = DefaultHistory
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if _, _, err := apiURLs(c.BaseURL); err != nil {
		return c, err
	}
	if err := c.checkAuth(); err != nil {
		return c, err
	}
	switch {
	case c.Lookback < 0:
		return c, fmt.Errorf("github: lookback is %s: use a positive duration, or zero for 90 days", c.Lookback)
	case c.History < 0:
		return c, fmt.Errorf("github: history is %s: use a positive duration, or zero for 180 days", c.History)
	case c.MaxInFlight < 0:
		return c, fmt.Errorf("github: maxInFlight is %d: use a small positive number, or zero for %d", c.MaxInFlight, DefaultMaxInFlight)
	case c.Timeout < 0:
		return c, fmt.Errorf("github: timeout is %s: use a positive duration", c.Timeout)
	case len(c.Repositories) == 0:
		return c, errors.New("github: no repositories are set: add at least one owner/repo")
	}
	repos := make([]Repository, len(c.Repositories))
	for i, r := range c.Repositories {
		var err error
		if repos[i], err = r.withDefaults(); err != nil {
			return c, err
		}
	}
	c.Repositories = repos
	return c, nil
}

func (c Config) checkAuth() error {
	app := c.AppID != 0 || c.InstallationID != 0 || c.PrivateKey != ""
	switch {
	case c.Token != "" && app:
		return errors.New("github: both a token and a GitHub App are set: keep one of them")
	case c.Token != "":
		return nil
	case !app:
		return errors.New("github: no token is saved and no GitHub App is set: save a personal access token, or the app id, installation id and private key")
	case c.AppID <= 0:
		return errors.New("github: the GitHub App has no app id: set it (it is on the app's settings page)")
	case c.InstallationID <= 0:
		return errors.New("github: the GitHub App has no installation id: set it (it ends the URL of the installation's settings page)")
	case c.PrivateKey == "":
		return errors.New("github: the GitHub App has no private key saved: generate one on the app's settings page and save the .pem file's text")
	}
	if _, err := parsePrivateKey(c.PrivateKey); err != nil {
		return err
	}
	return nil
}

// withDefaults returns a copy of r with its defaults filled in; the slices
// are copied too, so that the caller's Config stays as it was.
func (r Repository) withDefaults() (Repository, error) {
	r.Paths = slices.Clone(r.Paths)
	r.Deployments = slices.Clone(r.Deployments)
	r.Owner, r.Name = strings.TrimSpace(r.Owner), strings.TrimSpace(r.Name)
	if r.Owner == "" || r.Name == "" || strings.Contains(r.Owner, "/") || strings.Contains(r.Name, "/") {
		return r, fmt.Errorf("github: repository %q is not owner/repo: write it as owner/repo, or owner/pattern such as acme/ml-*", r.FullName())
	}
	if _, err := path.Match(r.Name, ""); err != nil {
		return r, fmt.Errorf("github: repository pattern %q is not valid (%w): use * and ? as wildcards", r.FullName(), err)
	}
	for _, p := range r.Paths {
		if p.Service == "" {
			return r, fmt.Errorf("github: %s: a path mapping has no service: name the service its globs belong to", r.FullName())
		}
		for _, g := range p.Globs {
			if err := checkGlob(g); err != nil {
				return r, fmt.Errorf("github: %s: path glob %q is not valid (%w)", r.FullName(), g, err)
			}
		}
	}
	for i, d := range r.Deployments {
		switch d.From {
		case FromDeployments, FromReleases:
		case FromWorkflow:
			if d.Workflow == "" {
				return r, fmt.Errorf("github: %s: deployments from a workflow need the workflow's file name, such as deploy.yml", r.FullName())
			}
		default:
			return r, fmt.Errorf("github: %s: deployments from %q: use deployments, releases or workflow", r.FullName(), d.From)
		}
		if d.Environment == "" {
			r.Deployments[i].Environment = events.DefaultEnvironment
		}
	}
	return r, nil
}

// isPattern reports whether a repository name takes many repositories.
func (r Repository) isPattern() bool { return strings.ContainsAny(r.Name, "*?[") }

// apiURLs derives the REST and GraphQL addresses from the base URL.
func apiURLs(base string) (rest, graphql *url.URL, err error) {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	switch base {
	case "", "https://github.com", "https://www.github.com", DefaultBaseURL:
		rest, _ = url.Parse(DefaultBaseURL)
		graphql, _ = url.Parse(DefaultBaseURL + "/graphql")
		return rest, graphql, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, nil, fmt.Errorf("github: base URL %q is not valid: write it as https://github.example.com, or leave it empty for github.com", base)
	}
	if u.User != nil || u.RawQuery != "" {
		return nil, nil, errors.New("github: base URL holds a username, password or query: remove them, the token goes in its own setting")
	}
	prefix := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/api/v3"), "/api/graphql")
	r, g := *u, *u
	r.Path = prefix + "/api/v3"
	g.Path = prefix + "/api/graphql"
	return &r, &g, nil
}
