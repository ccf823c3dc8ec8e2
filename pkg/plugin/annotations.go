package plugin

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

type annotation struct {
	time, end time.Time
	title     string
	text      string
	tags      []string
}

// annotationsFrame returns deployments and incidents in the range as
// annotation rows: time, timeEnd, title, text and tags (comma separated).
func annotationsFrame(models []*engine.Model, s *tableScope) *data.Frame {
	var rows []annotation
	for _, m := range models {
		for i := range m.Deploys {
			d := &m.Deploys[i]
			if s.inRange(d.Time) && s.matchCommon(&d.Common, d.Team) && s.match(query.DimModel, d.Model) {
				rows = append(rows, deploymentAnnotation(d))
			}
		}
	}
	m := models[0]
	for i := range m.Incidents {
		in := &m.Incidents[i]
		if s.overlaps(in.Opened, in.Resolved) && s.matchCommon(&in.Common, in.Team) {
			rows = append(rows, incidentAnnotation(in))
		}
	}
	slices.SortStableFunc(rows, func(a, b annotation) int { return a.time.Compare(b.time) })
	if len(rows) > s.limit {
		rows = rows[len(rows)-s.limit:]
	}

	f := data.NewFrame("annotations",
		data.NewField("time", nil, []time.Time{}),
		data.NewField("timeEnd", nil, []*time.Time{}),
		data.NewField("title", nil, []string{}),
		data.NewField("text", nil, []string{}),
		data.NewField("tags", nil, []string{}),
	)
	for _, r := range rows {
		f.AppendRow(r.time, nullableTime(r.end), r.title, r.text, strings.Join(r.tags, ","))
	}
	return f
}

func deploymentAnnotation(d *engine.Deploy) annotation {
	a := annotation{time: d.Time, tags: []string{"deployment", d.Service, d.Environment}}
	a.title = fmt.Sprintf("%s deployed to %s", d.Service, d.Environment)
	if d.Rollback {
		a.title = fmt.Sprintf("%s rolled back in %s", d.Service, d.Environment)
		a.tags = append(a.tags, "rollback")
	}
	if d.Failed != 0 {
		a.tags = append(a.tags, "failed")
	}
	var text []string
	text = append(text, "Deployment "+d.ID+": "+string(d.Status))
	if d.Model != "" {
		text = append(text, "model "+d.Model+" "+d.ModelVersion)
	}
	if len(d.Ships) > 0 {
		text = append(text, fmt.Sprintf("ships %d changes", len(d.Ships)))
	}
	if d.Failed != 0 {
		text = append(text, "failed: "+d.Failed.String())
	}
	a.text = strings.Join(text, "; ")
	return a
}

func incidentAnnotation(in *engine.IncidentInfo) annotation {
	a := annotation{time: in.Opened, end: in.Resolved, tags: []string{"incident", in.Service}}
	a.title = "Incident " + in.ID + " on " + in.Service
	if in.Open() {
		a.title += " (open)"
	}
	text := []string{}
	if in.Severity != "" {
		text = append(text, "severity "+in.Severity)
		a.tags = append(a.tags, in.Severity)
	}
	if in.Deploy >= 0 || in.Deployment != "" {
		text = append(text, "linked: "+in.Link.String())
	}
	a.text = strings.Join(text, "; ")
	return a
}

// valuesFrame lists the distinct values of one dimension over all events.
func valuesFrame(set *events.Set, d query.Dimension) *data.Frame {
	seen := make(map[string]struct{})
	note := func(v string) {
		if v != "" {
			seen[v] = struct{}{}
		}
	}
	for i := range set.Deployments {
		dep := &set.Deployments[i]
		switch d {
		case query.DimEnvironment:
			note(dep.Environment)
		case query.DimModel:
			note(dep.Model)
		}
	}
	if d == query.DimChangeType {
		for i := range set.Changes {
			note(string(set.Changes[i].Type))
		}
	}
	if d == query.DimService || d == query.DimTeam {
		set.EachCommon(func(c *events.Common) {
			if d == query.DimService {
				note(c.Service)
			} else {
				note(c.Team)
			}
		})
	}
	values := make([]string, 0, len(seen))
	for v := range seen {
		values = append(values, v)
	}
	slices.Sort(values)
	return data.NewFrame("values",
		data.NewField("text", nil, values),
		data.NewField("value", nil, slices.Clone(values)),
	)
}
