package enginetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine/enginetest"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

var end = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

func TestGenerate(t *testing.T) {
	const n = 50_000
	set := enginetest.Generate(n, 1, end)

	t.Run("the same seed gives the same events", func(t *testing.T) {
		require.Equal(t, set, enginetest.Generate(n, 1, end))
	})

	t.Run("another seed gives other events", func(t *testing.T) {
		require.NotEqual(t, set.Changes[0], enginetest.Generate(n, 2, end).Changes[0])
	})

	t.Run("the kinds follow the mix", func(t *testing.T) {
		changes, deployments, incidents, runs, milestones := enginetest.Mix(n)
		require.Equal(t, n, set.Len())
		require.Len(t, set.Changes, changes)
		require.Len(t, set.Deployments, deployments)
		require.Len(t, set.Incidents, incidents)
		require.Len(t, set.Runs, runs)
		require.Len(t, set.Milestones, milestones)
		require.Equal(t, []int{27_500, 6_000, 1_500, 14_000, 1_000}, []int{changes, deployments, incidents, runs, milestones})
	})

	t.Run("events fall in the year before end", func(t *testing.T) {
		from := end.AddDate(-1, 0, 0)
		for _, c := range set.Changes {
			require.False(t, c.Time.Before(from) || c.Time.After(end.Add(60*24*time.Hour)), c.ID)
			if !c.Opened.IsZero() && !c.TimeFromMerged {
				require.False(t, c.Opened.Before(c.Time) || c.Merged.Before(c.Opened), c.ID)
			}
		}
		for _, d := range set.Deployments {
			require.False(t, d.Time.Before(from) || !d.Time.Before(end), d.ID)
		}
	})

	t.Run("services, teams and environments are spread out", func(t *testing.T) {
		services, teams, envs := map[string]bool{}, map[string]bool{}, map[string]int{}
		noTeam := 0
		for _, d := range set.Deployments {
			services[d.Service] = true
			envs[d.Environment]++
			if d.Team == "" {
				noTeam++
			} else {
				teams[d.Team] = true
			}
		}
		require.Len(t, services, enginetest.Services)
		require.Len(t, teams, enginetest.Teams)
		require.InDelta(t, 0.6, float64(envs[events.DefaultEnvironment])/float64(len(set.Deployments)), 0.03)
		require.InDelta(t, 0.4, float64(envs[enginetest.Staging])/float64(len(set.Deployments)), 0.03)
		require.InDelta(t, 0.1, float64(noTeam)/float64(len(set.Deployments)), 0.02)
	})

	t.Run("changes are listed by id, by commits and by head commit", func(t *testing.T) {
		var byID, byCommits, byHead int
		for _, d := range set.Deployments {
			byID += len(d.Changes)
			byCommits += len(d.Commits)
			if d.Commit != "" {
				byHead++
			}
		}
		require.Positive(t, byID)
		require.Positive(t, byCommits)
		require.Positive(t, byHead)
		require.Greater(t, byID, byCommits)
	})

	t.Run("linking finds every outcome", func(t *testing.T) {
		m := engine.Link(set, engine.Options{Environment: events.DefaultEnvironment, AttributionWindow: engine.DefaultAttributionWindow})
		shipped := 0
		for _, c := range m.Changes {
			if c.Ship >= 0 {
				shipped++
			}
		}
		require.InDelta(t, 0.97, float64(shipped)/float64(len(m.Changes)), 0.03)

		links := map[engine.IncidentLink]int{}
		for _, in := range m.Incidents {
			links[in.Link]++
		}
		for _, l := range []engine.IncidentLink{engine.LinkNamed, engine.LinkAttributed, engine.LinkUnknownDeployment, engine.LinkOtherEnvironment} {
			require.Positive(t, links[l], l.String())
		}

		var reasons [3]int
		rework := 0
		for _, d := range m.Deploys {
			for i, r := range []engine.FailReason{engine.FailStatus, engine.FailIncident, engine.FailRolledBack} {
				if d.Failed&r != 0 {
					reasons[i]++
				}
			}
			if d.Rework {
				rework++
			}
		}
		require.Positive(t, reasons[0])
		require.Positive(t, reasons[1])
		require.Positive(t, reasons[2])
		require.Positive(t, rework)
	})

	t.Run("each service has a kickoff, a baseline and a bootstrap", func(t *testing.T) {
		first := map[string]map[string]bool{}
		for _, ms := range set.Milestones {
			if first[ms.Service] == nil {
				first[ms.Service] = map[string]bool{}
			}
			first[ms.Service][ms.Name] = true
		}
		require.Len(t, first, enginetest.Services)
		for service, names := range first {
			for _, name := range []string{events.MilestoneKickoff, events.MilestoneBaseline, events.MilestoneBootstrap} {
				require.True(t, names[name], "%s has no %s", service, name)
			}
		}
	})
}

func TestGenerateSmall(t *testing.T) {
	for _, n := range []int{0, 1, 10, 100} {
		require.Equal(t, n, enginetest.Generate(n, 3, end).Len(), "n = %d", n)
	}
}
