package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// HealthWindow is how far back the health check counts events.
const HealthWindow = 90 * 24 * time.Hour

// Health is what a health check saw, sent as its JSON details.
type Health struct {
	Sources  []SourceHealth `json:"sources"`
	Counts   map[string]int `json:"counts"`
	Warnings []string       `json:"warnings,omitempty"`
}

// SourceHealth is what one source answered.
type SourceHealth struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`

	// Status is the one-line status of a [source.Checker], such as the API
	// quota it has left.
	Status string `json:"status,omitempty"`
}

// CheckHealth validates the settings, reads every source afresh and reports
// what it saw over the last 90 days, with data-quality warnings. A source
// that is a [source.Checker] is checked first: its error stands for the
// source's, and its status line joins the message.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: d.err.Error()}, nil
	}
	h := Health{Counts: make(map[string]int)}
	b := events.NewBuilder()
	var failures []string
	for _, s := range d.sources {
		status, set, rep, err := checkSource(ctx, s)
		if err != nil {
			h.Sources = append(h.Sources, SourceHealth{Name: s.Name(), Message: err.Error()})
			failures = append(failures, prefixed(s.Name(), err.Error()))
			continue
		}
		b.AddSet(set, rep)
		msg := rep.String()
		if status != "" {
			msg += "; " + status
		}
		h.Sources = append(h.Sources, SourceHealth{Name: s.Name(), OK: true, Message: msg, Status: status})
		if rep.Skipped > 0 {
			h.Warnings = append(h.Warnings, s.Name()+": "+rep.String())
		}
	}
	if len(failures) == 0 {
		// The fresh read is as good as a cached one.
		d.cache.Invalidate()
	}
	now := time.Now()
	m := engine.Link(b.Set(), engine.Options{Environment: d.settings.Environment, AttributionWindow: d.settings.AttributionWindow})
	h.count(m, now.Add(-HealthWindow))
	h.Warnings = append(h.Warnings, qualityWarnings(m, now.Add(-HealthWindow))...)

	details, _ := json.Marshal(h)
	res := &backend.CheckHealthResult{Status: backend.HealthStatusOk, JSONDetails: details}
	if len(failures) > 0 {
		res.Status = backend.HealthStatusError
		res.Message = strings.Join(failures, "; ")
		return res, nil
	}
	res.Message = h.message(sourceNames(d.sources), d.settings.Environment)
	return res, nil
}

// checkSource asks a Checker for its status, then fetches. A failed check
// skips the fetch: a wrong token or repository would only fail it again.
func checkSource(ctx context.Context, s source.Source) (string, *events.Set, events.Report, error) {
	var status string
	if c, ok := s.(source.Checker); ok {
		var err error
		if status, err = c.HealthCheck(ctx); err != nil {
			return "", nil, events.Report{}, err
		}
	}
	set, rep, err := s.Fetch(ctx)
	return status, set, rep, err
}

// prefixed puts the source's name before msg, unless msg starts with it,
// as the GitHub source's messages do.
func prefixed(name, msg string) string {
	if strings.HasPrefix(msg, name+": ") {
		return msg
	}
	return name + ": " + msg
}

func sourceNames(sources []source.Source) string {
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name()
	}
	return strings.Join(names, " and ")
}

func (h *Health) count(m *engine.Model, since time.Time) {
	set := m.Set
	for i := range set.Changes {
		if !set.Changes[i].Time.Before(since) {
			h.Counts[string(events.KindChange)]++
		}
	}
	for i := range set.Deployments {
		if !set.Deployments[i].Time.Before(since) {
			h.Counts[string(events.KindDeployment)]++
		}
	}
	for i := range set.Incidents {
		if !set.Incidents[i].Opened.Before(since) {
			h.Counts[string(events.KindIncident)]++
		}
	}
	for i := range set.Runs {
		if !set.Runs[i].Time.Before(since) {
			h.Counts[string(events.KindRun)]++
		}
	}
	for i := range set.Milestones {
		if !set.Milestones[i].Time.Before(since) {
			h.Counts[string(events.KindMilestone)]++
		}
	}
}

// qualityWarnings finds links that are missing in the environment that
// counts: deployments that ship no known change, incidents tied to nothing
// and changes that were never deployed.
func qualityWarnings(m *engine.Model, since time.Time) []string {
	var noChange, unlinked, unknown, undeployed int
	for i := range m.Deploys {
		d := &m.Deploys[i]
		if !d.Time.Before(since) && d.Status == events.DeploySuccess && len(d.Ships) == 0 && !d.Rollback {
			noChange++
		}
	}
	for i := range m.Incidents {
		in := &m.Incidents[i]
		if in.Opened.Before(since) {
			continue
		}
		switch in.Link {
		case engine.LinkNone:
			unlinked++
		case engine.LinkUnknownDeployment:
			unknown++
		}
	}
	for i := range m.Changes {
		if c := &m.Changes[i]; c.Ship < 0 && !c.Time.Before(since) {
			undeployed++
		}
	}
	env := m.Options.Environment
	var w []string
	if noChange > 0 {
		w = append(w, fmt.Sprintf("%d successful %s deployments ship no known change (list changes or commits on them)", noChange, env))
	}
	if unlinked > 0 {
		w = append(w, fmt.Sprintf("%d incidents are linked to no deployment (name the deployment, or widen the attribution window)", unlinked))
	}
	if unknown > 0 {
		w = append(w, fmt.Sprintf("%d incidents name a deployment that no source has", unknown))
	}
	if undeployed > 0 {
		w = append(w, fmt.Sprintf("%d changes were never deployed to %s", undeployed, env))
	}
	return w
}

func (h *Health) message(sources, env string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Read %s. ", sources)
	for _, s := range h.Sources {
		if s.Status != "" {
			fmt.Fprintf(&b, "%s. ", s.Status)
		}
	}
	b.WriteString("Last 90 days: ")
	for i, k := range events.Kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		n := h.Counts[string(k)]
		if n == 1 {
			fmt.Fprintf(&b, "1 %s", k)
		} else {
			fmt.Fprintf(&b, "%d %ss", n, k)
		}
	}
	fmt.Fprintf(&b, " (deployments to %s count).", env)
	if len(h.Warnings) > 0 {
		b.WriteString(" Warnings: ")
		b.WriteString(strings.Join(h.Warnings, "; "))
		b.WriteString(".")
	}
	return b.String()
}
