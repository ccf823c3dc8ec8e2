package query_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

// pluginType is the plugin id that dashboards name in their data source refs.
const pluginType = "mlops-fourkeys-datasource"

// savedQuery is one query body found in a provisioning or dashboard file,
// with where it was found for the failure message.
type savedQuery struct {
	where string
	model json.RawMessage
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	Title      string            `json:"title"`
	Datasource *dsRef            `json:"datasource"`
	Targets    []json.RawMessage `json:"targets"`
	Panels     []panel           `json:"panels"`
}

type dashboard struct {
	Panels      []panel `json:"panels"`
	Annotations struct {
		List []struct {
			Name       string          `json:"name"`
			Datasource *dsRef          `json:"datasource"`
			Target     json.RawMessage `json:"target"`
		} `json:"list"`
	} `json:"annotations"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource *dsRef          `json:"datasource"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type alertFile struct {
	Groups []struct {
		Rules []struct {
			Title string `json:"title"`
			Data  []struct {
				RefID         string          `json:"refId"`
				DatasourceUID string          `json:"datasourceUid"`
				Model         json.RawMessage `json:"model"`
			} `json:"data"`
		} `json:"rules"`
	} `json:"groups"`
}

func ours(ref *dsRef) bool { return ref != nil && ref.Type == pluginType }

func panelQueries(file string, panels []panel) []savedQuery {
	var out []savedQuery
	for _, p := range panels {
		if ours(p.Datasource) {
			for _, t := range p.Targets {
				out = append(out, savedQuery{where: file + ": panel " + p.Title, model: t})
			}
		}
		out = append(out, panelQueries(file, p.Panels)...)
	}
	return out
}

func dashboardQueries(t *testing.T, file string) []savedQuery {
	t.Helper()
	var d dashboard
	require.NoError(t, json.Unmarshal(readFile(t, file), &d), file)
	out := panelQueries(file, d.Panels)
	for _, a := range d.Annotations.List {
		if ours(a.Datasource) {
			out = append(out, savedQuery{where: file + ": annotation " + a.Name, model: a.Target})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && ours(v.Datasource) {
			out = append(out, savedQuery{where: file + ": variable " + v.Name, model: v.Query})
		}
	}
	return out
}

func alertQueries(t *testing.T, file string) []savedQuery {
	t.Helper()
	var f alertFile
	require.NoError(t, json.Unmarshal(readFile(t, file), &f), file)
	var out []savedQuery
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			for _, d := range r.Data {
				if d.DatasourceUID != "__expr__" {
					out = append(out, savedQuery{where: file + ": rule " + r.Title + " query " + d.RefID, model: d.Model})
				}
			}
		}
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	require.NoError(t, err)
	return files
}

// TestSavedQueriesParse checks that every query the repository ships, in the
// bundled dashboard and in the provisioned alert rules, is one the backend
// accepts. Alert rules reach the backend without the frontend, so their JSON
// must be right as written.
func TestSavedQueriesParse(t *testing.T) {
	root := filepath.Join("..", "..")
	dashboards := glob(t, filepath.Join(root, "src", "dashboards", "*.json"))
	alerts := glob(t, filepath.Join(root, "provisioning", "alerting", "*.json"))
	require.NotEmpty(t, dashboards, "the bundled dashboard is missing")
	require.NotEmpty(t, alerts, "the provisioned alert rules are missing")

	var saved []savedQuery
	for _, f := range dashboards {
		saved = append(saved, dashboardQueries(t, f)...)
	}
	for _, f := range alerts {
		found := alertQueries(t, f)
		require.NotEmpty(t, found, "%s has no query on the data source", f)
		saved = append(saved, found...)
	}
	require.Greater(t, len(saved), 10)

	for _, s := range saved {
		t.Run(s.where, func(t *testing.T) {
			_, err := query.Parse(s.model, "", engine.Known)
			require.NoError(t, err, "%s", s.model)
		})
	}
}

// TestAlertRuleAsksForLeadTime pins the provisioned rule to the contract of
// the README: the median lead time over a trailing 14 days, in UTC.
func TestAlertRuleAsksForLeadTime(t *testing.T) {
	found := alertQueries(t, filepath.Join("..", "..", "provisioning", "alerting", "lead-time.json"))
	require.Len(t, found, 1)

	q, err := query.Parse(found[0].model, "", engine.Known)
	require.NoError(t, err)
	require.Equal(t, query.TypeTimeSeries, q.QueryType)
	require.Equal(t, "lead_time", q.Metric)
	require.Equal(t, query.AggMedian, q.Aggregation)
	require.Equal(t, 14*24*time.Hour, q.WindowLen)
	require.Equal(t, 24*time.Hour, q.Step)
	require.Equal(t, time.UTC, q.Location)
}
