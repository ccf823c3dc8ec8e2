package settings

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/github"
)

// The GitHub sign-in methods of jsonData's github.auth.
const (
	GitHubAuthToken = "token"
	GitHubAuthApp   = "app"
)

// The secureJsonData keys of the GitHub source.
const (
	KeyGitHubToken         = "githubToken"
	KeyGitHubAppPrivateKey = "githubAppPrivateKey"
)

// MaxGitHubInFlight is the most requests the GitHub source may run at once;
// more would only trip GitHub's secondary rate limits.
const MaxGitHubInFlight = 20

// GitHub configures the GitHub source. It prints, and marshals to JSON,
// without its secrets.
type GitHub struct {
	BaseURL        string
	Auth           string // GitHubAuthToken or GitHubAuthApp
	Token          Secret
	AppID          int64
	InstallationID int64
	PrivateKey     Secret
	Repositories   []github.Repository
	IncidentLabel  string
	Environment    string
	Lookback       time.Duration
	History        time.Duration
	MaxInFlight    int
	Timeout        time.Duration
}

// String describes the GitHub settings without their secrets.
func (g GitHub) String() string { return g.Config().String() }

// GoString makes %#v as safe as %v.
func (g GitHub) GoString() string { return g.String() }

// Config returns the configuration of the GitHub source, secrets included.
// Only the secret of the chosen sign-in method is passed on, so that a
// token left over from before a switch to an app does not count.
func (g *GitHub) Config() github.Config {
	c := github.Config{
		BaseURL:       g.BaseURL,
		Repositories:  g.Repositories,
		IncidentLabel: g.IncidentLabel,
		Environment:   g.Environment,
		Lookback:      g.Lookback,
		History:       g.History,
		MaxInFlight:   g.MaxInFlight,
		Timeout:       g.Timeout,
	}
	if g.Auth == GitHubAuthApp {
		c.AppID, c.InstallationID, c.PrivateKey = g.AppID, g.InstallationID, string(g.PrivateKey)
	} else {
		c.Token = string(g.Token)
	}
	return c
}

// jsonGitHub is the shape of jsonData's github object.
type jsonGitHub struct {
	BaseURL        string           `json:"baseUrl"`
	Auth           string           `json:"auth"`
	AppID          number           `json:"appId"`
	InstallationID number           `json:"installationId"`
	Repositories   []jsonRepository `json:"repositories"`
	IncidentLabel  string           `json:"incidentLabel"`
	LookbackDays   number           `json:"lookbackDays"`
	HistoryDays    number           `json:"historyDays"`
	MaxInFlight    number           `json:"maxInFlight"`
	TimeoutSeconds number           `json:"timeoutSeconds"`
}

type jsonRepository struct {
	Repo          string            `json:"repo"`
	Service       string            `json:"service"`
	Team          string            `json:"team"`
	Paths         []jsonPaths       `json:"paths"`
	Deployments   []jsonDeployments `json:"deployments"`
	IncidentLabel string            `json:"incidentLabel"`
}

type jsonPaths struct {
	Globs   []string `json:"globs"`
	Service string   `json:"service"`
	Team    string   `json:"team"`
}

type jsonDeployments struct {
	From         string            `json:"from"`
	Environments map[string]string `json:"environments"`
	Workflow     string            `json:"workflow"`
	Environment  string            `json:"environment"`
	TagPrefix    string            `json:"tagPrefix"`
	Service      string            `json:"service"`
}

// configured reports whether the github object names a repository; an
// editor may save the object, or a row, before anything is typed in it.
func (jg *jsonGitHub) configured() bool {
	if jg == nil {
		return false
	}
	for _, r := range jg.Repositories {
		if strings.TrimSpace(r.Repo) != "" {
			return true
		}
	}
	return false
}

func loadGitHub(jg *jsonGitHub, secure map[string]string, environment string) (*GitHub, error) {
	g := &GitHub{
		BaseURL:       strings.TrimSpace(jg.BaseURL),
		Auth:          strings.ToLower(strings.TrimSpace(jg.Auth)),
		Token:         Secret(strings.TrimSpace(secure[KeyGitHubToken])),
		PrivateKey:    Secret(strings.TrimSpace(secure[KeyGitHubAppPrivateKey])),
		IncidentLabel: strings.TrimSpace(jg.IncidentLabel),
		Environment:   environment,
		Lookback:      github.DefaultLookback,
		History:       github.DefaultHistory,
		MaxInFlight:   github.DefaultMaxInFlight,
		Timeout:       github.DefaultTimeout,
	}
	if g.IncidentLabel == "" {
		g.IncidentLabel = github.DefaultIncidentLabel
	}
	if err := g.loadAuth(jg); err != nil {
		return nil, err
	}
	if err := g.loadLimits(jg); err != nil {
		return nil, err
	}
	for _, jr := range jg.Repositories {
		if strings.TrimSpace(jr.Repo) == "" {
			continue
		}
		g.Repositories = append(g.Repositories, jr.repository())
	}
	if err := g.Config().Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *GitHub) loadAuth(jg *jsonGitHub) error {
	switch g.Auth {
	case "", GitHubAuthToken:
		g.Auth = GitHubAuthToken
		if g.Token == "" {
			return errors.New("github: auth is token but no token is saved: save a personal access token, or set auth to app for a GitHub App")
		}
		return nil
	case GitHubAuthApp:
	default:
		return fmt.Errorf("github: auth is %q: use token or app", g.Auth)
	}

	var err error
	if g.AppID, err = wholeNumber(jg.AppID, "github: appId", "use the number on the app's settings page"); err != nil {
		return err
	}
	g.InstallationID, err = wholeNumber(jg.InstallationID, "github: installationId",
		"use the number that ends the URL of the installation's settings page")
	return err
}

func (g *GitHub) loadLimits(jg *jsonGitHub) error {
	days, err := jg.LookbackDays.nonNegative("github: lookbackDays", "use a number of days, or leave it empty for 90")
	if err != nil {
		return err
	}
	if days > 0 {
		g.Lookback = time.Duration(days * float64(24*time.Hour))
	}

	days, err = jg.HistoryDays.nonNegative("github: historyDays", "use a number of days, or leave it empty for 180")
	if err != nil {
		return err
	}
	if days > 0 {
		g.History = time.Duration(days * float64(24*time.Hour))
	}

	inFlight, err := wholeNumber(jg.MaxInFlight, "github: maxInFlight",
		fmt.Sprintf("use a whole number from 1 to %d, or leave it empty for %d", MaxGitHubInFlight, github.DefaultMaxInFlight))
	if err != nil {
		return err
	}
	if inFlight > MaxGitHubInFlight {
		return fmt.Errorf("github: maxInFlight is %d, more than the %d GitHub tolerates without secondary rate limits: lower it",
			inFlight, MaxGitHubInFlight)
	}
	if inFlight > 0 {
		g.MaxInFlight = int(inFlight)
	}

	maxSeconds := MaxFeedTimeout.Seconds()
	seconds, err := jg.TimeoutSeconds.nonNegative("github: timeoutSeconds",
		fmt.Sprintf("use a number of seconds up to %g, or leave it empty for %g", maxSeconds, github.DefaultTimeout.Seconds()))
	if err != nil {
		return err
	}
	if seconds > maxSeconds {
		return fmt.Errorf("github: timeoutSeconds is %g, more than the %g a fetch may take: lower it", seconds, maxSeconds)
	}
	if seconds > 0 {
		g.Timeout = time.Duration(seconds * float64(time.Second))
	}
	return nil
}

// repository converts one entry; the github package checks it.
func (jr jsonRepository) repository() github.Repository {
	owner, name, _ := strings.Cut(strings.TrimSpace(jr.Repo), "/")
	r := github.Repository{
		Owner:         owner,
		Name:          name,
		Service:       strings.TrimSpace(jr.Service),
		Team:          strings.TrimSpace(jr.Team),
		IncidentLabel: strings.TrimSpace(jr.IncidentLabel),
	}
	for _, p := range jr.Paths {
		var globs []string
		for _, glob := range p.Globs {
			if glob = strings.TrimSpace(glob); glob != "" {
				globs = append(globs, glob)
			}
		}
		if len(globs) == 0 && strings.TrimSpace(p.Service) == "" {
			continue // an empty row of the editor
		}
		r.Paths = append(r.Paths, github.PathService{
			Globs: globs, Service: strings.TrimSpace(p.Service), Team: strings.TrimSpace(p.Team),
		})
	}
	for _, d := range jr.Deployments {
		r.Deployments = append(r.Deployments, github.Deployments{
			From:         strings.ToLower(strings.TrimSpace(d.From)),
			Environments: trimMap(d.Environments),
			Workflow:     strings.TrimSpace(d.Workflow),
			Environment:  strings.TrimSpace(d.Environment),
			TagPrefix:    strings.TrimSpace(d.TagPrefix),
			Service:      strings.TrimSpace(d.Service),
		})
	}
	return r
}

func trimMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k = strings.TrimSpace(k); k != "" {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// wholeNumber returns a non-negative whole number, zero when unset.
func wholeNumber(n number, name, fix string) (int64, error) {
	v, err := n.nonNegative(name, fix)
	if err != nil {
		return 0, err
	}
	if v != math.Trunc(v) || v >= math.MaxInt64 {
		return 0, fmt.Errorf("%s is %s: %s", name, n.raw, fix)
	}
	return int64(v), nil
}
