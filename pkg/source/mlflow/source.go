package mlflow

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
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

	runMu  sync.Mutex
	stop   context.CancelFunc
	done   chan struct{}
	closed bool
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

// StateDir returns the directory of the alias history, empty when it is
// kept in memory.
func (s *Source) StateDir() string { return s.cfg.StateDir }

// Store returns the alias history.
func (s *Source) Store() *Store { return s.store }

// Start polls the aliases every PollInterval until Close or the end of ctx.
// A failed poll is tried again at the next tick; Fetch reports the error.
// Start after Close does nothing.
func (s *Source) Start(ctx context.Context) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.stop != nil || s.closed {
		return
	}
	ctx, s.stop = context.WithCancel(ctx)
	done := make(chan struct{})
	s.done = done
	go func() {
		defer close(done)
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

// Close stops the poll started by Start, waits for it and lets go of the
// alias history. The Source must not be used after Close.
func (s *Source) Close() error {
	s.runMu.Lock()
	stop, done, closed := s.stop, s.done, s.closed
	s.stop, s.done, s.closed = nil, nil, true
	s.runMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if !closed {
		s.store.Close()
	}
	return nil
}

// Poll records where the production and baseline aliases, and the legacy
// production stage, point now.
func (s *Source) Poll(ctx context.Context) error {
	seen := s.cfg.Now().UTC()
	models, err := s.models(ctx)
	if err != nil {
		return err
	}
	return s.observe(models, seen)
}

// experiments returns the experiments to read, and the names or ids of
// Config.Experiments that match none.
func (s *Source) experiments(ctx context.Context) ([]experiment, []string, error) {
	all, err := s.client.searchExperiments(ctx)
	if err != nil {
		return nil, nil, err
	}
	var kept []experiment
	found := make(map[string]bool)
	for i := range all {
		if e := &all[i]; s.cfg.wantExperiment(e) {
			kept = append(kept, *e)
			found[e.Name], found[e.ID] = true, true
		}
	}
	return kept, absent(s.cfg.Experiments, found), nil
}

// models returns the registered models to read.
func (s *Source) models(ctx context.Context) ([]registeredModel, error) {
	all, err := s.client.searchModels(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(m registeredModel) bool { return !s.cfg.wantModel(m.Name) }), nil
}

func absent(wanted []string, found map[string]bool) []string {
	var out []string
	for _, w := range wanted {
		if !found[w] {
			out = append(out, w)
		}
	}
	return out
}

// missing describes the experiments and models the settings name but the
// server does not show; empty when there are none.
func (s *Source) missing(exps []string, models []registeredModel) string {
	found := make(map[string]bool, len(models))
	for i := range models {
		found[models[i].Name] = true
	}
	var parts []string
	if len(exps) > 0 {
		parts = append(parts, "experiments "+quoteAll(exps))
	}
	if m := absent(s.cfg.Models, found); len(m) > 0 {
		parts = append(parts, "registered models "+quoteAll(m))
	}
	if len(parts) == 0 {
		return ""
	}
	return "mlflow: the server shows no " + strings.Join(parts, " and no ") +
		": check the names (experiments take names or ids) and that the user may read them"
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// observe records what the models say, as seen at the time the request for
// them was sent: a poll whose answer comes late must not be taken for a
// newer one.
func (s *Source) observe(models []registeredModel, now time.Time) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
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
					staged.Time, staged.Seen = t, now
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
	exps, absentExps, err := s.experiments(ctx)
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
	seen := s.cfg.Now().UTC()
	models, err := s.models(ctx)
	if err != nil {
		return nil, events.Report{}, err
	}
	var rep events.Report
	if msg := s.missing(absentExps, models); msg != "" {
		rep.Skip(msg)
	}
	if err := s.observe(models, seen); err != nil {
		// The events are still right; the moves stay in memory and are
		// written with the next poll that can, but a restart before then
		// forgets them.
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

// HealthCheck reads the experiments and registered models, which proves the
// URL, the credentials and the READ permission, checks that every one the
// settings name exists, records the aliases and says how much alias history
// there is and where it is kept.
func (s *Source) HealthCheck(ctx context.Context) (string, error) {
	exps, absentExps, err := s.experiments(ctx)
	if err != nil {
		return "", err
	}
	seen := s.cfg.Now().UTC()
	models, err := s.models(ctx)
	if err != nil {
		return "", err
	}
	if msg := s.missing(absentExps, models); msg != "" {
		return "", backend.DownstreamErrorf("%s", msg)
	}
	if err := s.observe(models, seen); err != nil {
		return "", err
	}
	msg := fmt.Sprintf("MLflow: %s, %s, %s recorded", plural(len(exps), "experiment"),
		plural(len(models), "registered model"), plural(len(s.store.Observations()), "alias move"))
	if s.cfg.StateDir == "" {
		msg += " in memory only (set state_dir in grafana.ini to keep them across restarts)"
	} else {
		msg += " in " + StorePath(s.cfg.StateDir, s.cfg.UID)
	}
	if w := s.store.Warning(); w != "" {
		msg += "; warning: " + w
	}
	return msg, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
