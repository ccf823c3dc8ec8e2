package mlflow

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// GitCommitTag is the run tag where MLflow records the commit of the code
// that ran.
const GitCommitTag = "mlflow.source.git.commit"

// defaultExperimentID is the experiment every server creates, named Default.
const defaultExperimentID = "0"

// mapper turns what the server returned into events.
type mapper struct {
	cfg  *Config
	base string
	b    *events.Builder

	runs map[string]*run
}

var runStatus = map[string]events.RunStatus{
	"FINISHED":  events.RunFinished,
	"FAILED":    events.RunFailed,
	"KILLED":    events.RunKilled,
	"RUNNING":   events.RunRunning,
	"SCHEDULED": events.RunRunning,
}

// experiments maps every experiment to a kickoff milestone at its creation
// and every run to a run event.
func (m *mapper) experiments(exps []experiment, runs []run) {
	names := make(map[string]string, len(exps))
	used := make(map[string]bool)
	for i := range runs {
		used[runs[i].Info.ExperimentID] = true
	}
	for i := range exps {
		e := &exps[i]
		names[e.ID] = e.Name
		if e.ID == defaultExperimentID && !used[e.ID] {
			// Every server has it; empty, it is no project's kickoff.
			continue
		}
		if t := e.CreationTime.time(); !t.IsZero() {
			m.b.AddMilestone(events.Milestone{
				Common: events.Common{ID: "mlflow-kickoff:" + e.ID, Service: m.cfg.service(e.Name),
					URL: m.base + "/#/experiments/" + url.PathEscape(e.ID)},
				Time: t, Name: events.MilestoneKickoff,
			})
		}
	}
	m.runs = make(map[string]*run, len(runs))
	for i := range runs {
		r := &runs[i]
		m.runs[r.Info.ID] = r
		m.run(r, names[r.Info.ExperimentID])
	}
}

func (m *mapper) run(r *run, experiment string) {
	var rep events.Report
	if experiment == "" {
		experiment = r.Info.ExperimentID
	}
	start, end := r.Info.StartTime.time(), r.Info.EndTime.time()
	status, ok := runStatus[r.Info.Status]
	switch {
	case start.IsZero():
		rep.Skip("run " + strconv.Quote(r.Info.ID) + ": it has no start time")
	case !ok:
		rep.Skip("run " + strconv.Quote(r.Info.ID) + ": status " + strconv.Quote(r.Info.Status) + " is not one MLflow documents")
	case !end.IsZero() && end.Before(start):
		rep.Skip("run " + strconv.Quote(r.Info.ID) + ": it ends before it starts")
	}
	if rep.Skipped > 0 {
		m.b.AddSet(&events.Set{}, rep)
		return
	}
	if status == events.RunRunning {
		end = time.Time{}
	}
	ev := events.Run{
		Common: events.Common{ID: r.Info.ID, Service: m.cfg.service(experiment),
			URL: m.base + "/#/experiments/" + url.PathEscape(r.Info.ExperimentID) + "/runs/" + url.PathEscape(r.Info.ID)},
		Time: start, End: end, Status: status, Experiment: experiment,
	}
	if r.Info.Name != "" {
		ev.Labels = map[string]string{"run_name": r.Info.Name}
	}
	m.b.AddRun(ev)
}

// models maps every version to a model change, the moves of the production
// aliases and stage to deployments, and the first baseline to a milestone.
func (m *mapper) models(models []registeredModel, versions map[string][]modelVersion, history []Observation) {
	byModel := make(map[string][]Observation)
	for _, o := range history {
		byModel[o.Model] = append(byModel[o.Model], o)
	}
	for i := range models {
		name := models[i].Name
		vs := make(map[string]*modelVersion, len(versions[name]))
		for j := range versions[name] {
			v := &versions[name][j]
			if v.Status == "FAILED_REGISTRATION" {
				continue // nothing was registered: no change, no deployment
			}
			vs[v.Version] = v
			m.change(v)
		}
		m.deployments(name, vs, byModel[name])
		m.baseline(name, vs, byModel[name])
	}
}

func changeID(model, version string) string { return "mlflow-model:" + model + "/" + version }

func (m *mapper) versionURL(model, version string) string {
	return m.base + "/#/models/" + url.PathEscape(model) + "/versions/" + url.PathEscape(version)
}

// commitOf returns the git commit of the run that made a version.
func (m *mapper) commitOf(v *modelVersion) string {
	if r := m.runs[v.RunID]; r != nil {
		sha, _ := tagValue(r.Data.Tags, GitCommitTag)
		return sha
	}
	return ""
}

// change maps a version. Its time is the start of the run that trained it,
// the first moment its content existed; a version without a known run takes
// its registration time. The commit goes to a label, not to Commit: the
// version is not the code change, and a code change of the same commit from
// another source would otherwise compete with it for the same SHA.
func (m *mapper) change(v *modelVersion) {
	at := v.Created.time()
	labels := map[string]string{"model": v.Name, "model_version": v.Version, "time_source": "registered"}
	if r := m.runs[v.RunID]; r != nil && !r.Info.StartTime.time().IsZero() {
		at = r.Info.StartTime.time()
		labels["time_source"] = "run_start"
		labels["run_id"] = v.RunID
	}
	if sha := m.commitOf(v); sha != "" {
		labels["git_commit"] = sha
	}
	if at.IsZero() {
		var rep events.Report
		rep.Skip("model " + strconv.Quote(v.Name) + " version " + v.Version + ": it has no creation time")
		m.b.AddSet(&events.Set{}, rep)
		return
	}
	m.b.AddChange(events.Change{
		Common: events.Common{ID: changeID(v.Name, v.Version), Service: m.cfg.service(v.Name),
			URL: m.versionURL(v.Name, v.Version), Labels: labels},
		Time: at, Title: v.Name + " version " + v.Version, Type: events.ChangeModel,
	})
}

func (m *mapper) isProduction(alias string) bool {
	if m.cfg.LegacyStage != "-" && alias == stagePrefix+m.cfg.LegacyStage {
		return true
	}
	return slices.Contains(m.cfg.ProductionAliases, alias)
}

// deployments walks the production history of one model in the order it
// was seen. Every move to a version other than the one in production is a
// deployment. A move back to a version first promoted before the current
// one is a rollback, and so is a move to a version never promoted whose
// number is lower than the current one's.
//
// A model that has been seen with a production alias is read from its
// aliases alone: a version left in the legacy stage from before the team
// moved to aliases would otherwise read as a move back to it, dated by its
// old stage transition.
func (m *mapper) deployments(model string, vs map[string]*modelVersion, history []Observation) {
	byAlias := false
	for _, o := range history {
		if o.Version != "" && !strings.HasPrefix(o.Alias, stagePrefix) && m.isProduction(o.Alias) {
			byAlias = true
		}
	}
	current := ""
	promoted := make(map[string]int) // version -> order of its first promotion
	for _, o := range history {
		if !m.isProduction(o.Alias) || o.Version == "" || o.Version == current ||
			byAlias && strings.HasPrefix(o.Alias, stagePrefix) {
			continue
		}
		at := o.Time
		// The tag dates the version's first promotion only: a later
		// return to it is a rollback at the time it was seen.
		first, seen := promoted[o.Version]
		if v := vs[o.Version]; v != nil && !seen {
			if raw, ok := tagValue(v.Tags, m.cfg.DeployedAtTag); ok {
				if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(raw)); err == nil {
					at = t.UTC()
				}
			}
		}
		d := events.Deployment{
			Common: events.Common{
				ID:      "mlflow-promotion:" + model + "/" + o.Version + "@" + strconv.FormatInt(at.UnixMilli(), 10),
				Service: m.cfg.service(model), URL: m.versionURL(model, o.Version),
				Labels: map[string]string{"alias": strings.TrimPrefix(o.Alias, stagePrefix)},
			},
			Time: at, Status: events.DeploySuccess, Environment: m.cfg.Environment,
			Model: model, ModelVersion: o.Version,
			Changes:  []string{changeID(model, o.Version)},
			Rollback: current != "" && (seen && first < promoted[current] || !seen && versionLess(o.Version, current)),
		}
		if v := vs[o.Version]; v != nil {
			if sha := m.commitOf(v); sha != "" {
				d.Commits = []string{sha}
			}
		}
		m.b.AddDeployment(d)
		if !seen {
			promoted[o.Version] = len(promoted)
		}
		current = o.Version
	}
}

func versionLess(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA != nil || errB != nil {
		return a < b
	}
	return x < y
}

// baseline adds the earliest of: a version carrying the baseline tag (at the
// tag's RFC 3339 value, else at the version's registration) and the first
// sighting of the baseline alias.
func (m *mapper) baseline(model string, vs map[string]*modelVersion, history []Observation) {
	var at time.Time
	version := ""
	consider := func(t time.Time, v string) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at, version = t, v
		}
	}
	for _, v := range vs {
		raw, ok := tagValue(v.Tags, m.cfg.BaselineTag)
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(raw))
		if err != nil {
			t = v.Created.time()
		}
		consider(t.UTC(), v.Version)
	}
	for _, o := range history {
		if o.Alias == m.cfg.BaselineAlias && o.Version != "" {
			consider(o.Time, o.Version)
		}
	}
	if at.IsZero() {
		return
	}
	m.b.AddMilestone(events.Milestone{
		Common: events.Common{ID: "mlflow-baseline:" + model, Service: m.cfg.service(model),
			URL: m.versionURL(model, version), Labels: map[string]string{"model_version": version}},
		Time: at, Name: events.MilestoneBaseline,
	})
}
