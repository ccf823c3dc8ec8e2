package plugin

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/settings"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/demo"
)

// PluginID is the id Grafana knows the plugin by.
const PluginID = "mlops-fourkeys-datasource"

// Datasource is one configured data source. Grafana keeps one per data
// source and version of its settings; every panel and alert rule of that
// data source shares its cache.
type Datasource struct {
	settings settings.Settings
	// err is a settings error, reported by every query and health check
	// instead of failing the instance, so that the user sees what to fix.
	err     error
	sources []source.Source
	cache   *source.Cache

	mu   sync.Mutex
	snap *source.Snapshot
	eng  *engine.Engine
}

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// NewDatasource builds the instance for one data source's settings.
func NewDatasource(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	d := &Datasource{}
	d.settings, d.err = settings.Load(s)
	if d.err != nil {
		return d, nil
	}
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		d.err = err
		return d, nil
	}
	d.sources, d.err = d.settings.Sources(settings.Host{
		Demo:        demoSource,
		HTTPOptions: opts,
		Key:         instanceKey(namespace(backend.PluginConfigFromContext(ctx)), s),
		StateDir:    StateDir(),
	})
	if d.err != nil {
		d.closeSources()
		return d, nil
	}
	d.cache = source.NewCache(d.settings.CacheTTL, time.Now, d.sources...)
	d.startSources(ctx)
	return d, nil
}

// startSources starts the sources' background work. It outlives the request
// that made the instance, and ends with Dispose.
func (d *Datasource) startSources(ctx context.Context) {
	for _, src := range d.sources {
		if p, ok := src.(poller); ok {
			p.Start(context.WithoutCancel(ctx))
		}
	}
}

// poller is a source with background work, such as MLflow's alias poll.
type poller interface {
	Start(ctx context.Context)
}

// namespace returns the organization's namespace as Grafana names it:
// "default" for the first organization, "org-<id>" for the others. Grafanas
// that send no namespace still send the organization's id.
func namespace(pc backend.PluginContext) string {
	if pc.Namespace != "" {
		return pc.Namespace
	}
	if org := pc.OrgID; org > 1 { //nolint:staticcheck // the fallback for Grafanas without namespaces
		return "org-" + strconv.FormatInt(org, 10)
	}
	return "default"
}

// instanceKey names what a data source keeps beyond one instance. A uid is
// unique within an organization (a namespace) only, so that is part of it.
func instanceKey(ns string, s backend.DataSourceInstanceSettings) string {
	id := s.UID
	if id == "" {
		id = "id" + strconv.FormatInt(s.ID, 10)
	}
	return ns + "-" + id
}

// The environment variables that say where the plugin keeps state: the
// first is Grafana's [plugin.mlops-fourkeys-datasource] state_dir, the
// second the data directory of Grafanas that pass their whole environment
// to plugins (those before 12.4, or with forward_host_env_vars).
const (
	EnvStateDir  = "GF_PLUGIN_STATE_DIR"
	EnvPathsData = "GF_PATHS_DATA"
)

// StateDir returns the plugin-wide directory for state that must survive a
// restart, or "" when Grafana names none.
func StateDir() string {
	if dir := strings.TrimSpace(os.Getenv(EnvStateDir)); dir != "" {
		return dir
	}
	if data := strings.TrimSpace(os.Getenv(EnvPathsData)); data != "" {
		return filepath.Join(data, "plugin-state", PluginID)
	}
	return ""
}

// Dispose stops the sources' background work and lets go of cached events
// when Grafana replaces or drops the instance.
func (d *Datasource) Dispose() {
	d.closeSources()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.snap, d.eng = nil, nil
}

func (d *Datasource) closeSources() {
	for _, src := range d.sources {
		if c, ok := src.(io.Closer); ok {
			if err := c.Close(); err != nil {
				backend.Logger.Warn("Closing a source failed", "source", src.Name(), "error", err)
			}
		}
	}
}

// engine returns an engine over the current snapshot of the sources,
// building a new one only when the snapshot changed.
func (d *Datasource) engine(ctx context.Context) (*engine.Engine, *source.Snapshot, error) {
	if d.err != nil {
		return nil, nil, d.err
	}
	snap, err := d.cache.Get(ctx)
	if err != nil {
		return nil, nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if snap != d.snap || d.eng == nil {
		d.snap = snap
		d.eng = engine.New(snap.Set, d.settings.Environment, d.settings.AttributionWindow)
	}
	return d.eng, snap, nil
}

func demoSource() source.Source { return demo.Source{} }
