package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/stretchr/testify/require"
)

// What the Grafana server in these tests calls itself.
const (
	pluginID       = "mlops-fourkeys-datasource"
	pluginVersion  = "0.1.0"
	grafanaVersion = "12.4.10"
	appURL         = "http://localhost:3000/"
)

// callTimeout bounds one gRPC call; a feed on loopback answers in
// milliseconds.
const callTimeout = 30 * time.Second

// backendPlugin is one running plugin process and the gRPC clients Grafana
// keeps for it.
type backendPlugin struct {
	data        pluginv2.DataClient
	diagnostics pluginv2.DiagnosticsClient
	resource    pluginv2.ResourceClient

	// logs holds everything the process wrote to stderr and everything the
	// host logged about it, as Grafana's log would show it.
	logs *logBuffer

	// stop ends the process, as a restart of Grafana does.
	stop func()
}

// startPlugin starts the binary as Grafana does and stops it when the test
// ends. env adds variables to Grafana's, as the keys of grafana.ini's
// [plugin.mlops-fourkeys-datasource] section become GF_PLUGIN_<KEY>.
func startPlugin(t *testing.T, env ...string) *backendPlugin {
	t.Helper()
	logs := &logBuffer{}

	// Grafana starts the process itself, so the process is not tied to a
	// context; client.Kill stops it.
	cmd := exec.Command(pluginPath)
	cmd.Env = append(grafanaEnv(), env...)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		Cmd: cmd,
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
				"data":        &grpcplugin.DataGRPCPlugin{},
				"stream":      &grpcplugin.StreamGRPCPlugin{},
			},
		},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		// Grafana passes the plugin only the variables it chose, not its own
		// environment; the plugin must start with those alone.
		SkipHostEnv:  true,
		StartTimeout: callTimeout,
		Stderr:       logs,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "plugin." + pluginID,
			Level:  hclog.Trace,
			Output: logs,
		}),
	})
	t.Cleanup(client.Kill)

	rpc, err := client.Client()
	require.NoError(t, err, "the plugin did not start; its output:\n%s", logs)
	grpcClient, ok := rpc.(*goplugin.GRPCClient)
	require.True(t, ok, "the plugin did not negotiate gRPC but %T", rpc)
	require.Equal(t, grpcplugin.ProtocolVersion, client.NegotiatedVersion())

	return &backendPlugin{
		data:        pluginv2.NewDataClient(grpcClient.Conn),
		diagnostics: pluginv2.NewDiagnosticsClient(grpcClient.Conn),
		resource:    pluginv2.NewResourceClient(grpcClient.Conn),
		logs:        logs,
		stop:        client.Kill,
	}
}

// grafanaEnv is the environment Grafana gives a plugin process of an open
// source server without tracing, feature toggles or plugin settings. The
// hashicorp/go-plugin client adds the magic cookie and its own variables.
func grafanaEnv() []string {
	return []string{
		"GF_VERSION=" + grafanaVersion,
		"GF_EDITION=Open Source",
		"GF_ENTERPRISE_LICENSE_PATH=",
		"GF_ENTERPRISE_APP_URL=" + appURL,
	}
}

// dataSource is one configured instance of the data source, as Grafana
// stores it.
type dataSource struct {
	id       int64
	uid      string
	jsonData string
	secure   map[string]string
	// updated is when the settings were last saved; Grafana makes a new
	// instance when it changes. Zero is 1 January 2026.
	updated time.Time
}

// pluginContext is what Grafana sends with every call for a data source.
// A nil user stands for a request no one is signed in for, such as an
// alert rule evaluated in the background.
func (ds dataSource) pluginContext(user *pluginv2.User) *pluginv2.PluginContext {
	return &pluginv2.PluginContext{
		OrgId:         1,
		PluginId:      pluginID,
		PluginVersion: pluginVersion,
		User:          user,
		UserAgent:     fmt.Sprintf("Grafana/%s (linux; amd64)", grafanaVersion),
		GrafanaConfig: map[string]string{
			backend.AppURL:                           appURL,
			backend.ConcurrentQueryCount:             "10",
			backend.UserFacingDefaultError:           "Please inspect the Grafana server log for details.",
			backend.SQLMaxOpenConnsDefault:           "100",
			backend.SQLMaxIdleConnsDefault:           "100",
			backend.SQLMaxConnLifetimeSecondsDefault: "14400",
		},
		DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{
			Id:                      ds.id, //nolint:staticcheck // Grafana still sends the internal id
			Uid:                     ds.uid,
			Name:                    "ML Four Keys " + ds.uid,
			JsonData:                []byte(ds.jsonData),
			DecryptedSecureJsonData: ds.secure,
			LastUpdatedMS:           ds.lastUpdated().UnixMilli(),
		},
	}
}

func (ds dataSource) lastUpdated() time.Time {
	if ds.updated.IsZero() {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return ds.updated
}

// ref is the datasource reference Grafana writes into every stored query.
func (ds dataSource) ref() map[string]string {
	return map[string]string{"type": pluginID, "uid": ds.uid}
}

// admin is the signed-in user of a dashboard or of the data source page.
var admin = &pluginv2.User{Login: "admin", Name: "admin", Email: "admin@localhost", Role: "Admin"}

func (p *backendPlugin) checkHealth(t *testing.T, ds dataSource) *pluginv2.CheckHealthResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	res, err := p.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: ds.pluginContext(admin)})
	require.NoError(t, err, "CheckHealth over gRPC; plugin output:\n%s", p.logs)
	return res
}

func (p *backendPlugin) queryData(t *testing.T, req *pluginv2.QueryDataRequest) *pluginv2.QueryDataResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	res, err := p.data.QueryData(ctx, req)
	require.NoError(t, err, "QueryData over gRPC; plugin output:\n%s", p.logs)
	for _, q := range req.Queries {
		require.Contains(t, res.Responses, q.RefId, "every query gets an answer")
	}
	return res
}

// dataQuery is one query as Grafana puts it on the wire: the stored JSON
// model, with the refId, time range, interval and point budget beside it.
type dataQuery struct {
	refID         string
	model         map[string]any
	from, to      time.Time
	interval      time.Duration
	maxDataPoints int64
}

func (q dataQuery) proto(t *testing.T) *pluginv2.DataQuery {
	t.Helper()
	model := map[string]any{"refId": q.refID}
	maps.Copy(model, q.model)
	raw, err := json.Marshal(model)
	require.NoError(t, err)
	queryType, _ := model["queryType"].(string)
	return &pluginv2.DataQuery{
		RefId:         q.refID,
		QueryType:     queryType,
		Json:          raw,
		IntervalMS:    q.interval.Milliseconds(),
		MaxDataPoints: q.maxDataPoints,
		TimeRange:     &pluginv2.TimeRange{FromEpochMS: q.from.UnixMilli(), ToEpochMS: q.to.UnixMilli()},
	}
}

// frames decodes the Arrow frames of one answer, which must not be an
// error.
func frames(t *testing.T, res *pluginv2.QueryDataResponse, refID string) data.Frames {
	t.Helper()
	r := res.Responses[refID]
	require.NotNil(t, r, "answer for %s", refID)
	require.Empty(t, r.Error, "query %s failed", refID)
	fs, err := data.UnmarshalArrowFrames(r.Frames)
	require.NoError(t, err, "decode the Arrow frames of %s", refID)
	return fs
}

// values reads a numeric field as nullable floats, whichever Go type the
// backend chose for it.
func values(t *testing.T, f *data.Field) []*float64 {
	t.Helper()
	out := make([]*float64, f.Len())
	for i := range out {
		v, ok := f.ConcreteAt(i)
		if !ok {
			continue
		}
		var x float64
		switch n := v.(type) {
		case float64:
			x = n
		case float32:
			x = float64(n)
		case int64:
			x = float64(n)
		case int32:
			x = float64(n)
		case uint64:
			x = float64(n)
		default:
			require.Failf(t, "not a number", "field %s holds %T", f.Name, v)
		}
		out[i] = &x
	}
	return out
}

// times reads a time field.
func times(t *testing.T, f *data.Field) []time.Time {
	t.Helper()
	out := make([]time.Time, f.Len())
	for i := range out {
		v, ok := f.ConcreteAt(i)
		require.True(t, ok, "time %d of %s is null", i, f.Name)
		out[i] = v.(time.Time).UTC()
	}
	return out
}

// num is a nullable expectation; nil means null.
func num(v float64) *float64 { return &v }

// requireValues compares nullable numbers, to a millionth.
func requireValues(t *testing.T, want, got []*float64, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		switch {
		case want[i] == nil:
			require.Nil(t, got[i], "%s: point %d should be null, is %v", msg, i, deref(got[i]))
		case got[i] == nil:
			require.Failf(t, msg, "point %d is null, want %v", i, *want[i])
		default:
			require.InDelta(t, *want[i], *got[i], 1e-6, "%s: point %d", msg, i)
		}
	}
}

func deref(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// logBuffer collects output written from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
