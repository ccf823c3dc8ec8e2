package settings

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/mlflow"
)

// The secureJsonData keys of the MLflow source.
const (
	KeyMLflowPassword = "mlflowPassword"
	KeyMLflowToken    = "mlflowToken"
)

// Bounds of the MLflow settings: one request may take as long as a whole
// fetch may, and a page may hold as many runs as runs/search returns.
const (
	MaxMLflowTimeout  = source.MaxFetchTime
	MaxMLflowPageSize = 50000
	// MaxMLflowPoll is the longest poll interval: a move would be dated up
	// to a day late.
	MaxMLflowPoll = 24 * time.Hour
)

// MLflow configures the MLflow source. It prints, and marshals to JSON,
// without its secrets. Where the alias history is kept is no setting of a
// data source: a path on the Grafana server is for its operator to choose
// (state_dir in grafana.ini, [Host.StateDir]), not for whoever may edit a
// data source.
type MLflow struct {
	URL               string
	Auth              string // mlflow.AuthNone, mlflow.AuthBasic or mlflow.AuthBearer
	Username          string
	Password          Secret
	Token             Secret
	Experiments       []string
	Models            []string
	Services          map[string]string
	ProductionAliases []string
	LegacyStage       string
	BaselineAlias     string
	BaselineTag       string
	DeployedAtTag     string
	PageSize          int
	Timeout           time.Duration
	PollInterval      time.Duration
	// Environment is the data source's environment, where promotions count.
	Environment string
}

// String describes the MLflow settings without their secrets.
func (m MLflow) String() string { return m.Config("").String() }

// GoString makes %#v as safe as %v.
func (m MLflow) GoString() string { return m.String() }

// Config returns the configuration of the MLflow source, secrets included,
// for the data source whose history is kept under uid. Only the secret of
// the chosen auth is passed on.
func (m *MLflow) Config(uid string) mlflow.Config {
	c := mlflow.Config{
		URL:               m.URL,
		Auth:              m.Auth,
		Timeout:           m.Timeout,
		PageSize:          m.PageSize,
		Experiments:       m.Experiments,
		Models:            m.Models,
		Environment:       m.Environment,
		Services:          m.Services,
		ProductionAliases: m.ProductionAliases,
		LegacyStage:       m.LegacyStage,
		BaselineAlias:     m.BaselineAlias,
		BaselineTag:       m.BaselineTag,
		DeployedAtTag:     m.DeployedAtTag,
		PollInterval:      m.PollInterval,
		UID:               uid,
	}
	switch m.Auth {
	case mlflow.AuthBasic:
		c.Username, c.Password = m.Username, string(m.Password)
	case mlflow.AuthBearer:
		c.Token = string(m.Token)
	}
	return c
}

// jsonMLflow is the shape of jsonData's mlflow object.
type jsonMLflow struct {
	URL               string            `json:"url"`
	Auth              string            `json:"auth"`
	Username          string            `json:"username"`
	Experiments       []string          `json:"experiments"`
	Models            []string          `json:"models"`
	Services          map[string]string `json:"services"`
	ProductionAliases []string          `json:"productionAliases"`
	LegacyStage       string            `json:"legacyStage"`
	BaselineAlias     string            `json:"baselineAlias"`
	BaselineTag       string            `json:"baselineTag"`
	DeployedAtTag     string            `json:"deployedAtTag"`
	PageSize          number            `json:"pageSize"`
	TimeoutSeconds    number            `json:"timeoutSeconds"`
	PollSeconds       number            `json:"pollSeconds"`
}

func (jm *jsonMLflow) configured() bool {
	return jm != nil && strings.TrimSpace(jm.URL) != ""
}

func loadMLflow(jm *jsonMLflow, secure map[string]string, environment string) (*MLflow, error) {
	m := &MLflow{
		URL:               strings.TrimSpace(jm.URL),
		Auth:              strings.ToLower(strings.TrimSpace(jm.Auth)),
		Username:          strings.TrimSpace(jm.Username),
		Password:          Secret(secure[KeyMLflowPassword]),
		Token:             Secret(strings.TrimSpace(secure[KeyMLflowToken])),
		Experiments:       trimAll(jm.Experiments),
		Models:            trimAll(jm.Models),
		ProductionAliases: trimAll(jm.ProductionAliases),
		LegacyStage:       strings.TrimSpace(jm.LegacyStage),
		BaselineAlias:     strings.TrimSpace(jm.BaselineAlias),
		BaselineTag:       strings.TrimSpace(jm.BaselineTag),
		DeployedAtTag:     strings.TrimSpace(jm.DeployedAtTag),
		Environment:       environment,
	}
	if m.Auth == "" {
		m.Auth = mlflow.AuthNone
	}
	if u, err := url.Parse(m.URL); err == nil && u.User != nil {
		return nil, errors.New("mlflow: url holds a username or password, which jsonData would keep unencrypted: remove them from the url, set auth to basic and save the password there")
	}
	for name, service := range jm.Services {
		name, service = strings.TrimSpace(name), strings.TrimSpace(service)
		if name == "" || service == "" {
			return nil, fmt.Errorf("mlflow: services maps %q to %q: give both an experiment or model name and a service", name, service)
		}
		if m.Services == nil {
			m.Services = make(map[string]string, len(jm.Services))
		}
		m.Services[name] = service
	}

	var err error
	if m.Timeout, err = seconds(jm.TimeoutSeconds, "mlflow: timeoutSeconds", mlflow.DefaultTimeout, MaxMLflowTimeout); err != nil {
		return nil, err
	}
	if m.PollInterval, err = seconds(jm.PollSeconds, "mlflow: pollSeconds", mlflow.DefaultPollInterval, MaxMLflowPoll); err != nil {
		return nil, err
	}
	if m.PollInterval < time.Second {
		return nil, fmt.Errorf("mlflow: pollSeconds is %s: use one second or more", jm.PollSeconds.raw)
	}
	size, err := jm.PageSize.nonNegative("mlflow: pageSize",
		fmt.Sprintf("use a whole number from 1 to %d, or leave it empty for %d", MaxMLflowPageSize, mlflow.DefaultPageSize))
	if err != nil {
		return nil, err
	}
	if size != math.Trunc(size) || size > MaxMLflowPageSize {
		return nil, fmt.Errorf("mlflow: pageSize is %s: use a whole number from 1 to %d", jm.PageSize.raw, MaxMLflowPageSize)
	}
	m.PageSize = int(size)
	if m.PageSize == 0 {
		m.PageSize = mlflow.DefaultPageSize
	}

	if err := m.Config("").Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// seconds reads a number of seconds: def when unset or zero, an error when
// negative, not a number or above max.
func seconds(n number, name string, def, max time.Duration) (time.Duration, error) {
	fix := fmt.Sprintf("use a number of seconds up to %g, or leave it empty for %g", max.Seconds(), def.Seconds())
	v, err := n.nonNegative(name, fix)
	switch {
	case err != nil:
		return 0, err
	case v > max.Seconds():
		return 0, fmt.Errorf("%s is %s: %s", name, n.raw, fix)
	case v == 0:
		return def, nil
	}
	return time.Duration(v * float64(time.Second)), nil
}

// trimAll trims every value and drops the empty ones.
func trimAll(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
