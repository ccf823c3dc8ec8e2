package mlflow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// Source is a [source.Source] that reads one tracking server. Its alias
// history grows with every poll: by Fetch, and every PollInterval between
// Start and Close.
//
// [source.Source]: github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source.Source
type Source struct {
	cfg    Config
	client *Client
	store  *Store

	pollMu sync.Mutex // one poll at a time, so a move is recorded once

	runMu sync.Mutex
	stop  context.CancelFunc
	done  chan struct{}
}

// New validates cfg, opens the alias history of cfg.UID and builds the HTTP
// client from opts, typically the data source's HTTPClientOptions. The
// credentials come from cfg only and go to the server's own host.
func New(cfg Config, opts httpclient.Options) (*Source, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg}
	if s.client, err = newClient(&s.cfg, opts); err != nil {
		return nil, err
	}
	if s.store, err = OpenStore(cfg.StateDir, cfg.UID); err != nil {
		return nil, err
	}
	return s, nil
}

// Name returns "mlflow".
func (s *Source) Name() string { return "mlflow" }

// Store returns the alias history.
func (s *Source) Store() *Store { return s.store }

// Start polls the aliases every PollInterval until Close or the end of ctx.
// A failed poll is tried again at the next tick; Fetch reports the error.
func (s *Source) Start(ctx context.Context) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.stop != nil {
		return
	}
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		tick := time.NewTicker(s.cfg.PollInterval)
		defer tick.Stop()
		for {
			_ = s.Poll(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Close stops the poll started by Start and waits for it.
func (s *Source) Close() error {
	s.runMu.Lock()
	stop, done := s.stop, s.done
	s.stop, s.done = nil, nil
	s.runMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return nil
}

// Poll records where the production and baseline aliases, and the legacy
// production stage, point now.
func (s *Source) Poll(ctx context.Context) error {
	models, err := s.client.searchModels(ctx)
	if err != nil {
		return err
	}
	return s.observe(models)
}

func (s *Source) observe(models []registeredModel) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	now := s.cfg.Now().UTC()
	tracked := append(s.cfg.ProductionAliases[:len(s.cfg.ProductionAliases):len(s.cfg.ProductionAliases)], s.cfg.BaselineAlias)
	var batch []Observation
	for i := range models {
		m := &models[i]
		for _, name := range tracked {
			version := ""
			for _, a := range m.Aliases {
				if a.Alias == name {
					version = a.Version
				}
			}
			batch = append(batch, Observation{Model: m.Name, Alias: name, Version: version, Time: now})
		}
		if s.cfg.LegacyStage == "-" {
			continue
		}
		staged := Observation{Model: m.Name, Alias: stagePrefix + s.cfg.LegacyStage, Time: now}
		for _, v := range m.LatestVersions {
			if v.CurrentStage == s.cfg.LegacyStage {
				// The server's own time of the transition beats the time of
				// the poll.
				staged.Version = v.Version
				if t := v.LastUpdated.time(); !t.IsZero() {
					staged.Time = t
				}
			}
		}
		batch = append(batch, staged)
	}
	_, err := s.store.Observe(batch)
	return err
}

// Fetch reads every experiment, run, registered model and version, records
// the aliases as Poll does, and maps them all to events.
func (s *Source) Fetch(ctx context.Context) (*events.Set, events.Report, error) {
	exps, err := s.client.searchExperiments(ctx)
	if err != nil {
		return nil, events.Report{}, err
	}
	ids := make([]string, len(exps))
	for i := range exps {
		ids[i] = exps[i].ID
	}
	runs, err := s.client.searchRuns(ctx, ids)
	if err != nil {
		return nil, events.Report{}, err
	}
	models, err := s.client.searchModels(ctx)
	if err != nil {
		return nil, events.Report{}, err
	}
	var rep events.Report
	if err := s.observe(models); err != nil {
		// The events are still right; only the next restart may miss the
		// moves of this poll.
		rep.Skip(err.Error())
	}
	versions := make(map[string][]modelVersion, len(models))
	for i := range models {
		vs, err := s.client.searchVersions(ctx, models[i].Name)
		if err != nil {
			return nil, events.Report{}, err
		}
		versions[models[i].Name] = vs
	}

	m := mapper{cfg: &s.cfg, base: redact(s.cfg.URL), b: events.NewBuilder()}
	m.experiments(exps, runs)
	m.models(models, versions, s.store.Observations())
	set := m.b.Set()
	out := m.b.Report()
	out.Merge(rep)
	if w := s.store.Warning(); w != "" {
		out.Skip(w)
	}
	return set, out, nil
}

// HealthCheck reads one experiment and one registered model, which proves
// the URL, the credentials and the READ permission, and says how much alias
// history there is.
func (s *Source) HealthCheck(ctx context.Context) (string, error) {
	var exps struct {
		Experiments []experiment `json:"experiments"`
	}
	if err := s.client.post(ctx, "experiments/search", map[string]any{"max_results": 1}, &exps); err != nil {
		return "", err
	}
	if err := s.Poll(ctx); err != nil {
		return "", err
	}
	msg := fmt.Sprintf("MLflow answers; %d alias moves recorded", len(s.store.Observations()))
	if s.cfg.StateDir == "" {
		msg += " (kept in memory only: set stateDir to keep them across restarts)"
	}
	if w := s.store.Warning(); w != "" {
		msg += "; warning: " + w
	}
	return msg, nil
}
