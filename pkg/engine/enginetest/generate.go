package enginetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// The shape of a generated set.
const (
	// Services is the number of services events are spread over.
	Services = 50
	// Teams is the number of teams; service i belongs to team i mod Teams.
	Teams = 10
	// Staging is the second environment, beside events.DefaultEnvironment.
	Staging = "staging"
)

// stream is the PCG stream of every generated set; the seed varies, the
// stream does not.
const stream = 0x656e67696e65

// Mix gives the number of events of each kind in a generated set of n
// events: 55% changes, 12% deployments, 3% incidents, 2% milestones and the
// rest (28%) runs.
func Mix(n int) (changes, deployments, incidents, runs, milestones int) {
	changes = n * 55 / 100
	deployments = n * 12 / 100
	incidents = n * 3 / 100
	milestones = n * 2 / 100
	runs = n - changes - deployments - incidents - milestones
	return changes, deployments, incidents, runs, milestones
}

// Generate returns n canonical events over the year that ends at end, drawn
// from a PCG generator seeded with seed: the same arguments always give the
// same set. The counts follow [Mix]. Events name one of [Services] services
// of [Teams] teams; a tenth of them leave the team out so that it comes from
// the service. Deployments go to production (60%) or [Staging]; 8% fail and
// 3% of the successful ones are rollbacks. Every change is listed, by id or
// by commit, by the next successful production deployment of its service
// after it merged, when there is one; half are listed in staging as well, a
// few are listed again later and a very few are listed before they were
// written, which gives negative lead times. Half of the incidents name the
// deployment that caused them, a few name a staging deployment or one that
// does not exist, and the rest name none and are left to attribution; 8%
// are still open. Each kind's slice is in time order, except that a
// change whose time stands in from its merge keeps its place.
func Generate(n int, seed uint64, end time.Time) *events.Set {
	end = end.UTC()
	g := &generator{
		rng:   rand.New(rand.NewPCG(seed, stream)),
		set:   &events.Set{},
		start: end.AddDate(-1, 0, 0),
		end:   end,
		ships: map[string]*[Services][]int{events.DefaultEnvironment: {}, Staging: {}},
	}
	for s := range Services {
		g.services[s] = fmt.Sprintf("svc-%02d", s)
	}
	for t := range Teams {
		g.teams[t] = fmt.Sprintf("team-%d", t)
	}
	changes, deployments, incidents, runs, milestones := Mix(n)
	g.deployments(deployments)
	g.changes(changes)
	g.incidents(incidents)
	g.runs(runs)
	g.milestones(milestones)
	return g.set
}

type generator struct {
	rng        *rand.Rand
	set        *events.Set
	start, end time.Time
	services   [Services]string
	teams      [Teams]string

	// deployService is the service index of each deployment.
	deployService []int
	// production lists the indexes of every production deployment.
	production []int
	// staging lists the indexes of every staging deployment.
	staging []int
	// ships lists, per environment and service, the indexes of the
	// successful deployments in time order.
	ships map[string]*[Services][]int
}

// times returns k times drawn uniformly from the year, sorted, at whole
// seconds.
func (g *generator) times(k int) []time.Time {
	span := g.end.Unix() - g.start.Unix()
	secs := make([]int64, k)
	for i := range secs {
		secs[i] = g.start.Unix() + g.rng.Int64N(span)
	}
	slices.Sort(secs)
	out := make([]time.Time, k)
	for i, s := range secs {
		out[i] = time.Unix(s, 0).UTC()
	}
	return out
}

// around returns a random duration with an exponential distribution of the
// given mean, to whole seconds.
func (g *generator) around(mean time.Duration) time.Duration {
	return (time.Duration(g.rng.ExpFloat64() * float64(mean))).Truncate(time.Second)
}

func (g *generator) percent(p int) bool { return g.rng.IntN(100) < p }

func (g *generator) common(id string, service int) events.Common {
	c := events.Common{ID: id, Service: g.services[service]}
	if !g.percent(10) {
		c.Team = g.teams[service%Teams]
	}
	return c
}

func (g *generator) sha() string {
	return fmt.Sprintf("%016x%016x%08x", g.rng.Uint64(), g.rng.Uint64(), g.rng.Uint32())
}

// modelServing reports whether a service deploys a model; two in five do.
func modelServing(service int) bool { return service%5 < 2 }

func (g *generator) deployments(k int) {
	var versions [Services]int
	g.set.Deployments = make([]events.Deployment, 0, k)
	g.deployService = make([]int, 0, k)
	for i, t := range g.times(k) {
		s := g.rng.IntN(Services)
		d := events.Deployment{
			Common:      g.common(fmt.Sprintf("deploy-%07d", i), s),
			Time:        t,
			Environment: events.DefaultEnvironment,
			Status:      events.DeploySuccess,
		}
		if g.percent(40) {
			d.Environment = Staging
		}
		if g.percent(8) {
			d.Status = events.DeployFailure
		} else if g.percent(3) {
			d.Rollback = true
		}
		if modelServing(s) {
			versions[s]++
			d.Model = g.services[s] + "-model"
			d.ModelVersion = strconv.Itoa(versions[s])
		}
		if d.Environment == Staging {
			g.staging = append(g.staging, i)
		} else {
			g.production = append(g.production, i)
		}
		if d.Status == events.DeploySuccess {
			list := &g.ships[d.Environment][s]
			*list = append(*list, i)
		}
		g.set.Deployments = append(g.set.Deployments, d)
		g.deployService = append(g.deployService, s)
	}
}

// nextShip returns the first successful deployment of service s to env at
// or after t, or -1.
func (g *generator) nextShip(env string, s int, t time.Time) int {
	list := g.ships[env][s]
	k, _ := slices.BinarySearchFunc(list, t, func(di int, t time.Time) int {
		return g.set.Deployments[di].Time.Compare(t)
	})
	if k == len(list) {
		return -1
	}
	return list[k]
}

// prevShip returns the last successful deployment of service s to env
// before t, or -1.
func (g *generator) prevShip(env string, s int, t time.Time) int {
	list := g.ships[env][s]
	k, _ := slices.BinarySearchFunc(list, t, func(di int, t time.Time) int {
		return g.set.Deployments[di].Time.Compare(t)
	})
	if k == 0 {
		return -1
	}
	return list[k-1]
}

// list makes deployment di list change c: by id six times in ten, by
// commit three, and otherwise as its deployed head commit when it has none
// yet.
func (g *generator) list(di int, c *events.Change) {
	d := &g.set.Deployments[di]
	switch r := g.rng.IntN(10); {
	case r < 6:
		d.Changes = append(d.Changes, c.ID)
	case r < 9 || d.Commit != "":
		d.Commits = append(d.Commits, c.Commit)
	default:
		d.Commit = c.Commit
	}
}

func (g *generator) changeType() events.ChangeType {
	switch r := g.rng.IntN(10); {
	case r < 7:
		return events.ChangeCode
	case r < 9:
		return events.ChangeModel
	}
	return events.ChangeData
}

func (g *generator) changes(k int) {
	g.set.Changes = make([]events.Change, 0, k)
	for i, t := range g.times(k) {
		s := g.rng.IntN(Services)
		id := fmt.Sprintf("change-%07d", i)
		c := events.Change{
			Common: g.common(id, s),
			Time:   t,
			Commit: g.sha(),
			Title:  "Change " + id,
			Type:   g.changeType(),
		}
		ready := t
		if g.percent(80) {
			c.Opened = t.Add(g.around(6 * time.Hour))
			c.Merged = c.Opened.Add(g.around(20 * time.Hour))
			ready = c.Merged
			if g.percent(10) {
				c.Time, c.TimeFromMerged = c.Merged, true
			}
		}
		g.set.Changes = append(g.set.Changes, c)
		g.listChange(&g.set.Changes[len(g.set.Changes)-1], s, ready)
	}
}

func (g *generator) listChange(c *events.Change, s int, ready time.Time) {
	prod := g.nextShip(events.DefaultEnvironment, s, ready)
	if g.percent(1) {
		// Listed by a deployment that finished before the change existed.
		if early := g.prevShip(events.DefaultEnvironment, s, c.Time); early >= 0 {
			prod = early
		}
	}
	if prod >= 0 {
		g.list(prod, c)
		if g.percent(5) {
			if again := g.nextShip(events.DefaultEnvironment, s, g.set.Deployments[prod].Time.Add(time.Second)); again >= 0 {
				g.list(again, c)
			}
		}
	}
	if g.percent(50) {
		if st := g.nextShip(Staging, s, ready); st >= 0 {
			g.list(st, c)
		}
	}
}

var severities = []string{"sev1", "sev2", "sev2", "sev3", "sev3", "sev3"}

func (g *generator) incidents(k int) {
	if len(g.production) == 0 {
		return
	}
	list := make([]events.Incident, 0, k)
	for range k {
		di := g.production[g.rng.IntN(len(g.production))]
		d := &g.set.Deployments[di]
		in := events.Incident{
			Common:   g.common("", g.deployService[di]),
			Opened:   d.Time.Add(g.around(8 * time.Hour)),
			Severity: severities[g.rng.IntN(len(severities))],
		}
		if !g.percent(8) {
			in.Resolved = in.Opened.Add(g.around(4 * time.Hour))
		}
		switch r := g.rng.IntN(100); {
		case r < 50:
			in.Deployment = d.ID
		case r < 55 && len(g.staging) > 0:
			in.Deployment = g.set.Deployments[g.staging[g.rng.IntN(len(g.staging))]].ID
		case r < 58:
			in.Deployment = "deploy-unknown-" + strconv.Itoa(r)
		}
		list = append(list, in)
	}
	slices.SortStableFunc(list, func(a, b events.Incident) int { return a.Opened.Compare(b.Opened) })
	for i := range list {
		list[i].ID = fmt.Sprintf("incident-%06d", i)
	}
	g.set.Incidents = list
}

func (g *generator) runs(k int) {
	g.set.Runs = make([]events.Run, 0, k)
	for i, t := range g.times(k) {
		s := g.rng.IntN(Services)
		r := events.Run{
			Common:     g.common(fmt.Sprintf("run-%07d", i), s),
			Time:       t,
			Status:     events.RunFinished,
			Experiment: g.services[s] + "/exp-" + strconv.Itoa(g.rng.IntN(20)),
		}
		switch p := g.rng.IntN(100); {
		case p < 10:
			r.Status = events.RunFailed
		case p < 15:
			r.Status = events.RunKilled
		case p < 20:
			r.Status = events.RunRunning
		}
		if r.Status != events.RunRunning {
			r.End = t.Add(g.around(25 * time.Minute))
		}
		g.set.Runs = append(g.set.Runs, r)
	}
}

var otherMilestones = []string{events.MilestoneBaseline, events.MilestoneBootstrap, "retrain", "launch", "review"}

// milestones gives each service, while k allows, a kickoff in the first
// month, a baseline after it and a bootstrap after that; the rest are
// milestones of any name at any time, some before their service's kickoff.
func (g *generator) milestones(k int) {
	list := make([]events.Milestone, 0, k)
	add := func(s int, name string, t time.Time) {
		list = append(list, events.Milestone{Common: g.common("", s), Time: t, Name: name})
	}
	for s := 0; s < Services && len(list)+3 <= k; s++ {
		kickoff := g.start.Add(g.around(10 * 24 * time.Hour))
		baseline := kickoff.Add(g.around(20 * 24 * time.Hour))
		add(s, events.MilestoneKickoff, kickoff)
		add(s, events.MilestoneBaseline, baseline)
		add(s, events.MilestoneBootstrap, baseline.Add(g.around(10*24*time.Hour)))
	}
	if extra := k - len(list); extra > 0 {
		for _, t := range g.times(extra) {
			add(g.rng.IntN(Services), otherMilestones[g.rng.IntN(len(otherMilestones))], t)
		}
	}
	slices.SortStableFunc(list, func(a, b events.Milestone) int { return a.Time.Compare(b.Time) })
	for i := range list {
		list[i].ID = fmt.Sprintf("milestone-%06d", i)
	}
	g.set.Milestones = list
}
