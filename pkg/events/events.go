package events

import "time"

// Kind names one of the five kinds of canonical event.
type Kind string

// The kinds of canonical event.
const (
	KindChange     Kind = "change"
	KindDeployment Kind = "deployment"
	KindIncident   Kind = "incident"
	KindRun        Kind = "run"
	KindMilestone  Kind = "milestone"
)

// Kinds lists every kind in the order the documentation uses.
var Kinds = []Kind{KindChange, KindDeployment, KindIncident, KindRun, KindMilestone}

// ChangeType says what a change alters.
type ChangeType string

// The change types. A change without a type is a code change.
const (
	ChangeCode  ChangeType = "code"
	ChangeModel ChangeType = "model"
	ChangeData  ChangeType = "data"
)

// DeployStatus is the outcome of a deployment.
type DeployStatus string

// The deployment outcomes.
const (
	DeploySuccess DeployStatus = "success"
	DeployFailure DeployStatus = "failure"
)

// RunStatus is the state of an experiment run.
type RunStatus string

// The run states.
const (
	RunFinished RunStatus = "finished"
	RunFailed   RunStatus = "failed"
	RunKilled   RunStatus = "killed"
	RunRunning  RunStatus = "running"
)

// DefaultEnvironment is the environment of a deployment that names none.
const DefaultEnvironment = "production"

// Well-known milestone names; any other name is kept as given.
const (
	MilestoneKickoff   = "kickoff"
	MilestoneBaseline  = "baseline"
	MilestoneBootstrap = "bootstrap"
)

// Common holds the fields every kind of event carries.
type Common struct {
	ID      string
	Service string
	Team    string
	URL     string
	Labels  map[string]string
}

// Change is a unit of work that reaches production: a pull request, a model
// version or a data snapshot.
type Change struct {
	Common
	// Time is the author time of the change's first commit. When the feed
	// only knew the merge time, Time equals Merged and TimeFromMerged is set.
	Time           time.Time
	TimeFromMerged bool
	Commit         string
	Opened         time.Time // zero when unknown
	Merged         time.Time // zero when unknown
	Title          string
	Type           ChangeType
}

// Deployment is one attempt to put a version of a service into an
// environment, successful or not.
type Deployment struct {
	Common
	Time         time.Time // when it finished
	Environment  string
	Status       DeployStatus
	Commit       string
	Changes      []string // ids of the changes it ships
	Commits      []string // SHAs it ships, matched against Change.Commit
	Model        string
	ModelVersion string
	Rollback     bool
}

// Incident is a degradation of service in production.
type Incident struct {
	Common
	Opened     time.Time
	Resolved   time.Time // zero while open
	Deployment string    // id of the deployment that caused it, if known
	Severity   string
}

// Open reports whether the incident has not been resolved.
func (i *Incident) Open() bool { return i.Resolved.IsZero() }

// Run is one execution of an experiment.
type Run struct {
	Common
	Time       time.Time // start
	End        time.Time // zero while running or when unknown
	Status     RunStatus
	Experiment string
}

// Milestone marks a step of the journey: kickoff, baseline, bootstrap or
// another named step.
type Milestone struct {
	Common
	Time time.Time
	Name string
}

// Set holds canonical events by kind. The zero value is an empty set.
type Set struct {
	Changes     []Change
	Deployments []Deployment
	Incidents   []Incident
	Runs        []Run
	Milestones  []Milestone
}

// Len returns the number of events in the set.
func (s *Set) Len() int {
	return len(s.Changes) + len(s.Deployments) + len(s.Incidents) + len(s.Runs) + len(s.Milestones)
}

// Count returns the number of events of one kind.
func (s *Set) Count(k Kind) int {
	switch k {
	case KindChange:
		return len(s.Changes)
	case KindDeployment:
		return len(s.Deployments)
	case KindIncident:
		return len(s.Incidents)
	case KindRun:
		return len(s.Runs)
	case KindMilestone:
		return len(s.Milestones)
	}
	return 0
}

// EachCommon calls fn with the common fields of every event, kind by kind:
// deployments, changes, incidents, runs, then milestones.
func (s *Set) EachCommon(fn func(*Common)) {
	for i := range s.Deployments {
		fn(&s.Deployments[i].Common)
	}
	for i := range s.Changes {
		fn(&s.Changes[i].Common)
	}
	for i := range s.Incidents {
		fn(&s.Incidents[i].Common)
	}
	for i := range s.Runs {
		fn(&s.Runs[i].Common)
	}
	for i := range s.Milestones {
		fn(&s.Milestones[i].Common)
	}
}
