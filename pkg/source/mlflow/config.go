// Package mlflow reads an MLflow tracking server over its REST API 2.0 and
// turns experiments, runs, registered models, model versions and the moves of
// production aliases into canonical events. See docs/sources/mlflow.md.
package mlflow

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// Defaults for the zero values of a Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultPageSize     = 1000
	DefaultPollInterval = 60 * time.Second
	DefaultLegacyStage  = "Production"
	DefaultBaseline     = "baseline"
	DefaultDeployedTag  = "deployed_at"
)

// DefaultProductionAliases are the aliases that mean "serving in production"
// when a Config names none.
var DefaultProductionAliases = []string{"champion", "production"}

// The authentication methods.
const (
	AuthNone   = source.AuthNone
	AuthBearer = source.AuthBearer
	AuthBasic  = source.AuthBasic
)

// Config says which server to read and how to map it. Token and Password
// are secrets: String leaves them out.
type Config struct {
	URL      string // base address of the tracking server, without /api
	Auth     string // AuthNone (the default when empty), AuthBearer or AuthBasic
	Username string
	Password string
	Token    string
	Timeout  time.Duration

	// PageSize is the max_results of every search request.
	PageSize int

	// Experiments are the names or ids of the experiments to read, and
	// Models the names of the registered models; empty reads all.
	Experiments []string
	Models      []string

	// Environment is the environment of every promotion: the one the data
	// source's metrics are about. Empty means events.DefaultEnvironment.
	Environment string

	// Services maps an experiment or registered model name to a service;
	// a name it does not list is its own service.
	Services map[string]string

	// ProductionAliases are the aliases whose moves are deployments.
	ProductionAliases []string
	// LegacyStage is the model version stage that means production on
	// servers that still use stages; "-" turns stages off.
	LegacyStage string
	// BaselineAlias and BaselineTag mark the version that set the baseline.
	BaselineAlias string
	BaselineTag   string
	// DeployedAtTag is a version tag holding the RFC 3339 time of the
	// version's first promotion; it wins over the time the move was seen.
	DeployedAtTag string

	// PollInterval is how often Start looks at the aliases.
	PollInterval time.Duration
	// StateDir keeps the alias history, one file per UID. Empty keeps it
	// in memory only, so a restart forgets it.
	StateDir string
	UID      string

	// Now stands in for time.Now in tests.
	Now func() time.Time
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("mlflow url=%s auth=%s username=%q token=%s password=%s",
		redact(c.URL), c.Auth, c.Username, source.Saved(c.Token), source.Saved(c.Password))
}

// GoString makes %#v as safe as %v.
func (c Config) GoString() string { return c.String() }

func redact(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "(not a valid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// Validate checks the configuration; its messages name the setting at fault.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func (c Config) withDefaults() (Config, error) {
	c.URL = strings.TrimRight(strings.TrimSpace(c.URL), "/")
	if c.Auth == "" {
		c.Auth = AuthNone
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if len(c.ProductionAliases) == 0 {
		c.ProductionAliases = DefaultProductionAliases
	}
	if c.LegacyStage == "" {
		c.LegacyStage = DefaultLegacyStage
	}
	if c.BaselineAlias == "" {
		c.BaselineAlias = DefaultBaseline
	}
	if c.BaselineTag == "" {
		c.BaselineTag = DefaultBaseline
	}
	if c.DeployedAtTag == "" {
		c.DeployedAtTag = DefaultDeployedTag
	}
	if c.Environment == "" {
		c.Environment = events.DefaultEnvironment
	}
	if c.Now == nil {
		c.Now = time.Now
	}

	if _, err := parseURL(c.URL); err != nil {
		return c, err
	}
	switch c.Auth {
	case AuthNone:
	case AuthBearer:
		if c.Token == "" {
			return c, errors.New("mlflow: auth is bearer but no token is saved: save the token or set auth to none")
		}
	case AuthBasic:
		if c.Username == "" || c.Password == "" {
			return c, errors.New("mlflow: auth is basic but the username or password is missing: set both or change auth")
		}
	default:
		return c, fmt.Errorf("mlflow: auth is %q: use none, bearer or basic", c.Auth)
	}
	switch {
	case c.Timeout < 0:
		return c, fmt.Errorf("mlflow: the timeout is %s: use a positive duration, or zero for %s", c.Timeout, DefaultTimeout)
	case c.PageSize < 0:
		return c, fmt.Errorf("mlflow: pageSize is %d: use a positive number, or zero for %d", c.PageSize, DefaultPageSize)
	case c.PollInterval < time.Second:
		return c, fmt.Errorf("mlflow: the poll interval is %s: use one second or more", c.PollInterval)
	case c.StateDir != "" && c.UID == "":
		return c, errors.New("mlflow: a state directory is set but the data source has no uid to name its history file")
	}
	return c, nil
}

func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("mlflow: url is empty: set the address of the tracking server, such as http://mlflow:5000")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("mlflow: url is not valid: check it for typos")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("mlflow: url must start with http:// or https://")
	}
	if u.Host == "" {
		return nil, errors.New("mlflow: url has no host: write it as http://host:port")
	}
	if strings.Contains(u.Path, "/api/") || strings.HasSuffix(u.Path, "/api") {
		return nil, errors.New("mlflow: url must be the server's base address, without /api/2.0/mlflow")
	}
	return u, nil
}

// service returns the service of an experiment or registered model name.
func (c *Config) service(name string) string {
	if s, ok := c.Services[name]; ok && s != "" {
		return s
	}
	return name
}

// wantExperiment reports whether the experiment is one to read.
func (c *Config) wantExperiment(e *experiment) bool {
	return len(c.Experiments) == 0 || slices.Contains(c.Experiments, e.Name) || slices.Contains(c.Experiments, e.ID)
}

// wantModel reports whether the registered model is one to read.
func (c *Config) wantModel(name string) bool {
	return len(c.Models) == 0 || slices.Contains(c.Models, name)
}
