package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// One squash commit of a monorepo lands a change of each of two services;
// a deployment of one service ships only its own by commit, but ships the
// other's when it lists it by id.
func TestACommitShipsOnlyTheDeploymentsOwnService(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 5, 4, h, 0, 0, 0, time.UTC) }
	change := func(id, service string) events.Change {
		return events.Change{Common: events.Common{ID: id, Service: service}, Time: at(0), Commit: "abc", Type: events.ChangeCode}
	}
	deploy := func(id, service string, h int, ids ...string) events.Deployment {
		return events.Deployment{
			Common: events.Common{ID: id, Service: service}, Time: at(h), Environment: "production",
			Status: events.DeploySuccess, Commit: "abc", Changes: ids,
		}
	}
	set := &events.Set{
		Changes:     []events.Change{change("api-1", "api"), change("web-1", "web")},
		Deployments: []events.Deployment{deploy("api-d", "api", 2), deploy("web-d", "web", 5)},
	}
	m := engine.Link(set, engine.Options{Environment: "production"})
	require.Equal(t, "api-d", m.Shipped(0).ID)
	require.Equal(t, "web-d", m.Shipped(1).ID, "api-d's commit does not ship web's change")

	set.Deployments[0].Changes = []string{"web-1"}
	m = engine.Link(set, engine.Options{Environment: "production"})
	require.Equal(t, "api-d", m.Shipped(1).ID, "listed by id, a change ships with any service")
}
