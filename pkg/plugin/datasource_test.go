package plugin

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

func TestStateDir(t *testing.T) {
	t.Run("grafana.ini's state_dir comes first", func(t *testing.T) {
		t.Setenv(EnvStateDir, " /srv/fourkeys ")
		t.Setenv(EnvPathsData, "/var/lib/grafana")
		require.Equal(t, "/srv/fourkeys", StateDir())
	})
	t.Run("then a directory in Grafana's data directory", func(t *testing.T) {
		t.Setenv(EnvStateDir, "")
		t.Setenv(EnvPathsData, "/var/lib/grafana")
		require.Equal(t, filepath.Join("/var/lib/grafana", "plugin-state", PluginID), StateDir())
	})
	t.Run("else none, and the state stays in memory", func(t *testing.T) {
		t.Setenv(EnvStateDir, "")
		t.Setenv(EnvPathsData, "")
		require.Empty(t, StateDir())
	})
}

func TestInstanceKey(t *testing.T) {
	a := instanceKey("default", backend.DataSourceInstanceSettings{UID: "abc"})
	b := instanceKey("org-2", backend.DataSourceInstanceSettings{UID: "abc"})
	require.NotEqual(t, a, b, "one uid in two organizations is two data sources")
	require.Equal(t, "default-id7", instanceKey("default", backend.DataSourceInstanceSettings{ID: 7}))
}

//nolint:staticcheck // Grafanas without namespaces send only the deprecated OrgID.
func TestNamespace(t *testing.T) {
	require.Equal(t, "stacks-12", namespace(backend.PluginContext{Namespace: "stacks-12", OrgID: 1}))
	// Without a namespace, the organization's id names it as Grafana would.
	require.Equal(t, "default", namespace(backend.PluginContext{OrgID: 1}))
	require.Equal(t, "org-3", namespace(backend.PluginContext{OrgID: 3}))
	require.Equal(t, "default", namespace(backend.PluginContext{}))
}

// background is a source with a poll, as MLflow's is.
type background struct {
	ctx    context.Context
	closed int
}

func (*background) Name() string { return "background" }
func (*background) Fetch(context.Context) (*events.Set, events.Report, error) {
	return &events.Set{}, events.Report{}, nil
}
func (b *background) Start(ctx context.Context) { b.ctx = ctx }
func (b *background) Close() error              { b.closed++; return nil }

func TestBackgroundWorkLivesWithTheInstance(t *testing.T) {
	src := &background{}
	d := &Datasource{sources: []source.Source{src}}
	req, cancel := context.WithCancel(context.Background())
	d.startSources(req)
	cancel()
	require.NotNil(t, src.ctx)
	require.NoError(t, src.ctx.Err(), "the end of the request that made the instance does not stop the poll")
	d.Dispose()
	require.Equal(t, 1, src.closed)
}
