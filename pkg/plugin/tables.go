package plugin

import (
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

// tableScope is what an events or annotations query selects.
type tableScope struct {
	from, to time.Time
	filters  query.Filters
	limit    int
}

func (s *tableScope) inRange(t time.Time) bool {
	return !t.Before(s.from) && t.Before(s.to)
}

// overlaps reports whether [a, b) meets the range; a zero b is still open.
func (s *tableScope) overlaps(a, b time.Time) bool {
	return a.Before(s.to) && (b.IsZero() || !b.Before(s.from))
}

func (s *tableScope) match(d query.Dimension, v string) bool {
	list := s.filters.Of(d)
	return len(list) == 0 || slices.Contains(list, v)
}

func (s *tableScope) matchCommon(c *events.Common, team string) bool {
	return s.match(query.DimService, c.Service) && s.match(query.DimTeam, team)
}

// pick returns the indexes below n that keep accepts, newest first by at,
// at most the limit.
func (s *tableScope) pick(n int, keep func(int) bool, at func(int) time.Time) []int {
	var rows []int
	for i := range n {
		if keep(i) {
			rows = append(rows, i)
		}
	}
	return newest(rows, at, s.limit)
}

// newest sorts row indexes by time, newest first, and applies the limit.
func newest(rows []int, at func(int) time.Time, limit int) []int {
	slices.SortStableFunc(rows, func(a, b int) int { return at(b).Compare(at(a)) })
	if len(rows) > limit {
		rows = rows[:limit]
	}
	return rows
}

func changesTable(models []*engine.Model, s *tableScope) *data.Frame {
	type row struct {
		m  *engine.Model
		ci int
	}
	var rows []row
	for _, m := range models {
		for ci := range m.Changes {
			c := &m.Changes[ci]
			d := m.Shipped(ci)
			at, model := c.Time, ""
			if d != nil {
				at, model = d.Time, d.Model
			}
			if s.inRange(at) && s.matchCommon(&c.Common, c.Team) && s.match(query.DimChangeType, string(c.Type)) &&
				s.match(query.DimModel, model) {
				rows = append(rows, row{m, ci})
			}
		}
	}
	at := func(i int) time.Time {
		r := rows[i]
		if d := r.m.Shipped(r.ci); d != nil {
			return d.Time
		}
		return r.m.Changes[r.ci].Time
	}
	order := newest(indexes(len(rows)), at, s.limit)

	f := newTable("changes",
		"id", "service", "team", "environment", "type", "title", "time", "time_source", "opened", "merged",
		"shipped_by", "shipped_at", "lead_time", "coding", "review", "deploy", "url")
	for _, i := range order {
		r := rows[i]
		c := r.m.Changes[r.ci]
		source := "commit"
		if c.TimeFromMerged {
			source = "merged"
		}
		var shippedBy string
		var shippedAt time.Time
		if d := r.m.Shipped(r.ci); d != nil {
			shippedBy, shippedAt = d.ID, d.Time
		}
		coding := nullableSeconds(c.Time, c.Opened)
		if c.TimeFromMerged {
			coding = nil
		}
		f.AppendRow(c.ID, c.Service, c.Team, r.m.Options.Environment, string(c.Type), c.Title, c.Time, source,
			nullableTime(c.Opened), nullableTime(c.Merged), shippedBy, nullableTime(shippedAt),
			nullableSeconds(c.Time, shippedAt), coding, nullableSeconds(c.Opened, c.Merged),
			nullableSeconds(c.Merged, shippedAt), c.URL)
	}
	setSeconds(f, "lead_time", "coding", "review", "deploy")
	f.Fields[0].Config = linkConfig("Open change")
	return f
}

func deploymentsTable(models []*engine.Model, s *tableScope) *data.Frame {
	type row struct {
		m  *engine.Model
		di int
	}
	var rows []row
	for _, m := range models {
		for di := range m.Deploys {
			d := &m.Deploys[di]
			if s.inRange(d.Time) && s.matchCommon(&d.Common, d.Team) && s.match(query.DimModel, d.Model) {
				rows = append(rows, row{m, di})
			}
		}
	}
	order := newest(indexes(len(rows)), func(i int) time.Time { return rows[i].m.Deploys[rows[i].di].Time }, s.limit)

	f := newTable("deployments",
		"id", "service", "team", "environment", "time", "status", "rollback", "failed", "reason", "changes",
		"recovered_at", "recovery_time", "rework", "model", "model_version", "commit", "url")
	for _, i := range order {
		d := &rows[i].m.Deploys[rows[i].di]
		f.AppendRow(d.ID, d.Service, d.Team, d.Environment, d.Time, string(d.Status), d.Rollback, d.Failed != 0,
			d.Failed.String(), int64(len(d.Ships)), nullableTime(d.Recovered), nullableSeconds(d.Time, d.Recovered),
			d.Rework, d.Model, d.ModelVersion, d.Commit, d.URL)
	}
	setSeconds(f, "recovery_time")
	f.Fields[0].Config = linkConfig("Open deployment")
	return f
}

func incidentsTable(m *engine.Model, s *tableScope) *data.Frame {
	order := s.pick(len(m.Incidents), func(ii int) bool {
		in := &m.Incidents[ii]
		return s.overlaps(in.Opened, in.Resolved) && s.matchCommon(&in.Common, in.Team)
	}, func(ii int) time.Time { return m.Incidents[ii].Opened })

	f := newTable("incidents",
		"id", "service", "team", "severity", "opened", "resolved", "time_to_restore", "deployment", "linked", "url")
	for _, ii := range order {
		in := &m.Incidents[ii]
		deployment := in.Deployment
		if in.Deploy >= 0 {
			deployment = m.Deploys[in.Deploy].ID
		}
		f.AppendRow(in.ID, in.Service, in.Team, in.Severity, nullableTime(in.Opened), nullableTime(in.Resolved),
			nullableSeconds(in.Opened, in.Resolved), deployment, in.Link.String(), in.URL)
	}
	setSeconds(f, "time_to_restore")
	f.Fields[0].Config = linkConfig("Open incident")
	return f
}

func runsTable(set *events.Set, s *tableScope) *data.Frame {
	order := s.pick(len(set.Runs), func(i int) bool {
		r := &set.Runs[i]
		return s.inRange(r.Time) && s.matchCommon(&r.Common, r.Team)
	}, func(i int) time.Time { return set.Runs[i].Time })
	f := newTable("runs", "id", "service", "team", "experiment", "time", "end", "feedback_time", "status", "url")
	for _, i := range order {
		r := &set.Runs[i]
		f.AppendRow(r.ID, r.Service, r.Team, r.Experiment, r.Time, nullableTime(r.End), nullableSeconds(r.Time, r.End),
			string(r.Status), r.URL)
	}
	setSeconds(f, "feedback_time")
	f.Fields[0].Config = linkConfig("Open run")
	return f
}

func milestonesTable(set *events.Set, s *tableScope) *data.Frame {
	order := s.pick(len(set.Milestones), func(i int) bool {
		ms := &set.Milestones[i]
		return s.inRange(ms.Time) && s.matchCommon(&ms.Common, ms.Team)
	}, func(i int) time.Time { return set.Milestones[i].Time })
	f := newTable("milestones", "id", "service", "team", "name", "time", "url")
	for _, i := range order {
		ms := &set.Milestones[i]
		f.AppendRow(ms.ID, ms.Service, ms.Team, ms.Name, ms.Time, ms.URL)
	}
	f.Fields[0].Config = linkConfig("Open milestone")
	return f
}

// columnTypes gives every table column its Go type, so that an empty table
// still has typed fields.
var columnTypes = map[string]any{
	"id": "", "service": "", "team": "", "environment": "", "type": "", "title": "", "time_source": "",
	"shipped_by": "", "status": "", "reason": "", "model": "", "model_version": "", "commit": "", "url": "",
	"severity": "", "deployment": "", "linked": "", "experiment": "", "name": "",
	"time": time.Time{}, "opened": (*time.Time)(nil), "merged": (*time.Time)(nil), "shipped_at": (*time.Time)(nil),
	"recovered_at": (*time.Time)(nil), "resolved": (*time.Time)(nil), "end": (*time.Time)(nil),
	"lead_time": (*float64)(nil), "coding": (*float64)(nil), "review": (*float64)(nil), "deploy": (*float64)(nil),
	"recovery_time": (*float64)(nil), "time_to_restore": (*float64)(nil), "feedback_time": (*float64)(nil),
	"rollback": false, "failed": false, "rework": false, "changes": int64(0),
}

func newTable(name string, columns ...string) *data.Frame {
	fields := make([]*data.Field, len(columns))
	for i, c := range columns {
		fields[i] = data.NewFieldFromFieldType(data.FieldTypeFor(columnTypes[c]), 0)
		fields[i].Name = c
	}
	f := data.NewFrame(name, fields...)
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTable, PreferredVisualization: data.VisTypeTable}
	return f
}

// setSeconds marks duration columns as seconds.
func setSeconds(f *data.Frame, names ...string) {
	for _, field := range f.Fields {
		if slices.Contains(names, field.Name) {
			field.Config = &data.FieldConfig{Unit: engine.UnitSeconds}
		}
	}
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
