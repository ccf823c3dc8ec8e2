package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

// week is Monday 4 March 2024, 00:00 UTC. The fixtures count from it so that
// "Tuesday 15:00" in docs/metrics.md reads as on(time.Tuesday, 15, 0).
var week = time.Date(2024, time.March, 4, 0, 0, 0, 0, time.UTC)

const (
	day  = 24 * time.Hour
	ok   = events.DeploySuccess
	fail = events.DeployFailure
	prod = events.DefaultEnvironment
)

// on returns hh:mm on a weekday of the test week (Monday first, Sunday last).
func on(wd time.Weekday, hh, mm int) time.Time {
	offset := (int(wd) + 6) % 7
	return week.AddDate(0, 0, offset).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

// hours converts hours to the seconds a duration metric reports.
func hours(h float64) float64 { return h * 3600 }

func dep(id, service string, t time.Time, status events.DeployStatus, changes ...string) events.Deployment {
	return events.Deployment{
		Common:      events.Common{ID: id, Service: service},
		Time:        t,
		Environment: prod,
		Status:      status,
		Changes:     changes,
	}
}

// rollback marks d as a rollback.
func rollback(d events.Deployment) events.Deployment {
	d.Rollback = true
	return d
}

// inEnv moves d to another environment.
func inEnv(env string, d events.Deployment) events.Deployment {
	d.Environment = env
	return d
}

// withModel sets the model d serves.
func withModel(model string, d events.Deployment) events.Deployment {
	d.Model = model
	return d
}

// change returns a code change whose first commit is at t.
func change(id, service string, t time.Time) events.Change {
	return events.Change{Common: events.Common{ID: id, Service: service}, Time: t, Type: events.ChangeCode}
}

// reviewed returns a change with all three stage times known.
func reviewed(id, service string, first, opened, merged time.Time) events.Change {
	c := change(id, service, first)
	c.Opened, c.Merged = opened, merged
	return c
}

func ofType(tp events.ChangeType, c events.Change) events.Change {
	c.Type = tp
	return c
}

// incident returns an incident; a zero resolved time leaves it open and an
// empty deployment leaves it to attribution.
func incident(id, service string, opened, resolved time.Time, deployment string) events.Incident {
	return events.Incident{
		Common:     events.Common{ID: id, Service: service},
		Opened:     opened,
		Resolved:   resolved,
		Deployment: deployment,
	}
}

func run(id, service string, start time.Time, length time.Duration) events.Run {
	r := events.Run{Common: events.Common{ID: id, Service: service}, Time: start, Status: events.RunFinished}
	if length > 0 {
		r.End = start.Add(length)
	} else {
		r.Status = events.RunRunning
	}
	return r
}

func milestone(id, service, name string, t time.Time) events.Milestone {
	return events.Milestone{Common: events.Common{ID: id, Service: service}, Time: t, Name: name}
}

// teamed sets the team of any event the helpers above build.
func teamed[E events.Change | events.Deployment | events.Incident | events.Run | events.Milestone](team string, e E) E {
	switch v := any(&e).(type) {
	case *events.Change:
		v.Team = team
	case *events.Deployment:
		v.Team = team
	case *events.Incident:
		v.Team = team
	case *events.Run:
		v.Team = team
	case *events.Milestone:
		v.Team = team
	}
	return e
}

// set gathers events of any kind into a Set.
func set(items ...any) *events.Set {
	s := &events.Set{}
	for _, it := range items {
		switch v := it.(type) {
		case events.Change:
			s.Changes = append(s.Changes, v)
		case events.Deployment:
			s.Deployments = append(s.Deployments, v)
		case events.Incident:
			s.Incidents = append(s.Incidents, v)
		case events.Run:
			s.Runs = append(s.Runs, v)
		case events.Milestone:
			s.Milestones = append(s.Milestones, v)
		default:
			panic(fmt.Sprintf("set: %T is not an event", it))
		}
	}
	return s
}

// ask builds a median request for one metric over [from, to).
func ask(metric string, from, to time.Time) engine.Request {
	m := engine.Lookup(metric)
	if m == nil {
		panic("unknown metric " + metric)
	}
	return engine.Request{Metric: m, Aggregation: query.AggMedian, From: from, To: to}
}

// wholeWeek asks for a metric over the test week, Monday to Monday.
func wholeWeek(metric string) engine.Request {
	return ask(metric, week, week.AddDate(0, 0, 7))
}

func newEngine(s *events.Set) *engine.Engine {
	return engine.New(s, "", engine.DefaultAttributionWindow)
}

func summarize(t *testing.T, s *events.Set, req engine.Request) *engine.Summary {
	t.Helper()
	out, err := newEngine(s).Summary(req)
	require.NoError(t, err)
	return out
}

// single returns the one value of an ungrouped summary.
func single(t *testing.T, s *engine.Summary) engine.Value {
	t.Helper()
	require.Len(t, s.Values, 1, "an ungrouped summary has one value")
	return s.Values[0]
}

// byLabel indexes a grouped summary by the value of one label.
func byLabel(t *testing.T, s *engine.Summary, label string) map[string]engine.Value {
	t.Helper()
	out := make(map[string]engine.Value, len(s.Values))
	for _, v := range s.Values {
		key, found := v.Labels[label]
		require.True(t, found, "value %v has no %s label", v, label)
		out[key] = v
	}
	require.Len(t, out, len(s.Values), "groups repeat a %s", label)
	return out
}

// points flattens one series into floats, a missing value becoming null so
// that an expected series can spell it.
func points(vals []*float64) []float64 {
	out := make([]float64, len(vals))
	for i, v := range vals {
		if v == nil {
			out[i] = null
		} else {
			out[i] = *v
		}
	}
	return out
}

// null stands for a missing point in expected series; no metric is negative.
const null = -1.0

// requireValue checks a valid summary value to a millisecond.
func requireValue(t *testing.T, want float64, got engine.Value, msgAndArgs ...any) {
	t.Helper()
	require.True(t, got.Valid, msgAndArgs...)
	require.InDelta(t, want, got.Value, 1e-3, msgAndArgs...)
}

// requireSeries compares a series point by point, null meaning missing.
func requireSeries(t *testing.T, want []float64, got []*float64) {
	t.Helper()
	require.Len(t, got, len(want))
	require.InDeltaSlice(t, want, points(got), 1e-6)
}

func TestFixtureWeekStartsOnMonday(t *testing.T) {
	t.Parallel()
	require.Equal(t, time.Monday, week.Weekday())
	require.Equal(t, time.Friday, on(time.Friday, 0, 0).Weekday())
	require.Equal(t, time.Sunday, on(time.Sunday, 0, 0).Weekday())
	require.Equal(t, week.AddDate(0, 0, 6), on(time.Sunday, 0, 0))
}
