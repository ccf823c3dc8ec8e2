package demo_test

import (
	"bytes"
	"maps"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/demo"
)

// nows are the moments the tests generate for: a Sunday morning, a leap
// day and a minute before midnight on a Monday.
var nows = []struct {
	name string
	now  time.Time
}{
	{"on a Sunday morning", time.Date(2025, 6, 15, 10, 42, 17, 0, time.UTC)},
	{"on a leap day", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
	{"a minute before midnight", time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC)},
}

func TestGenerateIsDeterministic(t *testing.T) {
	base := time.Date(2025, 6, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		other time.Time
	}{
		{"the same now gives the same events", base},
		{"a later time in the same hour gives the same events", base.Add(59*time.Minute + 59*time.Second)},
		{"the same instant in another time zone gives the same events", base.In(time.FixedZone("CEST", 2*3600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, demo.Generate(base), demo.Generate(tt.other))
		})
	}

	t.Run("the next hour shifts the timeline", func(t *testing.T) {
		a, b := demo.Generate(base), demo.Generate(base.Add(time.Hour))
		require.NotEqual(t, a.Deployments[len(a.Deployments)-1].Time, b.Deployments[len(b.Deployments)-1].Time)
	})
}

func TestGenerateStaysInTheWindow(t *testing.T) {
	for _, tt := range nows {
		t.Run(tt.name, func(t *testing.T) {
			from := tt.now.AddDate(-1, 0, 0)
			eachTime(demo.Generate(tt.now), func(what string, at time.Time) {
				require.False(t, at.Before(from), "%s at %s is before %s", what, at, from)
				require.False(t, at.After(tt.now), "%s at %s is after %s", what, at, tt.now)
			})
		})
	}
}

// eachTime calls fn with every non-zero time in s, named by kind and id.
func eachTime(s *events.Set, fn func(what string, at time.Time)) {
	visit := func(what string, ts ...time.Time) {
		for _, at := range ts {
			if !at.IsZero() {
				fn(what, at)
			}
		}
	}
	for _, c := range s.Changes {
		visit("change "+c.ID, c.Time, c.Opened, c.Merged)
	}
	for _, d := range s.Deployments {
		visit("deployment "+d.ID, d.Time)
	}
	for _, in := range s.Incidents {
		visit("incident "+in.ID, in.Opened, in.Resolved)
	}
	for _, r := range s.Runs {
		visit("run "+r.ID, r.Time, r.End)
	}
	for _, m := range s.Milestones {
		visit("milestone "+m.ID, m.Time)
	}
}

// commons returns the common fields of every event in s, by kind.
func commons(s *events.Set) map[events.Kind][]events.Common {
	out := map[events.Kind][]events.Common{}
	for _, c := range s.Changes {
		out[events.KindChange] = append(out[events.KindChange], c.Common)
	}
	for _, d := range s.Deployments {
		out[events.KindDeployment] = append(out[events.KindDeployment], d.Common)
	}
	for _, in := range s.Incidents {
		out[events.KindIncident] = append(out[events.KindIncident], in.Common)
	}
	for _, r := range s.Runs {
		out[events.KindRun] = append(out[events.KindRun], r.Common)
	}
	for _, m := range s.Milestones {
		out[events.KindMilestone] = append(out[events.KindMilestone], m.Common)
	}
	return out
}

func TestGenerateFollowsTheReaderRules(t *testing.T) {
	sha := regexp.MustCompile(`^[0-9a-f]{40}$`)
	url := regexp.MustCompile(`^https://[a-z]+\.example\.com/`)
	for _, tt := range nows {
		s := demo.Generate(tt.now)
		t.Run(tt.name+", ids are unique per kind", func(t *testing.T) {
			for _, k := range events.Kinds {
				var ids []string
				for _, c := range commons(s)[k] {
					ids = append(ids, c.ID)
				}
				require.NotEmpty(t, ids, k)
				require.NotContains(t, ids, "", k)
				require.Len(t, slices.Compact(slices.Sorted(slices.Values(ids))), len(ids), "%s ids repeat", k)
			}
		})

		t.Run(tt.name+", every event names its service, team and url", func(t *testing.T) {
			for _, list := range commons(s) {
				for _, c := range list {
					require.Contains(t, teams, c.Service, "event %q", c.ID)
					require.Equal(t, teams[c.Service], c.Team, "event %q", c.ID)
					require.Regexp(t, url, c.URL, "event %q", c.ID)
				}
			}
		})

		t.Run(tt.name+", changes have a SHA, a type and times in order", func(t *testing.T) {
			types := map[events.ChangeType]int{}
			fromMerged := 0
			for _, c := range s.Changes {
				require.Regexp(t, sha, c.Commit, c.ID)
				require.NotEmpty(t, c.Title, c.ID)
				types[c.Type]++
				require.False(t, c.Merged.Before(c.Time), "change %q merged before its first commit", c.ID)
				if c.TimeFromMerged {
					fromMerged++
					require.Equal(t, c.Merged, c.Time, c.ID)
					require.True(t, c.Opened.IsZero(), c.ID)
					continue
				}
				require.False(t, c.Opened.Before(c.Time), "change %q opened before its first commit", c.ID)
				require.False(t, c.Merged.Before(c.Opened), "change %q merged before it was opened", c.ID)
			}
			require.Len(t, types, 3, "want code, model and data changes")
			require.Positive(t, fromMerged, "want a few changes that only know when they were merged")
		})

		t.Run(tt.name+", deployments ship changes that exist", func(t *testing.T) {
			changes := map[string]bool{}
			commits := map[string]bool{}
			for _, c := range s.Changes {
				changes[c.ID] = true
				commits[c.Commit] = true
			}
			envs := map[string]int{}
			rollbacks, bySHA := 0, 0
			for _, d := range s.Deployments {
				envs[d.Environment]++
				require.Contains(t, []events.DeployStatus{events.DeploySuccess, events.DeployFailure}, d.Status)
				require.False(t, d.Time.IsZero(), d.ID)
				require.Regexp(t, sha, d.Commit, d.ID)
				for _, id := range d.Changes {
					require.True(t, changes[id], "deployment %q ships unknown change %q", d.ID, id)
				}
				for _, c := range d.Commits {
					require.True(t, commits[c], "deployment %q ships unknown commit %q", d.ID, c)
				}
				if d.Rollback {
					rollbacks++
					require.Empty(t, d.Changes, d.ID)
					require.Empty(t, d.Commits, d.ID)
				} else {
					require.NotEqual(t, len(d.Changes) == 0, len(d.Commits) == 0, "deployment %q lists ids or SHAs", d.ID)
				}
				if len(d.Commits) > 0 {
					bySHA++
				}
				if d.Service != "search-ranker" {
					require.NotEmpty(t, d.Model, d.ID)
					require.NotEmpty(t, d.ModelVersion, d.ID)
				}
			}
			require.Equal(t, []string{"production", "staging"}, slices.Sorted(maps.Keys(envs)))
			require.Greater(t, envs["production"], envs["staging"])
			require.Positive(t, rollbacks)
			require.Positive(t, bySHA)
		})

		t.Run(tt.name+", a rollback redeploys the version before the bad one", func(t *testing.T) {
			for service, prod := range production(s) {
				for i, d := range prod {
					if !d.Rollback {
						continue
					}
					require.GreaterOrEqual(t, i, 2, service)
					bad, before := prod[i-1], prod[i-2]
					require.Less(t, d.Time.Sub(bad.Time), day, "rollback %q comes right after the bad deployment", d.ID)
					require.Equal(t, before.Commit, d.Commit, d.ID)
					require.Equal(t, before.ModelVersion, d.ModelVersion, d.ID)
				}
			}
		})

		t.Run(tt.name+", one incident is open, recently", func(t *testing.T) {
			var open []events.Incident
			named := 0
			for _, in := range s.Incidents {
				if in.Open() {
					open = append(open, in)
				} else {
					require.False(t, in.Resolved.Before(in.Opened), in.ID)
				}
				if in.Deployment != "" {
					named++
				}
				require.Contains(t, []string{"sev1", "sev2", "sev3"}, in.Severity, in.ID)
			}
			require.Len(t, open, 1)
			require.Less(t, tt.now.Sub(open[0].Opened), day)
			require.Positive(t, named, "want incidents that name their deployment")
			require.Less(t, named, len(s.Incidents), "want incidents that name none")
		})

		t.Run(tt.name+", an incident that names no deployment falls on the one that caused it", func(t *testing.T) {
			fixes := map[string]string{}
			for _, c := range s.Changes {
				fixes[c.ID], fixes[c.Commit] = c.Title, c.Title
			}
			prod := production(s)
			for _, in := range s.Incidents {
				if in.Deployment != "" {
					continue
				}
				list := prod[in.Service]
				i := slices.IndexFunc(list, func(d events.Deployment) bool { return d.Time.After(in.Opened) }) - 1
				require.GreaterOrEqual(t, i, 0, in.ID)
				cause, next := list[i], list[i+1]
				require.Equal(t, events.DeploySuccess, cause.Status, in.ID)
				require.Less(t, in.Opened.Sub(cause.Time), 72*time.Hour, in.ID)
				if next.Rollback {
					continue
				}
				shipped := append(slices.Clone(next.Changes), next.Commits...)
				require.Len(t, shipped, 1, "the deployment after %q ships a fix", cause.ID)
				require.Contains(t, fixes[shipped[0]], cause.ID, "the deployment after %q ships a fix", cause.ID)
			}
		})

		t.Run(tt.name+", runs end after they start and a few still run", func(t *testing.T) {
			statuses := map[events.RunStatus]int{}
			for _, r := range s.Runs {
				statuses[r.Status]++
				require.NotEmpty(t, r.Experiment, r.ID)
				if r.Status == events.RunRunning {
					require.True(t, r.End.IsZero(), r.ID)
					require.Less(t, tt.now.Sub(r.Time), 2*day, "run %q has been running too long", r.ID)
					continue
				}
				require.False(t, r.End.Before(r.Time), r.ID)
				require.Less(t, r.End.Sub(r.Time), 12*time.Hour, r.ID)
			}
			require.Len(t, statuses, 4, "want finished, failed, killed and running runs")
			require.Less(t, statuses[events.RunRunning], 20)
			require.Greater(t, len(s.Runs)/days(tt.now), 3, "want many runs a day on average")
		})
	}
}

var teams = map[string]string{"churn-model": "growth", "fraud-detector": "risk", "search-ranker": "growth"}

const day = 24 * time.Hour

func days(now time.Time) int { return int(now.Sub(now.AddDate(-1, 0, 0)) / day) }

// production returns the production deployments of each service by time.
func production(s *events.Set) map[string][]events.Deployment {
	out := map[string][]events.Deployment{}
	for _, d := range s.Deployments {
		if d.Environment == "production" {
			out[d.Service] = append(out[d.Service], d)
		}
	}
	for _, prod := range out {
		slices.SortStableFunc(prod, func(a, b events.Deployment) int { return a.Time.Compare(b.Time) })
	}
	return out
}

func TestGenerateFollowsTheJourney(t *testing.T) {
	for _, tt := range nows {
		t.Run(tt.name+", kickoff, baseline and bootstrap come before production", func(t *testing.T) {
			s := demo.Generate(tt.now)
			prod := production(s)
			milestones := map[string]map[string]time.Time{}
			for _, m := range s.Milestones {
				if milestones[m.Service] == nil {
					milestones[m.Service] = map[string]time.Time{}
				}
				milestones[m.Service][m.Name] = m.Time
			}
			require.Len(t, milestones, 3)
			for service, m := range milestones {
				require.True(t, m[events.MilestoneKickoff].Before(m[events.MilestoneBaseline]), service)
				require.True(t, m[events.MilestoneBaseline].Before(m[events.MilestoneBootstrap]), service)
				require.True(t, m[events.MilestoneBootstrap].Before(prod[service][0].Time), service)
			}
			for _, r := range s.Runs {
				require.True(t, r.Time.After(milestones[r.Service][events.MilestoneKickoff]), "run %q before kickoff", r.ID)
			}
		})
	}
}

// Bands of the 2023 DORA report.
const (
	elite  = "elite"
	high   = "high"
	medium = "medium"
	low    = "low"
)

func frequencyBand(perDay float64) string {
	switch {
	case perDay >= 1:
		return elite
	case perDay >= 1.0/7:
		return high
	case perDay >= 12.0/365:
		return medium
	}
	return low
}

func durationBand(d time.Duration, eliteUnder, highUnder, mediumUnder time.Duration) string {
	switch {
	case d < eliteUnder:
		return elite
	case d < highUnder:
		return high
	case d < mediumUnder:
		return medium
	}
	return low
}

func leadTimeBand(d time.Duration) string { return durationBand(d, day, 7*day, 30*day) }

func restoreBand(d time.Duration) string { return durationBand(d, time.Hour, day, 7*day) }

func failureBand(rate float64) string {
	switch {
	case rate <= 0.05:
		return elite
	case rate <= 0.10:
		return high
	case rate <= 0.15:
		return medium
	}
	return low
}

// keys are one service's four keys, computed straight from the definitions.
type keys struct {
	perDay      float64
	leadTime    time.Duration
	failureRate float64
	restore     time.Duration
}

func measure(s *events.Set, service string, now time.Time) keys {
	prod := production(s)[service]
	var k keys

	succeeded := 0
	for _, d := range prod {
		if d.Status == events.DeploySuccess {
			succeeded++
		}
	}
	k.perDay = float64(succeeded) / now.Sub(now.AddDate(-1, 0, 0)).Hours() * 24

	byID, bySHA := map[string]events.Change{}, map[string]events.Change{}
	for _, c := range s.Changes {
		if c.Service == service {
			byID[c.ID], bySHA[c.Commit] = c, c
		}
	}
	shipped := map[string]bool{}
	var leads []time.Duration
	for _, d := range prod {
		if d.Status != events.DeploySuccess {
			continue
		}
		var ships []events.Change
		for _, id := range d.Changes {
			ships = append(ships, byID[id])
		}
		for _, sha := range d.Commits {
			ships = append(ships, bySHA[sha])
		}
		for _, c := range ships {
			if !shipped[c.ID] {
				shipped[c.ID] = true
				leads = append(leads, d.Time.Sub(c.Time))
			}
		}
	}
	k.leadTime = median(leads)

	blamed := map[string]bool{}
	var restores []time.Duration
	for _, in := range s.Incidents {
		if in.Service != service {
			continue
		}
		if !in.Open() {
			restores = append(restores, in.Resolved.Sub(in.Opened))
		}
		if in.Deployment != "" {
			blamed[in.Deployment] = true
			continue
		}
		// Unnamed: the latest successful production deployment within 72 h before.
		for i := len(prod) - 1; i >= 0; i-- {
			d := prod[i]
			if d.Status == events.DeploySuccess && !d.Time.After(in.Opened) {
				if in.Opened.Sub(d.Time) <= 72*time.Hour {
					blamed[d.ID] = true
				}
				break
			}
		}
	}
	k.restore = median(restores)

	failures := 0
	for i, d := range prod {
		if d.Status == events.DeployFailure || blamed[d.ID] || (i+1 < len(prod) && prod[i+1].Rollback) {
			failures++
		}
	}
	k.failureRate = float64(failures) / float64(len(prod))
	return k
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Sorted(slices.Values(ds))
	if len(ds)%2 == 1 {
		return ds[len(ds)/2]
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
}

func TestServicesLandInDifferentBands(t *testing.T) {
	want := []struct {
		service                               string
		frequency, leadTime, failure, restore string
	}{
		{"churn-model", elite, elite, elite, elite},
		{"fraud-detector", high, high, high, high},
		{"search-ranker", medium, medium, low, medium},
	}
	for _, tt := range nows {
		s := demo.Generate(tt.now)
		bands := map[string]map[string]bool{}
		note := func(key, band string) {
			if bands[key] == nil {
				bands[key] = map[string]bool{}
			}
			bands[key][band] = true
		}
		for _, w := range want {
			t.Run(tt.name+", "+w.service+" lands in its bands", func(t *testing.T) {
				k := measure(s, w.service, tt.now)
				t.Logf("%s: %.2f deployments a day, lead time %s, failure rate %.1f%%, restore %s",
					w.service, k.perDay, k.leadTime, 100*k.failureRate, k.restore)
				require.Equal(t, w.frequency, frequencyBand(k.perDay), "deployment frequency %.3f a day", k.perDay)
				require.Equal(t, w.leadTime, leadTimeBand(k.leadTime), "lead time %s", k.leadTime)
				require.Equal(t, w.failure, failureBand(k.failureRate), "change failure rate %.3f", k.failureRate)
				require.Equal(t, w.restore, restoreBand(k.restore), "time to restore %s", k.restore)
				note("frequency", frequencyBand(k.perDay))
				note("lead time", leadTimeBand(k.leadTime))
				note("failure rate", failureBand(k.failureRate))
				note("restore", restoreBand(k.restore))
			})
		}
		t.Run(tt.name+", services do not all share a band", func(t *testing.T) {
			for _, key := range []string{"frequency", "lead time", "failure rate", "restore"} {
				require.Greater(t, len(bands[key]), 1, "every service has the same %s band", key)
			}
		})
	}
}

func TestWriteNDJSONRoundTrips(t *testing.T) {
	for _, tt := range nows {
		t.Run(tt.name+", reading the feed back gives the same events", func(t *testing.T) {
			s := demo.Generate(tt.now)
			var buf bytes.Buffer
			require.NoError(t, events.WriteNDJSON(&buf, s))
			require.Equal(t, s.Len(), bytes.Count(buf.Bytes(), []byte("\n")))

			back, rep, err := events.Read(&buf)
			require.NoError(t, err)
			require.Zero(t, rep.Skipped, rep.String())
			require.Equal(t, s.Len(), rep.Kept)
			require.Equal(t, s, back)
		})
	}

	t.Run("a change known only by its merge time is written without a time", func(t *testing.T) {
		merged := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		s := &events.Set{Changes: []events.Change{{
			Common: events.Common{ID: "a#1", Service: "a"},
			Time:   merged, TimeFromMerged: true, Merged: merged, Type: events.ChangeCode,
		}}}
		var buf bytes.Buffer
		require.NoError(t, events.WriteNDJSON(&buf, s))
		require.JSONEq(t, `{"kind":"change","id":"a#1","service":"a","merged":"2025-01-02T03:04:05Z","type":"code"}`, buf.String())
	})
}

func BenchmarkGenerate(b *testing.B) {
	now := time.Date(2025, 6, 15, 10, 42, 17, 0, time.UTC)
	for b.Loop() {
		demo.Generate(now)
	}
}
