package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// FailReason says why a deployment counts as failed. A deployment can fail
// for several reasons at once.
type FailReason uint8

// The failure reasons.
const (
	FailStatus     FailReason = 1 << iota // its status is failure
	FailIncident                          // an incident names it or is attributed to it
	FailRolledBack                        // the next deployment of its service is a rollback
)

// String lists the reasons in words, for the events table.
func (r FailReason) String() string {
	var parts []string
	if r&FailStatus != 0 {
		parts = append(parts, "status failure")
	}
	if r&FailIncident != 0 {
		parts = append(parts, "incident")
	}
	if r&FailRolledBack != 0 {
		parts = append(parts, "rolled back")
	}
	return strings.Join(parts, ", ")
}

// IncidentLink says how an incident was tied to a deployment.
type IncidentLink uint8

// The ways an incident is linked.
const (
	LinkNone              IncidentLink = iota // names no deployment and none was in the window
	LinkNamed                                 // names a deployment of this environment
	LinkAttributed                            // attributed by the window
	LinkUnknownDeployment                     // names a deployment that no source knows
	LinkOtherEnvironment                      // names a deployment of another environment
)

// String names the link for the events table.
func (l IncidentLink) String() string {
	switch l {
	case LinkNamed:
		return "named"
	case LinkAttributed:
		return "attributed"
	case LinkUnknownDeployment:
		return "unknown deployment"
	case LinkOtherEnvironment:
		return "other environment"
	}
	return "none"
}

// Deploy is what linking learned about one deployment of the environment.
type Deploy struct {
	*events.Deployment
	Team      string
	Failed    FailReason // zero when the deployment did not fail
	Rework    bool
	Ships     []int     // indexes into Model.Changes
	Incidents []int     // indexes into Model.Incidents
	Recovered time.Time // for a failed deployment, zero while still failed
}

// ChangeLink is what linking learned about one change.
type ChangeLink struct {
	*events.Change
	Team string
	// Ship is the index in Model.Deploys of the deployment that shipped the
	// change, or -1.
	Ship int
}

// IncidentInfo is what linking learned about one incident.
type IncidentInfo struct {
	*events.Incident
	Team   string
	Link   IncidentLink
	Deploy int // index in Model.Deploys, or -1
}

// Options control linking.
type Options struct {
	// Environment whose deployments count.
	Environment string
	// AttributionWindow ties an incident that names no deployment to the
	// latest successful deployment of its service that finished at most this
	// long before the incident opened. Zero turns attribution off.
	AttributionWindow time.Duration
}

// DefaultAttributionWindow is the attribution window of a data source that
// sets none.
const DefaultAttributionWindow = 72 * time.Hour

// Model is a Set linked for one environment. It is read-only once built and
// safe for concurrent use.
type Model struct {
	Set       *events.Set
	Options   Options
	Deploys   []Deploy // the environment's deployments, in time order
	Changes   []ChangeLink
	Incidents []IncidentInfo
	// byService lists indexes into Deploys per service, in time order.
	byService map[string][]int
	// teams maps a service to its team, for events that name none.
	teams map[string]string
	// shipTimes holds, per change, the time of the deployment that shipped
	// it, for the lead times to read in order.
	shipTimes []time.Time
}

// Link builds the Model of set for one environment.
func Link(set *events.Set, opts Options) *Model {
	m := &Model{Set: set, Options: opts, byService: make(map[string][]int)}
	teams := serviceTeams(set)
	m.teams = teams
	m.collectDeploys(teams)
	m.shipChanges(teams)
	m.linkIncidents(teams)
	m.markFailures()
	m.markRecoveryAndRework()
	return m
}

// serviceTeams maps a service to the first team any of its events names, so
// that an event without a team still groups with its service's team.
func serviceTeams(set *events.Set) map[string]string {
	teams := make(map[string]string)
	set.EachCommon(func(c *events.Common) {
		if c.Team != "" {
			if _, ok := teams[c.Service]; !ok {
				teams[c.Service] = c.Team
			}
		}
	})
	return teams
}

func teamOf(c *events.Common, teams map[string]string) string {
	if c.Team != "" {
		return c.Team
	}
	return teams[c.Service]
}

func (m *Model) collectDeploys(teams map[string]string) {
	n := 0
	for i := range m.Set.Deployments {
		if m.Set.Deployments[i].Environment == m.Options.Environment {
			n++
		}
	}
	if n > 0 {
		m.Deploys = make([]Deploy, 0, n)
	}
	for i := range m.Set.Deployments {
		d := &m.Set.Deployments[i]
		if d.Environment == m.Options.Environment {
			m.Deploys = append(m.Deploys, Deploy{Deployment: d, Team: teamOf(&d.Common, teams)})
		}
	}
	slices.SortStableFunc(m.Deploys, func(a, b Deploy) int { return a.Time.Compare(b.Time) })
	for i := range m.Deploys {
		s := m.Deploys[i].Service
		m.byService[s] = append(m.byService[s], i)
	}
}

// shipChanges gives every change the earliest successful deployment that
// lists it by id or by its commit. Deploys are in time order, so the first
// claim wins.
func (m *Model) shipChanges(teams map[string]string) {
	set := m.Set
	m.Changes = make([]ChangeLink, len(set.Changes))
	byID := make(map[string]int, len(set.Changes))
	for i := range set.Changes {
		c := &set.Changes[i]
		m.Changes[i] = ChangeLink{Change: c, Team: teamOf(&c.Common, teams), Ship: -1}
		byID[c.ID] = i
	}
	byCommit, sharedCommit := commitIndex(set.Changes)
	// A change ships at most once, so one array can hold the Ships of every
	// deployment, each a full slice expression of its own stretch.
	shipped := make([]int, 0, len(set.Changes))
	m.shipTimes = make([]time.Time, len(set.Changes))
	for di := range m.Deploys {
		d := &m.Deploys[di]
		if d.Status != events.DeploySuccess {
			continue
		}
		first := len(shipped)
		claim := func(ci int) {
			if m.Changes[ci].Ship == -1 {
				m.Changes[ci].Ship = di
				m.shipTimes[ci] = d.Time
				shipped = append(shipped, ci)
			}
		}
		// A commit names no service, and one commit of a monorepo can land
		// changes of several, so a commit ships only the deployment's own.
		claimOwn := func(ci int) {
			if set.Changes[ci].Service == d.Service {
				claim(ci)
			}
		}
		claimCommit := func(sha string) {
			if ci, ok := byCommit[sha]; ok {
				claimOwn(ci)
				for _, ci := range sharedCommit[sha] {
					claimOwn(ci)
				}
			}
		}
		for _, id := range d.Changes {
			if ci, ok := byID[id]; ok {
				claim(ci)
			}
		}
		for _, sha := range d.Commits {
			claimCommit(sha)
		}
		if d.Commit != "" {
			claimCommit(d.Commit)
		}
		if len(shipped) > first {
			d.Ships = shipped[first:len(shipped):len(shipped)]
		}
	}
}

// commitIndex maps each commit to its first change, and, in sharedCommit,
// to its later changes in index order: one map entry per change and no
// slice per commit, as commits are rarely shared. Filling byCommit from the
// last change back leaves the first change of each commit in it with one
// map write per change; the sizes tell whether any commit is shared.
func commitIndex(changes []events.Change) (byCommit map[string]int, sharedCommit map[string][]int) {
	byCommit = make(map[string]int, len(changes))
	withCommit := 0
	for i := len(changes) - 1; i >= 0; i-- {
		if sha := changes[i].Commit; sha != "" {
			byCommit[sha] = i
			withCommit++
		}
	}
	if len(byCommit) == withCommit {
		return byCommit, nil
	}
	sharedCommit = make(map[string][]int)
	for i := range changes {
		if sha := changes[i].Commit; sha != "" && byCommit[sha] != i {
			sharedCommit[sha] = append(sharedCommit[sha], i)
		}
	}
	return byCommit, sharedCommit
}

func (m *Model) linkIncidents(teams map[string]string) {
	set := m.Set
	envIndex := make(map[string]int, len(m.Deploys))
	for i := range m.Deploys {
		envIndex[m.Deploys[i].ID] = i
	}
	known := make(map[string]struct{}, len(set.Deployments))
	for i := range set.Deployments {
		known[set.Deployments[i].ID] = struct{}{}
	}
	m.Incidents = make([]IncidentInfo, len(set.Incidents))
	for i := range set.Incidents {
		in := &set.Incidents[i]
		info := IncidentInfo{Incident: in, Team: teamOf(&in.Common, teams), Deploy: -1}
		switch di, inEnv := envIndex[in.Deployment]; {
		case in.Deployment == "":
			if di := m.attribute(in); di >= 0 {
				info.Link, info.Deploy = LinkAttributed, di
			}
		case inEnv:
			info.Link, info.Deploy = LinkNamed, di
		default:
			if _, ok := known[in.Deployment]; ok {
				info.Link = LinkOtherEnvironment
			} else {
				info.Link = LinkUnknownDeployment
			}
		}
		if info.Deploy >= 0 {
			m.Deploys[info.Deploy].Incidents = append(m.Deploys[info.Deploy].Incidents, i)
		}
		m.Incidents[i] = info
	}
}

// attribute finds the latest successful deployment of the incident's service
// that finished within the window before the incident opened.
func (m *Model) attribute(in *events.Incident) int {
	window := m.Options.AttributionWindow
	if window <= 0 {
		return -1
	}
	list := m.byService[in.Service]
	// The first deploy after the incident opened; search back from there.
	n, _ := slices.BinarySearchFunc(list, in.Opened, func(di int, t time.Time) int {
		if m.Deploys[di].Time.After(t) {
			return 1
		}
		return -1
	})
	for k := n - 1; k >= 0; k-- {
		d := &m.Deploys[list[k]]
		if in.Opened.Sub(d.Time) > window {
			break
		}
		if d.Status == events.DeploySuccess {
			return list[k]
		}
	}
	return -1
}

func (m *Model) markFailures() {
	for _, list := range m.byService {
		for k, di := range list {
			d := &m.Deploys[di]
			if d.Status == events.DeployFailure {
				d.Failed |= FailStatus
			}
			if len(d.Incidents) > 0 {
				d.Failed |= FailIncident
			}
			if k+1 < len(list) && m.Deploys[list[k+1]].Rollback {
				d.Failed |= FailRolledBack
			}
		}
	}
}

// markRecoveryAndRework sets when each failed deployment recovered and which
// successful deployments are rework.
func (m *Model) markRecoveryAndRework() {
	for _, list := range m.byService {
		afterFailure := false
		for k, di := range list {
			d := &m.Deploys[di]
			if d.Status == events.DeploySuccess && (d.Rollback || afterFailure) {
				d.Rework = true
				afterFailure = false
			}
			if d.Failed != 0 {
				afterFailure = true
				d.Recovered = m.recovery(d, list[k+1:])
			}
		}
	}
}

// recovery is when the last incident linked to d was resolved or, with no
// incident, when the next successful deployment of its service finished.
func (m *Model) recovery(d *Deploy, later []int) time.Time {
	if len(d.Incidents) > 0 {
		var last time.Time
		for _, ii := range d.Incidents {
			in := m.Incidents[ii].Incident
			if in.Open() {
				return time.Time{}
			}
			if in.Resolved.After(last) {
				last = in.Resolved
			}
		}
		return last
	}
	for _, di := range later {
		if m.Deploys[di].Status == events.DeploySuccess {
			return m.Deploys[di].Time
		}
	}
	return time.Time{}
}

// Shipped returns the deployment that shipped change ci, or nil.
func (m *Model) Shipped(ci int) *Deploy {
	if s := m.Changes[ci].Ship; s >= 0 {
		return &m.Deploys[s]
	}
	return nil
}
