package mlflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/plugin"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/mlflow"
)

// orgCtx is the context Grafana gives a request of its first organization.
var orgCtx = backend.WithPluginContext(context.Background(), backend.PluginContext{Namespace: "default"})

func newDataSource(t *testing.T, uid, jsonData string, secure map[string]string) *plugin.Datasource {
	t.Helper()
	inst, err := plugin.NewDatasource(orgCtx, backend.DataSourceInstanceSettings{
		UID: uid, Type: plugin.PluginID, JSONData: []byte(jsonData), DecryptedSecureJSONData: secure,
	})
	require.NoError(t, err)
	ds := inst.(*plugin.Datasource)
	t.Cleanup(ds.Dispose) // a second Dispose does nothing
	return ds
}

func health(t *testing.T, ds *plugin.Datasource) *backend.CheckHealthResult {
	t.Helper()
	res, err := ds.CheckHealth(orgCtx, &backend.CheckHealthRequest{})
	require.NoError(t, err)
	return res
}

// summaryValue runs a summary query the way a panel or an alert rule sends it.
func summaryValue(t *testing.T, ds *plugin.Datasource, from, to time.Time, query string) float64 {
	t.Helper()
	resp, err := ds.QueryData(orgCtx, &backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: "A", TimeRange: backend.TimeRange{From: from, To: to}, JSON: json.RawMessage(query),
	}}})
	require.NoError(t, err)
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)
	require.Len(t, dr.Frames, 1)
	v, ok := dr.Frames[0].Fields[0].At(0).(*float64)
	require.True(t, ok)
	require.NotNil(t, v, "no value for %s", query)
	return *v
}

// readHistory reads the alias history file as the next start of Grafana
// would.
func readHistory(t *testing.T, path string) []mlflow.Observation {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var f struct {
		Observations []mlflow.Observation `json:"observations"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	return f.Observations
}

// TestDataSource configures a data source as the config editor saves it, on
// a real tracking server and a feed, and reads it through the plugin's
// handlers: settings, the background poll, the alias history in the
// plugin-wide state directory, the health check and a query.
func TestDataSource(t *testing.T) {
	bin := venv(t)
	base := startServer(t, bin, false)
	var sum summary
	populate(t, bin, base, &sum, "setup")
	created := at(sum.Churn.Created)

	// A pull request from the feed whose merge commit trained v2.
	prTime := created.Add(-24 * time.Hour)
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = fmt.Fprintf(w, `{"kind":"change","id":"pr-7","service":"churn","time":%q,"commit":%q,"type":"code"}`+"\n",
			prTime.Format(time.RFC3339Nano), sum.Churn.Commit)
	}))
	t.Cleanup(feedSrv.Close)

	stateDir := t.TempDir()
	t.Setenv(plugin.EnvStateDir, stateDir)
	jsonData := fmt.Sprintf(`{"cacheSeconds": 0, "feed": {"url": %q},
		"mlflow": {"url": %q, "pageSize": "2", "pollSeconds": 1}}`, feedSrv.URL, base)
	file := mlflow.StorePath(stateDir, "default-e2e")

	ds := newDataSource(t, "e2e", jsonData, nil)
	// The poll starts with the instance: champion on v1 is recorded, and
	// written down, before any request.
	require.Eventually(t, func() bool {
		for _, o := range readHistory(t, file) {
			if o.Model == "churn" && o.Alias == "champion" && o.Version == "1" {
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond)
	populate(t, bin, base, nil, "alias", "churn", "champion", "2")

	// Moves by hand: champion on v1, fraud v1 in the Production stage,
	// champion on v2 (seen by the health check's own look, if not by the
	// poll before it).
	res := health(t, ds)
	require.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	require.Contains(t, res.Message, "Read feed and mlflow.")
	require.Contains(t, res.Message, "MLflow: 3 experiments, 2 registered models, 3 alias moves recorded in "+file)

	from, to := created.Add(-10*24*time.Hour), created.Add(10*24*time.Hour)
	leadTime := `{"queryType":"summary","metric":"lead_time","aggregation":"mean","filters":{"service":["churn"],"changeType":["code"]}}`
	// Rule: v2's deployed_at tag (whole seconds) minus the pull request's time.
	wantLead := at(sum.Churn.Deployed).Truncate(time.Second).Sub(prTime).Seconds()
	require.InDelta(t, wantLead, summaryValue(t, ds, from, to, leadTime), 1e-3)
	// Rule: churn v1, churn v2 and fraud v1 reached production, in 20 days.
	frequency := `{"queryType":"summary","metric":"deployment_frequency"}`
	require.InDelta(t, 3.0/20, summaryValue(t, ds, from, to, frequency), 1e-9)

	t.Run("a new instance of the data source reads the history back", func(t *testing.T) {
		ds.Dispose()
		again := newDataSource(t, "e2e", jsonData, nil)
		res := health(t, again)
		require.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
		require.Contains(t, res.Message, "3 alias moves recorded")
		require.InDelta(t, wantLead, summaryValue(t, again, from, to, leadTime), 1e-3)
		require.Len(t, readHistory(t, file), 3)
	})

	t.Run("another data source keeps a history of its own", func(t *testing.T) {
		other := newDataSource(t, "other", jsonData, nil)
		res := health(t, other)
		require.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
		// Its history starts now: champion already on v2, fraud staged.
		require.Contains(t, res.Message, "2 alias moves recorded in "+mlflow.StorePath(stateDir, "default-other"))
		require.Len(t, readHistory(t, file), 3, "the first data source's file is untouched")
	})
}

// TestDataSourceHealthWithAuth is what a user sees after saving the data
// source against a server with authentication on.
func TestDataSourceHealthWithAuth(t *testing.T) {
	bin := venv(t)
	base := startServer(t, bin, true)
	jsonData := fmt.Sprintf(`{"mlflow": {"url": %q, "auth": "basic", "username": "admin"}}`, base)
	check := func(password string) *backend.CheckHealthResult {
		return health(t, newDataSource(t, "auth", jsonData, map[string]string{"mlflowPassword": password}))
	}

	res := check("wrong-one")
	require.Equal(t, backend.HealthStatusError, res.Status)
	require.Contains(t, res.Message, "answered 401 Unauthorized: check the username and password")
	require.NotContains(t, res.Message, "wrong-one")
	require.NotContains(t, string(res.JSONDetails), "wrong-one")

	res = check(adminPassword)
	require.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	require.Contains(t, res.Message, "MLflow: 1 experiment, 0 registered models, 0 alias moves recorded")
	require.NotContains(t, res.Message, adminPassword)

	noAuth := fmt.Sprintf(`{"mlflow": {"url": %q}}`, base)
	res = health(t, newDataSource(t, "auth", noAuth, nil))
	require.Equal(t, backend.HealthStatusError, res.Status)
	require.Contains(t, res.Message, "the server needs credentials, set auth to basic or bearer")
}
