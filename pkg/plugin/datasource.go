package plugin

import (
	"context"
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
	d.sources, d.err = d.settings.Sources(demoSource, opts)
	if d.err != nil {
		return d, nil
	}
	d.cache = source.NewCache(d.settings.CacheTTL, time.Now, d.sources...)
	return d, nil
}

// Dispose lets go of cached events when Grafana replaces the instance.
func (d *Datasource) Dispose() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.snap, d.eng = nil, nil
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
