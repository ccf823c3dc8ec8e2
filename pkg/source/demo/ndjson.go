package demo

import (
	"bufio"
	"encoding/json"
	"io"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// line is one event in the canonical JSON form, fields in the documented
// order. Empty fields are left out, as a feed would.
type line struct {
	Kind         events.Kind       `json:"kind"`
	ID           string            `json:"id"`
	Service      string            `json:"service"`
	Team         string            `json:"team,omitempty"`
	URL          string            `json:"url,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Time         string            `json:"time,omitempty"`
	Commit       string            `json:"commit,omitempty"`
	Opened       string            `json:"opened,omitempty"`
	Merged       string            `json:"merged,omitempty"`
	Title        string            `json:"title,omitempty"`
	Type         string            `json:"type,omitempty"`
	Environment  string            `json:"environment,omitempty"`
	Status       string            `json:"status,omitempty"`
	Changes      []string          `json:"changes,omitempty"`
	Commits      []string          `json:"commits,omitempty"`
	Model        string            `json:"model,omitempty"`
	ModelVersion string            `json:"model_version,omitempty"`
	Rollback     bool              `json:"rollback,omitempty"`
	Severity     string            `json:"severity,omitempty"`
	Deployment   string            `json:"deployment,omitempty"`
	Resolved     string            `json:"resolved,omitempty"`
	End          string            `json:"end,omitempty"`
	Experiment   string            `json:"experiment,omitempty"`
	Name         string            `json:"name,omitempty"`
}

func head(k events.Kind, c events.Common) line {
	return line{Kind: k, ID: c.ID, Service: c.Service, Team: c.Team, URL: c.URL, Labels: c.Labels}
}

// stamp formats t in RFC 3339, UTC; the zero time is left out.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// WriteNDJSON writes s as NDJSON, one canonical event object a line, kind
// by kind in the order of [events.Kinds]. A change whose time stands in for
// its merge time is written without a time, as its feed gave it, so that
// [events.Read] gives back the same set.
func WriteNDJSON(w io.Writer, s *events.Set) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var err error
	emit := func(l line) {
		if err == nil {
			err = enc.Encode(l)
		}
	}
	for i := range s.Changes {
		emit(changeLine(&s.Changes[i]))
	}
	for i := range s.Deployments {
		emit(deploymentLine(&s.Deployments[i]))
	}
	for i := range s.Incidents {
		emit(incidentLine(&s.Incidents[i]))
	}
	for i := range s.Runs {
		emit(runLine(&s.Runs[i]))
	}
	for i := range s.Milestones {
		emit(milestoneLine(&s.Milestones[i]))
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func changeLine(c *events.Change) line {
	l := head(events.KindChange, c.Common)
	if !c.TimeFromMerged {
		l.Time = stamp(c.Time)
	}
	l.Commit, l.Opened, l.Merged = c.Commit, stamp(c.Opened), stamp(c.Merged)
	l.Title, l.Type = c.Title, string(c.Type)
	return l
}

func deploymentLine(d *events.Deployment) line {
	l := head(events.KindDeployment, d.Common)
	l.Time, l.Environment, l.Status = stamp(d.Time), d.Environment, string(d.Status)
	l.Commit, l.Changes, l.Commits = d.Commit, d.Changes, d.Commits
	l.Model, l.ModelVersion, l.Rollback = d.Model, d.ModelVersion, d.Rollback
	return l
}

func incidentLine(in *events.Incident) line {
	l := head(events.KindIncident, in.Common)
	l.Opened, l.Resolved = stamp(in.Opened), stamp(in.Resolved)
	l.Deployment, l.Severity = in.Deployment, in.Severity
	return l
}

func runLine(r *events.Run) line {
	l := head(events.KindRun, r.Common)
	l.Time, l.End, l.Status, l.Experiment = stamp(r.Time), stamp(r.End), string(r.Status), r.Experiment
	return l
}

func milestoneLine(m *events.Milestone) line {
	l := head(events.KindMilestone, m.Common)
	l.Time, l.Name = stamp(m.Time), m.Name
	return l
}
