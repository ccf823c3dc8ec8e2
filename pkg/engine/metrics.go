package engine

import (
	"slices"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

// Kind says how a metric's observations combine.
type Kind int

// The kinds of metric.
const (
	// Duration observations are seconds, reduced by an aggregation.
	Duration Kind = iota
	// Count observations are counted: per bucket in a series, per day in a
	// summary.
	Count
	// PerDay observations are counted and divided by the days they span,
	// in a series as in a summary.
	PerDay
	// Ratio observations are 0 or 1; the value is their mean.
	Ratio
)

// Metric is one measure the engine computes.
type Metric struct {
	ID          string
	Name        string
	Description string
	Kind        Kind
	// Unit is the Grafana unit of the value.
	Unit string
	// Bands is nil for a metric without performance bands.
	Bands *Banding
	// Dims are the dimensions the metric's observations carry.
	Dims []query.Dimension
	// Environmental metrics are computed once per selected environment.
	Environmental bool
	// Exploration marks the measures of the exploration phase; the others
	// are delivery keys.
	Exploration bool
	emit        func(m *Model, c *collector)
}

var (
	deployDims   = []query.Dimension{query.DimService, query.DimTeam, query.DimEnvironment, query.DimModel}
	changeDims   = []query.Dimension{query.DimService, query.DimTeam, query.DimEnvironment, query.DimChangeType, query.DimModel}
	incidentDims = []query.Dimension{query.DimService, query.DimTeam, query.DimModel}
	serviceDims  = []query.Dimension{query.DimService, query.DimTeam}
)

// Units of the values, as Grafana names them.
const (
	UnitSeconds = "s"
	UnitRatio   = "percentunit"
	UnitCount   = "none"
	UnitPerDay  = "suffix:/day"
)

// Metrics lists every metric, the four keys first.
var Metrics = []*Metric{
	{
		ID: "deployment_frequency", Name: "Deployment frequency",
		Description: "Successful deployments to the environment: a count per bucket, per day in a summary.",
		Kind:        Count, Unit: UnitCount, Bands: frequencyBands, Dims: deployDims, Environmental: true,
		emit: emitDeployments,
	},
	{
		ID: "lead_time", Name: "Lead time for changes",
		Description: "From a change's first commit to the first successful deployment that ships it.",
		Kind:        Duration, Unit: UnitSeconds, Bands: leadTimeBands, Dims: changeDims, Environmental: true,
		emit: emitLeadTime(stageTotal),
	},
	{
		ID: "lead_time_coding", Name: "Coding time",
		Description: "From a change's first commit to its pull request being opened.",
		Kind:        Duration, Unit: UnitSeconds, Dims: changeDims, Environmental: true,
		emit: emitLeadTime(stageCoding),
	},
	{
		ID: "lead_time_review", Name: "Review time",
		Description: "From a change's pull request being opened to its merge.",
		Kind:        Duration, Unit: UnitSeconds, Dims: changeDims, Environmental: true,
		emit: emitLeadTime(stageReview),
	},
	{
		ID: "lead_time_deploy", Name: "Deploy time",
		Description: "From a change's merge to the deployment that ships it.",
		Kind:        Duration, Unit: UnitSeconds, Dims: changeDims, Environmental: true,
		emit: emitLeadTime(stageDeploy),
	},
	{
		ID: "change_failure_rate", Name: "Change failure rate",
		Description: "Failed deployments divided by all deployments (failed: status failure, an incident, or rolled back next).",
		Kind:        Ratio, Unit: UnitRatio, Bands: failureBands, Dims: deployDims, Environmental: true,
		emit: emitFailures,
	},
	{
		ID: "time_to_restore", Name: "Time to restore service",
		Description: "From an incident being opened to its resolution, counted when it is resolved.",
		Kind:        Duration, Unit: UnitSeconds, Bands: recoveryBands, Dims: incidentDims,
		emit: emitRestore,
	},
	{
		ID: "failed_deployment_recovery_time", Name: "Failed deployment recovery time",
		Description: "From a failed deployment to its last incident's resolution, or else to the next successful deployment.",
		Kind:        Duration, Unit: UnitSeconds, Bands: recoveryBands, Dims: deployDims, Environmental: true,
		emit: emitRecovery,
	},
	{
		ID: "rework_rate", Name: "Rework rate",
		Description: "Share of successful deployments that are rollbacks or the first success after a failed deployment.",
		Kind:        Ratio, Unit: UnitRatio, Dims: deployDims, Environmental: true,
		emit: emitRework,
	},
	{
		ID: "iteration_rate", Name: "Experiment iteration rate",
		Description: "Experiment runs started per day.",
		Kind:        PerDay, Unit: UnitPerDay, Dims: serviceDims,
		Exploration: true,
		emit:        emitRuns,
	},
	{
		ID: "feedback_time", Name: "Experiment feedback time",
		Description: "From an experiment run's start to its end, counted at its start.",
		Kind:        Duration, Unit: UnitSeconds, Dims: serviceDims,
		Exploration: true,
		emit:        emitFeedback,
	},
	{
		ID: "time_to_baseline", Name: "Time to baseline",
		Description: "From a service's kickoff to its agreed baseline.",
		Kind:        Duration, Unit: UnitSeconds, Dims: serviceDims,
		Exploration: true,
		emit:        emitBaseline,
	},
	{
		ID: "time_to_first_production", Name: "Time to first production",
		Description: "From a service's bootstrap to its first successful deployment to the environment.",
		Kind:        Duration, Unit: UnitSeconds, Dims: []query.Dimension{query.DimService, query.DimTeam, query.DimEnvironment}, Environmental: true,
		Exploration: true,
		emit:        emitFirstProduction,
	},
}

// Lookup returns the metric with the given id, or nil.
func Lookup(id string) *Metric {
	for _, m := range Metrics {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// Known reports whether id names a metric.
func Known(id string) bool { return Lookup(id) != nil }

// HasDim reports whether the metric's observations carry dimension d.
func (m *Metric) HasDim(d query.Dimension) bool { return slices.Contains(m.Dims, d) }

func seconds(d time.Duration) float64 { return d.Seconds() }

func emitDeployments(m *Model, c *collector) {
	for i := range m.Deploys {
		d := &m.Deploys[i]
		if d.Status == events.DeploySuccess {
			c.add(d.Time, 1, deployDimsOf(m, d))
		}
	}
}

func emitFailures(m *Model, c *collector) {
	for i := range m.Deploys {
		d := &m.Deploys[i]
		v := 0.0
		if d.Failed != 0 {
			v = 1
		}
		c.add(d.Time, v, deployDimsOf(m, d))
	}
}

func emitRework(m *Model, c *collector) {
	for i := range m.Deploys {
		d := &m.Deploys[i]
		if d.Status != events.DeploySuccess {
			continue
		}
		v := 0.0
		if d.Rework {
			v = 1
		}
		c.add(d.Time, v, deployDimsOf(m, d))
	}
}

func emitRecovery(m *Model, c *collector) {
	for i := range m.Deploys {
		d := &m.Deploys[i]
		if d.Failed == 0 {
			continue
		}
		if d.Recovered.IsZero() {
			c.pending(&c.notes.StillFailed, d.Time, deployDimsOf(m, d))
			continue
		}
		c.addDuration(d.Recovered, d.Recovered.Sub(d.Time), deployDimsOf(m, d))
	}
}

func deployDimsOf(m *Model, d *Deploy) Dims {
	return Dims{Service: d.Service, Team: d.Team, Environment: m.Options.Environment, Model: d.Model}
}

type stage int

const (
	stageTotal stage = iota
	stageCoding
	stageReview
	stageDeploy
)

func emitLeadTime(s stage) func(m *Model, c *collector) {
	return func(m *Model, c *collector) {
		for i := range m.Changes {
			ch := &m.Changes[i]
			if ch.Ship < 0 {
				continue
			}
			// The shipping deployment's time, from a slice read in order:
			// reaching it through the deployment costs as much as the rest
			// of the loop.
			at := m.shipTimes[i]
			var from, to time.Time
			switch s {
			case stageTotal:
				from, to = ch.Time, at
			case stageCoding:
				if ch.TimeFromMerged {
					continue
				}
				from, to = ch.Time, ch.Opened
			case stageReview:
				from, to = ch.Opened, ch.Merged
			case stageDeploy:
				from, to = ch.Merged, at
			}
			if from.IsZero() || to.IsZero() {
				continue
			}
			var dims Dims
			if !c.plain {
				// Only filters and groups read the dimensions; skip the
				// reads for the rest.
				dims = Dims{
					Service: ch.Service, Team: ch.Team, Environment: m.Options.Environment,
					ChangeType: string(ch.Type), Model: m.Deploys[ch.Ship].Model,
				}
			}
			c.addDuration(at, to.Sub(from), dims)
		}
	}
}

func emitRestore(m *Model, c *collector) {
	for i := range m.Incidents {
		in := &m.Incidents[i]
		dims := Dims{Service: in.Service, Team: in.Team}
		if in.Deploy >= 0 {
			dims.Model = m.Deploys[in.Deploy].Model
		}
		if in.Open() {
			c.pending(&c.notes.OpenIncidents, in.Opened, dims)
			continue
		}
		c.addDuration(in.Resolved, in.Resolved.Sub(in.Opened), dims)
	}
}

func runDims(r *events.Run, teams map[string]string) Dims {
	return Dims{Service: r.Service, Team: teamOf(&r.Common, teams)}
}

func emitRuns(m *Model, c *collector) {
	teams := m.teams
	for i := range m.Set.Runs {
		r := &m.Set.Runs[i]
		c.add(r.Time, 1, runDims(r, teams))
	}
}

func emitFeedback(m *Model, c *collector) {
	teams := m.teams
	for i := range m.Set.Runs {
		r := &m.Set.Runs[i]
		if r.End.IsZero() {
			continue
		}
		c.addDuration(r.Time, r.End.Sub(r.Time), runDims(r, teams))
	}
}

// firstMilestones returns, per service, the earliest milestone of a name.
func firstMilestones(set *events.Set, name string) map[string]*events.Milestone {
	first := make(map[string]*events.Milestone)
	for i := range set.Milestones {
		ms := &set.Milestones[i]
		if ms.Name != name {
			continue
		}
		if f, ok := first[ms.Service]; !ok || ms.Time.Before(f.Time) {
			first[ms.Service] = ms
		}
	}
	return first
}

func emitBaseline(m *Model, c *collector) {
	kickoffs := firstMilestones(m.Set, events.MilestoneKickoff)
	baselines := make(map[string]*events.Milestone)
	for i := range m.Set.Milestones {
		ms := &m.Set.Milestones[i]
		k, ok := kickoffs[ms.Service]
		if ms.Name != events.MilestoneBaseline || !ok || ms.Time.Before(k.Time) {
			continue
		}
		if b, ok := baselines[ms.Service]; !ok || ms.Time.Before(b.Time) {
			baselines[ms.Service] = ms
		}
	}
	for _, service := range sortedKeys(baselines) {
		b := baselines[service]
		dims := Dims{Service: service, Team: teamOf(&b.Common, m.teams)}
		c.addDuration(b.Time, b.Time.Sub(kickoffs[service].Time), dims)
	}
}

func emitFirstProduction(m *Model, c *collector) {
	bootstraps := firstMilestones(m.Set, events.MilestoneBootstrap)
	for _, service := range sortedKeys(bootstraps) {
		b := bootstraps[service]
		for _, di := range m.byService[service] {
			d := &m.Deploys[di]
			if d.Status != events.DeploySuccess || d.Time.Before(b.Time) {
				continue
			}
			dims := Dims{Service: service, Team: teamOf(&b.Common, m.teams), Environment: m.Options.Environment}
			c.addDuration(d.Time, d.Time.Sub(b.Time), dims)
			break
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
