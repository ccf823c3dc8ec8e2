package events

import (
	"bufio"
	"encoding/json"
	"io"
	"time"
)

// wireEvent is one event in the canonical JSON form, fields in the documented
// order. Empty fields are left out, as a feed would.
type wireEvent struct {
	Kind         Kind              `json:"kind"`
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

func wireHead(k Kind, c Common) wireEvent {
	return wireEvent{Kind: k, ID: c.ID, Service: c.Service, Team: c.Team, URL: c.URL, Labels: c.Labels}
}

// wireTime formats t in RFC 3339, UTC; the zero time is left out.
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// WriteNDJSON writes s as NDJSON, one canonical event object a wireEvent, kind
// by kind in the order of [Kinds]: what [Read] reads. A change whose time stands in for
// its merge time is written without a time, as its feed gave it, so that
// [Read] gives back the same set.
func WriteNDJSON(w io.Writer, s *Set) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var err error
	emit := func(l wireEvent) {
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

func changeLine(c *Change) wireEvent {
	l := wireHead(KindChange, c.Common)
	if !c.TimeFromMerged {
		l.Time = wireTime(c.Time)
	}
	l.Commit, l.Opened, l.Merged = c.Commit, wireTime(c.Opened), wireTime(c.Merged)
	l.Title, l.Type = c.Title, string(c.Type)
	return l
}

func deploymentLine(d *Deployment) wireEvent {
	l := wireHead(KindDeployment, d.Common)
	l.Time, l.Environment, l.Status = wireTime(d.Time), d.Environment, string(d.Status)
	l.Commit, l.Changes, l.Commits = d.Commit, d.Changes, d.Commits
	l.Model, l.ModelVersion, l.Rollback = d.Model, d.ModelVersion, d.Rollback
	return l
}

func incidentLine(in *Incident) wireEvent {
	l := wireHead(KindIncident, in.Common)
	l.Opened, l.Resolved = wireTime(in.Opened), wireTime(in.Resolved)
	l.Deployment, l.Severity = in.Deployment, in.Severity
	return l
}

func runLine(r *Run) wireEvent {
	l := wireHead(KindRun, r.Common)
	l.Time, l.End, l.Status, l.Experiment = wireTime(r.Time), wireTime(r.End), string(r.Status), r.Experiment
	return l
}

func milestoneLine(m *Milestone) wireEvent {
	l := wireHead(KindMilestone, m.Common)
	l.Time, l.Name = wireTime(m.Time), m.Name
	return l
}
