// Package demo owns the embedded demo dataset: twelve months of changes,
// deployments, incidents, experiment runs and milestones for three services
// of two teams, generated from a fixed seed so that the same hour always
// gives the same events. It is the data of a data source with no
// configuration.
package demo

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// seed fixes the demo data; changing it changes every id.
const seed = 0x466f75724b657973

const (
	production = events.DefaultEnvironment
	staging    = "staging"
)

// Generate returns the demo events for the twelve months ending at now.
// The timeline ends at the start of the hour of now (UTC), so every call
// within the same hour returns the same events with the same ids. The
// slices of each kind are sorted by time.
func Generate(now time.Time) *events.Set {
	end := now.UTC().Truncate(time.Hour)
	start := end.AddDate(-1, 0, 0)
	set := &events.Set{}
	for i := range profiles {
		g := newGenerator(&profiles[i], i, start, end, set)
		g.milestones()
		g.releases()
		g.runs()
	}
	sortSet(set)
	return set
}

// generator produces the events of one service into a shared set.
type generator struct {
	p      *profile
	index  int // of the profile, for numbers unique across services
	set    *events.Set
	rng    *rand.Rand // releases, changes, deployments, incidents
	runRng *rand.Rand // runs, so that their draws do not depend on releases
	end    time.Time

	kickoff, baseline, bootstrap time.Time

	pr        int     // last pull request number
	deploys   int     // last deployment number
	version   int     // last model version
	incidents int     // incidents so far
	live      release // what runs in production now
}

// release is a version of a service: the changes it ships, its head commit
// and, for a model-serving service, its model version.
type release struct {
	changes []events.Change
	commit  string
	version string
}

func newGenerator(p *profile, index int, start, end time.Time, set *events.Set) *generator {
	stream := 2 * uint64(index)
	return &generator{
		p:         p,
		index:     index,
		set:       set,
		rng:       rand.New(rand.NewPCG(seed, stream)),
		runRng:    rand.New(rand.NewPCG(seed, stream+1)),
		end:       end,
		kickoff:   morning(start.Add(p.kickoff)),
		baseline:  morning(start.Add(p.baseline)),
		bootstrap: morning(start.Add(p.bootstrap)),
		pr:        100,
	}
}

func (g *generator) common(id, url string) events.Common {
	return events.Common{ID: id, Service: g.p.service, Team: g.p.team, URL: url}
}

func (g *generator) milestones() {
	for _, m := range []struct {
		name string
		at   time.Time
	}{
		{events.MilestoneKickoff, g.kickoff},
		{events.MilestoneBaseline, g.baseline},
		{events.MilestoneBootstrap, g.bootstrap},
	} {
		id := g.p.service + "-" + m.name
		url := fmt.Sprintf("https://wiki.example.com/%s/%s/%s", g.p.team, g.p.service, m.name)
		g.set.Milestones = append(g.set.Milestones, events.Milestone{
			Common: g.common(id, url),
			Time:   m.at,
			Name:   m.name,
		})
	}
}

// releases walks the production history from shortly after bootstrap to
// now. Every badEvery-th release goes wrong in the next of the profile's
// modes; the next release waits until the trouble is over.
func (g *generator) releases() {
	t := g.workHours(g.bootstrap.Add(3 * day))
	for n := 1; !t.After(g.end.Add(-g.p.reserve)); n++ {
		m := fine
		if n%g.p.badEvery == 0 {
			m = g.p.modes[(n/g.p.badEvery-1)%len(g.p.modes)]
		}
		settled := g.release(t, m)
		t = g.workHours(settled.Add(around(g.rng, g.p.every)))
	}
	if g.p.openIncident {
		t := g.end.Add(-9 * time.Hour)
		d := g.deploy(production, t, events.DeploySuccess, g.newRelease(t), false)
		g.incident(d.ID, t.Add(3*time.Hour), time.Time{})
	}
}

// release deploys one release at t and returns when it settled: at t for a
// good release, or when the trouble of a bad one was over.
func (g *generator) release(t time.Time, m mode) time.Time {
	r := g.newRelease(t)
	if g.rng.Float64() < g.p.staging {
		g.deploy(staging, t.Add(-g.p.stagingGap), events.DeploySuccess, r, false)
	}
	switch m {
	case fine:
		g.deploy(production, t, events.DeploySuccess, r, false)
		g.live = r
		return t
	case failed:
		g.deploy(production, t, events.DeployFailure, r, false)
		t = t.Add(g.between(span{20 * time.Minute, 2 * time.Hour}))
		g.deploy(production, t, events.DeploySuccess, r, false)
		g.live = r
		return t
	}
	return g.harm(t, m, r)
}

// harm deploys r at t, where it goes out but does harm, and then undoes the
// harm as m says: by rolling back or by shipping a fix. It returns when the
// service was restored.
func (g *generator) harm(t time.Time, m mode, r release) time.Time {
	d := g.deploy(production, t, events.DeploySuccess, r, false)
	detected := t.Add(g.between(g.p.detect))
	if m == rolledBack {
		g.deploy(production, detected, events.DeploySuccess, g.live, true)
		return detected
	}
	restored := detected.Add(g.between(g.p.restore))
	if m == rolledBackIncident {
		g.deploy(production, restored, events.DeploySuccess, g.live, true)
	} else {
		g.live = g.fix(detected, restored, r.version, d.ID)
		g.deploy(production, restored, events.DeploySuccess, g.live, false)
	}
	g.incident(g.blame(d.ID), detected, restored)
	return restored
}

// blame names the deployment on every other incident; the others name none
// and are left for the backend to attribute, which it does to the same
// deployment since nothing else reaches production before they open.
func (g *generator) blame(deployment string) string {
	if g.incidents%2 == 0 {
		return deployment
	}
	return ""
}

// newRelease makes the changes a release shipping at ship carries.
func (g *generator) newRelease(ship time.Time) release {
	n := g.p.changes[0] + g.rng.IntN(g.p.changes[1]-g.p.changes[0]+1)
	var r release
	bumped := g.version == 0
	for range n {
		first := ship.Add(-g.between(g.p.lead))
		if floor := g.kickoff.Add(time.Hour); first.Before(floor) {
			first = floor
		}
		typ := g.changeType()
		bumped = bumped || typ != events.ChangeCode
		r.changes = append(r.changes, g.change(first, ship, typ, g.title(typ)))
	}
	r.commit = r.changes[n-1].Commit
	if g.p.model != "" {
		if bumped {
			g.version++
		}
		r.version = strconv.Itoa(g.version)
	}
	return r
}

// fix makes the release that fixes the deployment named by cause, worked
// on from shortly after detected until it ships at ship.
func (g *generator) fix(detected, ship time.Time, version, cause string) release {
	first := detected.Add(ship.Sub(detected) / 10).Truncate(time.Minute)
	c := g.change(first, ship, events.ChangeCode, "Fix the regression shipped by "+cause)
	return release{changes: []events.Change{c}, commit: c.Commit, version: version}
}

// change adds a change first committed at first and shipped at ship, opened
// and merged in between. A few only know when they were merged.
func (g *generator) change(first, ship time.Time, typ events.ChangeType, title string) events.Change {
	lead := ship.Sub(first)
	g.pr += 1 + g.rng.IntN(3)
	id := fmt.Sprintf("%s#%d", g.p.service, g.pr)
	url := fmt.Sprintf("https://git.example.com/%s/%s/pull/%d", g.p.team, g.p.service, g.pr)
	c := events.Change{
		Common: g.common(id, url),
		Time:   first,
		Commit: g.sha(),
		Opened: first.Add(g.share(lead, 0.05, 0.3)),
		Merged: first.Add(g.share(lead, 0.6, 0.85)),
		Title:  title,
		Type:   typ,
	}
	if g.rng.IntN(25) == 0 {
		c.Time, c.TimeFromMerged, c.Opened = c.Merged, true, time.Time{}
	}
	g.set.Changes = append(g.set.Changes, c)
	return c
}

func (g *generator) changeType() events.ChangeType {
	switch x := g.rng.IntN(20); {
	case x < 11:
		return events.ChangeCode
	case x < 16:
		return events.ChangeModel
	default:
		return events.ChangeData
	}
}

var titles = map[events.ChangeType][]string{
	events.ChangeCode: {
		"Refactor the %s feature pipeline",
		"Add latency metrics to %s",
		"Fix a flaky %s integration test",
		"Upgrade %s serving dependencies",
		"Cache feature lookups in %s",
	},
	events.ChangeModel: {
		"Retrain %s on the latest labels",
		"Tune %s hyperparameters",
		"Promote the %s challenger model",
	},
	events.ChangeData: {
		"Refresh the %s training snapshot",
		"Backfill missing %s labels",
		"Add schema checks to %s inputs",
	},
}

func (g *generator) title(typ events.ChangeType) string {
	list := titles[typ]
	return fmt.Sprintf(list[g.rng.IntN(len(list))], g.p.service)
}

// deploy adds a deployment of r. A rollback ships no changes of its own.
func (g *generator) deploy(env string, t time.Time, status events.DeployStatus, r release, rollback bool) events.Deployment {
	g.deploys++
	id := fmt.Sprintf("%s-%s-%d", g.p.service, env, g.deploys)
	url := fmt.Sprintf("https://deploy.example.com/%s/%s/deployments/%d", g.p.team, g.p.service, g.deploys)
	d := events.Deployment{
		Common:       g.common(id, url),
		Time:         t,
		Environment:  env,
		Status:       status,
		Commit:       r.commit,
		Model:        g.p.model,
		ModelVersion: r.version,
		Rollback:     rollback,
	}
	if !rollback {
		listSHAs := g.rng.Float64() < g.p.commits
		for _, c := range r.changes {
			if listSHAs {
				d.Commits = append(d.Commits, c.Commit)
			} else {
				d.Changes = append(d.Changes, c.ID)
			}
		}
	}
	g.set.Deployments = append(g.set.Deployments, d)
	return d
}

// incident adds an incident; its id and url are given once all services
// are generated, in order of opening. A zero resolved leaves it open.
func (g *generator) incident(deployment string, opened, resolved time.Time) {
	g.incidents++
	severity := "sev3"
	switch x := g.rng.IntN(20); {
	case x < 3:
		severity = "sev1"
	case x < 10:
		severity = "sev2"
	}
	g.set.Incidents = append(g.set.Incidents, events.Incident{
		Common:     g.common("", ""),
		Opened:     opened,
		Resolved:   resolved,
		Deployment: deployment,
		Severity:   severity,
	})
}

// runs adds the experiment runs: every day of the exploration phase, then
// a burst of a few days now and then, and one burst still going at now.
func (g *generator) runs() {
	g.burst(g.kickoff.Add(time.Hour), g.bootstrap, -1)
	last := g.end.Add(-36 * time.Hour)
	for t := g.bootstrap.Add(around(g.runRng, g.p.burstEvery)); t.Add(5 * day).Before(last); {
		days := time.Duration(2+g.runRng.IntN(3)) * day
		g.burst(t, t.Add(days), g.runRng.IntN(len(g.p.experiments)))
		t = t.Add(days + around(g.runRng, g.p.burstEvery))
	}
	focus := g.runRng.IntN(len(g.p.experiments))
	g.burst(last, g.end, focus)
	g.run(focus, g.end.Add(-time.Duration(10+g.runRng.IntN(40))*time.Minute), 0)
}

// burst adds runs between from and to. With focus at -1 the runs spread
// over all experiments; otherwise most of them belong to the one at focus.
func (g *generator) burst(from, to time.Time, focus int) {
	days := max(1, int(to.Sub(from)/day))
	minutes := int64(to.Sub(from) / time.Minute)
	n := days * (g.p.runsPerDay[0] + g.runRng.IntN(g.p.runsPerDay[1]-g.p.runsPerDay[0]+1))
	lo, hi := math.Log(float64(g.p.runTime[0])), math.Log(float64(g.p.runTime[1]))
	for range n {
		exp := focus
		if exp < 0 || g.runRng.IntN(5) == 0 {
			exp = g.runRng.IntN(len(g.p.experiments))
		}
		start := from.Add(time.Duration(g.runRng.Int64N(minutes)) * time.Minute)
		took := time.Duration(math.Exp(lo + g.runRng.Float64()*(hi-lo))).Truncate(time.Minute)
		g.run(exp, start, took)
	}
}

// run adds one run of the experiment at index exp. A run that would end
// after now, or has no duration, is still running.
func (g *generator) run(exp int, start time.Time, took time.Duration) {
	id := hexID(g.runRng, 16)
	// Experiment numbers are unique across services, as in one tracking server.
	number := 10*g.index + exp + 1
	r := events.Run{
		Common:     g.common(id, "https://mlflow.example.com/#/experiments/"+strconv.Itoa(number)+"/runs/"+id),
		Time:       start,
		Status:     events.RunRunning,
		Experiment: g.p.experiments[exp],
	}
	if end := start.Add(took); took > 0 && !end.After(g.end) {
		r.End = end
		switch x := g.runRng.IntN(50); {
		case x < 5:
			r.Status = events.RunFailed
		case x < 8:
			r.Status = events.RunKilled
		default:
			r.Status = events.RunFinished
		}
	}
	g.set.Runs = append(g.set.Runs, r)
}

// workHours moves t forward into working hours, 09:00 to 17:00 UTC on a
// weekday, when releases go out.
func (g *generator) workHours(t time.Time) time.Time {
	opening := 9*time.Hour + time.Duration(g.rng.IntN(90))*time.Minute
	switch {
	case t.Hour() >= 17:
		t = t.Truncate(day).Add(day + opening)
	case t.Hour() < 9:
		t = t.Truncate(day).Add(opening)
	}
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// morning returns 10:00 UTC on the day of t, when milestones are noted.
func morning(t time.Time) time.Time {
	return t.Truncate(day).Add(10 * time.Hour)
}

// between draws a duration in s, to the minute.
func between(rng *rand.Rand, s span) time.Duration {
	return (s[0] + time.Duration(rng.Int64N(int64(s[1]-s[0])+1))).Truncate(time.Minute)
}

// around draws a duration from half to one and a half times d.
func around(rng *rand.Rand, d time.Duration) time.Duration {
	return between(rng, span{d / 2, d * 3 / 2})
}

func (g *generator) between(s span) time.Duration { return between(g.rng, s) }

// share draws a part of d between the fractions lo and hi, to the minute.
func (g *generator) share(d time.Duration, lo, hi float64) time.Duration {
	return time.Duration(float64(d) * (lo + g.rng.Float64()*(hi-lo))).Truncate(time.Minute)
}

// sha draws a 40-character hexadecimal commit SHA.
func (g *generator) sha() string {
	return hexID(g.rng, 20)
}

// hexID draws n random bytes from rng and returns them in hexadecimal.
func hexID(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return hex.EncodeToString(b)
}

// sortSet orders every kind by time, then id, and numbers the incidents in
// order of opening, as an incident tracker shared by all teams would.
func sortSet(s *events.Set) {
	s.Changes = sortByTime(s.Changes, func(c *events.Change) (time.Time, string) { return c.Time, c.ID })
	s.Deployments = sortByTime(s.Deployments, func(d *events.Deployment) (time.Time, string) { return d.Time, d.ID })
	s.Incidents = sortByTime(s.Incidents, func(in *events.Incident) (time.Time, string) { return in.Opened, in.Service })
	s.Runs = sortByTime(s.Runs, func(r *events.Run) (time.Time, string) { return r.Time, r.ID })
	s.Milestones = sortByTime(s.Milestones, func(m *events.Milestone) (time.Time, string) { return m.Time, m.ID })
	for i := range s.Incidents {
		id := fmt.Sprintf("INC-%d", 1001+i)
		s.Incidents[i].ID = id
		s.Incidents[i].URL = "https://incidents.example.com/" + id
	}
}

// sortByTime returns the events of list ordered by the time and then the
// name that key gives. It sorts indexes rather than the events, which are
// large enough that moving them dominates.
func sortByTime[E any](list []E, key func(*E) (time.Time, string)) []E {
	order := make([]int, len(list))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		at, an := key(&list[a])
		bt, bn := key(&list[b])
		return cmp.Or(at.Compare(bt), strings.Compare(an, bn))
	})
	sorted := make([]E, len(list))
	for i, j := range order {
		sorted[i] = list[j]
	}
	return sorted
}
