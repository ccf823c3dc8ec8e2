package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

// QueryData answers every query of the request. The sources are read once
// for the whole request; a query that fails answers with its own error and
// leaves the others alone.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	eng, snap, err := d.engine(ctx)
	for _, q := range req.Queries {
		if err != nil {
			resp.Responses[q.RefID] = backend.ErrorResponseWithErrorSource(err)
			continue
		}
		resp.Responses[q.RefID] = d.query(eng, snap, q)
	}
	return resp, nil
}

// badQuery is the answer to a query that cannot be run as written.
func badQuery(err error) backend.DataResponse {
	return backend.DataResponse{Error: err, Status: backend.StatusBadRequest, ErrorSource: backend.ErrorSourceDownstream}
}

func (d *Datasource) query(eng *engine.Engine, snap *source.Snapshot, dq backend.DataQuery) backend.DataResponse {
	q, err := query.Parse(dq.JSON, dq.QueryType, engine.Known)
	if err != nil {
		return badQuery(err)
	}
	frames, notes, err := run(eng, q, dq)
	if err != nil {
		log.DefaultLogger.Debug("Query failed", "refID", dq.RefID, "queryType", q.QueryType, "error", err)
		return badQuery(err)
	}
	if len(frames) == 0 {
		frames = data.Frames{data.NewFrame("")}
	}
	frames[0].AppendNotices(snapshotNotices(snap)...)
	frames[0].AppendNotices(notes...)
	return backend.DataResponse{Frames: frames}
}

func run(eng *engine.Engine, q query.Query, dq backend.DataQuery) (data.Frames, []data.Notice, error) {
	from, to := dq.TimeRange.From, dq.TimeRange.To
	switch q.QueryType {
	case query.TypeTimeSeries:
		return timeSeries(eng, q, dq)
	case query.TypeSummary:
		return summaries(eng, q, dq)
	case query.TypeValues:
		return data.Frames{valuesFrame(eng.Set(), q.Dimension)}, nil, nil
	}
	scope := &tableScope{from: from, to: to, filters: q.Filters, limit: q.Limit}
	if scope.limit == 0 {
		scope.limit = query.MaxLimit
	}
	models := modelsFor(eng, q.Filters)
	if q.QueryType == query.TypeAnnotations {
		return data.Frames{annotationsFrame(models, scope)}, nil, nil
	}
	var f *data.Frame
	switch q.Table {
	case query.TableChanges:
		f = changesTable(models, scope)
	case query.TableDeployments:
		f = deploymentsTable(models, scope)
	case query.TableIncidents:
		f = incidentsTable(models[0], scope)
	case query.TableRuns:
		f = runsTable(eng.Set(), scope)
	case query.TableMilestones:
		f = milestonesTable(eng.Set(), scope)
	}
	return data.Frames{f}, nil, nil
}

func modelsFor(eng *engine.Engine, f query.Filters) []*engine.Model {
	envs := eng.Environments(f)
	models := make([]*engine.Model, len(envs))
	for i, env := range envs {
		models[i] = eng.Model(env)
	}
	return models
}

func request(m *engine.Metric, q query.Query, dq backend.DataQuery) engine.Request {
	return engine.Request{
		Metric: m, Aggregation: q.Aggregation, GroupBy: q.GroupBy, Filters: q.Filters,
		From: dq.TimeRange.From, To: dq.TimeRange.To,
	}
}

func timeSeries(eng *engine.Engine, q query.Query, dq backend.DataQuery) (data.Frames, []data.Notice, error) {
	m := engine.Lookup(q.Metric)
	step := q.Step
	if step == 0 {
		step = engine.AutoStep(dq.Interval, dq.TimeRange.From, dq.TimeRange.To)
	}
	r, err := eng.Series(engine.SeriesRequest{Request: request(m, q, dq), Step: step, Window: q.WindowLen, Location: q.Location})
	if err != nil {
		return nil, nil, err
	}
	return seriesFrames(r), noteNotices(m, r.Notes), nil
}

func summaries(eng *engine.Engine, q query.Query, dq backend.DataQuery) (data.Frames, []data.Notice, error) {
	ids := q.Metrics
	all := len(ids) == 0
	if all {
		for _, m := range engine.Metrics {
			ids = append(ids, m.ID)
		}
	}
	var frames data.Frames
	var notices []data.Notice
	for _, id := range ids {
		m := engine.Lookup(id)
		if all && !groupable(m, q.GroupBy) {
			// Asked for every metric: keep those that have the dimensions.
			continue
		}
		s, err := eng.Summary(request(m, q, dq))
		if err != nil {
			return nil, nil, err
		}
		frames = append(frames, summaryFrames(s)...)
		notices = append(notices, noteNotices(m, s.Notes)...)
	}
	if len(frames) == 0 {
		return nil, nil, errors.New("no metric can be grouped that way")
	}
	return frames, notices, nil
}

func groupable(m *engine.Metric, groupBy []query.Dimension) bool {
	for _, d := range groupBy {
		if !m.HasDim(d) {
			return false
		}
	}
	return true
}

// noteNotices tells the user what a metric left out.
func noteNotices(m *engine.Metric, n engine.Notes) []data.Notice {
	var out []data.Notice
	info := func(format string, args ...any) {
		out = append(out, data.Notice{Severity: data.NoticeSeverityInfo, Text: m.Name + ": " + fmt.Sprintf(format, args...)})
	}
	if n.Negative > 0 {
		info("%d durations ended before they began and were left out; check the times of those events", n.Negative)
	}
	if n.OpenIncidents > 0 {
		info("%d incidents are still open and are not counted until they are resolved", n.OpenIncidents)
	}
	if n.StillFailed > 0 {
		info("%d failed deployments have not recovered yet and are not counted", n.StillFailed)
	}
	return out
}

// snapshotNotices warns about sources that failed and events that were
// skipped.
func snapshotNotices(snap *source.Snapshot) []data.Notice {
	var out []data.Notice
	for _, st := range snap.Sources {
		if st.Err != nil {
			out = append(out, data.Notice{Severity: data.NoticeSeverityWarning,
				Text: fmt.Sprintf("%s could not be read, showing the other sources: %v", st.Name, st.Err)})
			continue
		}
		if st.Report.Skipped > 0 {
			out = append(out, data.Notice{Severity: data.NoticeSeverityWarning,
				Text: fmt.Sprintf("%s: %s", st.Name, st.Report.String())})
		}
	}
	return out
}
