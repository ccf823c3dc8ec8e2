package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

func linkProd(s *events.Set) *engine.Model {
	return engine.Link(s, engine.Options{Environment: prod, AttributionWindow: engine.DefaultAttributionWindow})
}

// deployByID finds a linked deployment, failing the test when it is absent.
func deployByID(t *testing.T, m *engine.Model, id string) engine.Deploy {
	t.Helper()
	for _, d := range m.Deploys {
		if d.ID == id {
			return d
		}
	}
	require.FailNow(t, "no deployment "+id)
	return engine.Deploy{}
}

func TestLinkWorkedExample(t *testing.T) {
	t.Parallel()
	m := linkProd(cfrExample())
	tests := []struct {
		id        string
		reasons   engine.FailReason
		rework    bool
		recovered time.Time
	}{
		{"D1", 0, false, time.Time{}},
		// Recovers at the next success, D3 on Wednesday 10:00.
		{"D2", engine.FailStatus, false, on(time.Wednesday, 10, 0)},
		// The first success after D2; failed by the incident, resolved Thu 14:00.
		{"D3", engine.FailIncident, true, on(time.Thursday, 14, 0)},
		// Follows the failed D3; rolled back by D5 on Friday 10:00.
		{"D4", engine.FailRolledBack, true, on(time.Friday, 10, 0)},
		{"D5", 0, true, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.id+" is marked as the example says", func(t *testing.T) {
			t.Parallel()
			d := deployByID(t, m, tt.id)
			require.Equal(t, tt.reasons, d.Failed)
			require.Equal(t, tt.rework, d.Rework)
			require.True(t, tt.recovered.Equal(d.Recovered), "recovered %s, want %s", d.Recovered, tt.recovered)
		})
	}

	t.Run("the incident is attributed to D3", func(t *testing.T) {
		t.Parallel()
		require.Len(t, m.Incidents, 1)
		in := m.Incidents[0]
		require.Equal(t, engine.LinkAttributed, in.Link)
		require.Equal(t, "attributed", in.Link.String())
		require.GreaterOrEqual(t, in.Deploy, 0)
		require.Equal(t, "D3", m.Deploys[in.Deploy].ID)
	})

	t.Run("deployments are kept in time order", func(t *testing.T) {
		t.Parallel()
		var ids []string
		for _, d := range m.Deploys {
			ids = append(ids, d.ID)
		}
		require.Equal(t, []string{"D1", "D2", "D3", "D4", "D5"}, ids)
	})
}

func TestFailReasonString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reasons engine.FailReason
		want    string
	}{
		{engine.FailStatus, "status failure"},
		{engine.FailIncident, "incident"},
		{engine.FailRolledBack, "rolled back"},
		{engine.FailStatus | engine.FailIncident | engine.FailRolledBack, "status failure, incident, rolled back"},
		{0, ""},
	}
	for _, tt := range tests {
		t.Run("reasons read as "+tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.reasons.String())
		})
	}
}

func TestIncidentLinks(t *testing.T) {
	t.Parallel()
	s := set(
		dep("D1", "svc", on(time.Monday, 10, 0), ok),
		inEnv("staging", dep("S1", "svc", on(time.Monday, 11, 0), ok)),
		incident("named", "svc", on(time.Tuesday, 10, 0), on(time.Tuesday, 11, 0), "D1"),
		incident("attributed", "svc", on(time.Monday, 12, 0), on(time.Monday, 13, 0), ""),
		incident("unknown", "svc", on(time.Monday, 12, 0), on(time.Monday, 13, 0), "ghost"),
		incident("staging", "svc", on(time.Monday, 12, 0), on(time.Monday, 13, 0), "S1"),
		// Opened a week after D1: beyond the 72 h window.
		incident("none", "svc", on(time.Monday, 10, 0).AddDate(0, 0, 7), time.Time{}, ""),
	)
	m := linkProd(s)
	tests := []struct {
		id     string
		link   engine.IncidentLink
		word   string
		deploy string // "" when it is tied to no deployment of production
	}{
		{"named", engine.LinkNamed, "named", "D1"},
		{"attributed", engine.LinkAttributed, "attributed", "D1"},
		{"unknown", engine.LinkUnknownDeployment, "unknown deployment", ""},
		{"staging", engine.LinkOtherEnvironment, "other environment", ""},
		{"none", engine.LinkNone, "none", ""},
	}
	for _, tt := range tests {
		t.Run("the "+tt.id+" incident is linked as "+tt.word, func(t *testing.T) {
			t.Parallel()
			var found bool
			for _, in := range m.Incidents {
				if in.ID != tt.id {
					continue
				}
				found = true
				require.Equal(t, tt.link, in.Link)
				require.Equal(t, tt.word, in.Link.String())
				if tt.deploy == "" {
					require.Equal(t, -1, in.Deploy)
				} else {
					require.Equal(t, tt.deploy, m.Deploys[in.Deploy].ID)
				}
			}
			require.True(t, found)
		})
	}

	t.Run("in staging the incident naming S1 is named", func(t *testing.T) {
		t.Parallel()
		sm := engine.Link(s, engine.Options{Environment: "staging", AttributionWindow: engine.DefaultAttributionWindow})
		for _, in := range sm.Incidents {
			if in.ID == "staging" {
				require.Equal(t, engine.LinkNamed, in.Link)
				require.Equal(t, "S1", sm.Deploys[in.Deploy].ID)
			}
			if in.ID == "named" {
				require.Equal(t, engine.LinkOtherEnvironment, in.Link)
			}
		}
		require.Equal(t, engine.FailIncident, deployByID(t, sm, "S1").Failed)
	})
}

func TestLinkShipping(t *testing.T) {
	t.Parallel()
	bySHA := dep("D2", "svc", on(time.Tuesday, 10, 0), ok)
	bySHA.Commits = []string{"sha-y"}
	byDeployed := dep("D3", "svc", on(time.Wednesday, 10, 0), ok)
	byDeployed.Commit = "sha-z"
	y := change("Y", "svc", on(time.Monday, 9, 0))
	y.Commit = "sha-y"
	z := change("Z", "svc", on(time.Monday, 9, 0))
	z.Commit = "sha-z"
	s := set(
		change("X", "svc", on(time.Monday, 9, 0)),
		y, z,
		change("W", "svc", on(time.Monday, 9, 0)),
		dep("D0", "svc", on(time.Monday, 10, 0), fail, "X", "W"),
		dep("D1", "svc", on(time.Monday, 12, 0), ok, "X"),
		bySHA,
		byDeployed,
		dep("D4", "svc", on(time.Thursday, 10, 0), ok, "X", "Y"),
		inEnv("staging", dep("S1", "svc", on(time.Monday, 11, 0), ok, "W")),
	)
	m := linkProd(s)
	tests := []struct {
		name, change, shippedBy string
	}{
		{"the earliest success ships a change listed by id, not the failed D0 or the later D4", "X", "D1"},
		{"a deployment ships a change listed by SHA in commits", "Y", "D2"},
		{"a deployment ships the change whose commit it deployed", "Z", "D3"},
		{"a change listed only by a failed and a staging deployment is not shipped to production", "W", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for ci, c := range m.Changes {
				if c.ID != tt.change {
					continue
				}
				d := m.Shipped(ci)
				if tt.shippedBy == "" {
					require.Nil(t, d)
					require.Equal(t, -1, c.Ship)
					return
				}
				require.NotNil(t, d)
				require.Equal(t, tt.shippedBy, d.ID)
				return
			}
			require.FailNow(t, "no change "+tt.change)
		})
	}

	t.Run("a deployment lists only what it shipped", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, deployByID(t, m, "D0").Ships)
		require.Len(t, deployByID(t, m, "D1").Ships, 1)
		require.Empty(t, deployByID(t, m, "D4").Ships, "X and Y were shipped before")
	})

	t.Run("staging ships W in its own model", func(t *testing.T) {
		t.Parallel()
		sm := engine.Link(s, engine.Options{Environment: "staging"})
		require.Len(t, deployByID(t, sm, "S1").Ships, 1)
	})
}

func TestServiceTeamFallback(t *testing.T) {
	t.Parallel()
	s := set(
		dep("D1", "svc", on(time.Monday, 10, 0), ok),
		teamed("alpha", run("r1", "svc", on(time.Monday, 8, 0), time.Minute)),
		change("c1", "svc", on(time.Monday, 9, 0)),
		incident("i1", "svc", on(time.Monday, 11, 0), on(time.Monday, 12, 0), ""),
		teamed("beta", dep("E1", "own", on(time.Monday, 10, 0), ok)),
		dep("N1", "nobody", on(time.Monday, 10, 0), ok),
	)
	m := linkProd(s)

	t.Run("a deployment without a team takes the team a run of its service names", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, "alpha", deployByID(t, m, "D1").Team)
	})

	t.Run("a change and an incident without a team take it too", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, "alpha", m.Changes[0].Team)
		require.Equal(t, "alpha", m.Incidents[0].Team)
	})

	t.Run("an event naming its own team keeps it", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, "beta", deployByID(t, m, "E1").Team)
	})

	t.Run("a service no event gives a team has none", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, deployByID(t, m, "N1").Team)
	})
}
