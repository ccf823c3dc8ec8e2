package github_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/plugin"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/github"
)

// TestDataSourceOnGitHub configures a data source the way the config
// editor saves it, on the fake GitHub, and reads the four keys through the
// plugin's query handler: settings, connector, engine and frames together.
func TestDataSourceOnGitHub(t *testing.T) {
	base := github.NewFakeEnterprise(t, "churn-model.json")
	jsonData := fmt.Sprintf(`{"github": {"baseUrl": %q, "auth": "token", "historyDays": 36500,
		"repositories": [{"repo": "acme/churn-model", "service": "churn", "team": "growth",
			"deployments": [{"from": "deployments", "environments": {"prod": "production", "staging": "staging"}}]}]}}`, base)
	inst, err := plugin.NewDatasource(context.Background(), backend.DataSourceInstanceSettings{
		UID: "gh", Type: plugin.PluginID, JSONData: []byte(jsonData),
		DecryptedSecureJSONData: map[string]string{"githubToken": github.TestToken},
	})
	require.NoError(t, err)
	ds := inst.(*plugin.Datasource)
	t.Cleanup(ds.Dispose)

	health, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusOk, health.Status, health.Message)
	require.Contains(t, health.Message, "GitHub API quota")
	require.NotContains(t, health.Message, github.TestToken)

	// The fixtures' week: Monday 2 to Monday 9 March 2026.
	monday := time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC)
	resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{{
		RefID: "A", TimeRange: backend.TimeRange{From: monday, To: monday.AddDate(0, 0, 7)},
		JSON: json.RawMessage(`{"queryType":"summary","metrics":["deployment_frequency","lead_time","change_failure_rate","time_to_restore"]}`),
	}}})
	require.NoError(t, err)
	dr := resp.Responses["A"]
	require.NoError(t, dr.Error)

	got := map[string]float64{}
	for _, f := range dr.Frames {
		require.Equal(t, data.FrameTypeNumericMulti, f.Meta.Type)
		v := f.Fields[0].At(0).(*float64)
		require.NotNil(t, v, f.Name)
		got[f.Fields[0].Labels["metric"]] = *v
	}
	// The same hand-computed figures as TestFourKeysFromGitHubDataEqualHandComputedValues:
	// 4 successful production deployments in 7 days; lead times 21, 27, 30
	// and 48 h, median 28.5 h; 4 of 5 deployments failed; incidents of 2 h
	// and 30 min, median 1.25 h.
	require.InDelta(t, 4.0/7, got["deployment_frequency"], 1e-9)
	require.InDelta(t, 28.5*3600, got["lead_time"], 1e-6)
	require.InDelta(t, 0.8, got["change_failure_rate"], 1e-9)
	require.InDelta(t, 1.25*3600, got["time_to_restore"], 1e-6)
}
