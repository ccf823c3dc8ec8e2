package protocol

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// healthDetails is the part of the health check's JSON details these tests
// read.
type healthDetails struct {
	Counts   map[string]int `json:"counts"`
	Warnings []string       `json:"warnings"`
}

func decodeHealth(t *testing.T, res *pluginv2.CheckHealthResponse) healthDetails {
	t.Helper()
	var d healthDetails
	require.NoError(t, json.Unmarshal(res.JsonDetails, &d), "health details: %s", res.JsonDetails)
	return d
}

func TestDemoDataSource(t *testing.T) {
	p := startPlugin(t)
	// A data source just added in Grafana: nothing set, so the demo is on.
	demo := dataSource{id: 1, uid: "demo", jsonData: "{}"}

	t.Run("the health check reads the demo and counts its events", func(t *testing.T) {
		res := p.checkHealth(t, demo)

		require.Equal(t, pluginv2.CheckHealthResponse_OK, res.Status, res.Message)
		require.True(t, strings.HasPrefix(res.Message, "Read demo."), res.Message)
		counts := decodeHealth(t, res).Counts
		for _, kind := range []string{"change", "deployment", "incident"} {
			require.Positive(t, counts[kind], "%ss in the last 90 days: %v", kind, counts)
		}
	})

	t.Run("a summary of the demo has a value, a band and a count", func(t *testing.T) {
		now := time.Now()
		q := dataQuery{
			refID:    "A",
			model:    map[string]any{"datasource": demo.ref(), "queryType": "summary", "metric": "lead_time"},
			from:     now.AddDate(0, 0, -30),
			to:       now,
			interval: time.Hour,
		}
		res := p.queryData(t, &pluginv2.QueryDataRequest{
			PluginContext: demo.pluginContext(admin),
			Queries:       []*pluginv2.DataQuery{q.proto(t)},
		})

		fs := frames(t, res, "A")
		require.Len(t, fs, 1)
		s := readSummary(t, fs[0])
		require.Equal(t, "lead_time", s.metric)
		require.NotNil(t, s.value, "the demo shipped changes in the last 30 days")
		require.Positive(t, *s.value)
		require.Contains(t, []string{"elite", "high", "medium", "low"}, s.band)
		require.Positive(t, s.count)
	})

	t.Run("a resource the plugin does not serve is refused and the plugin keeps serving", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		defer cancel()
		stream, err := p.resource.CallResource(ctx, &pluginv2.CallResourceRequest{
			PluginContext: demo.pluginContext(admin),
			Path:          "no-such-resource",
			Method:        http.MethodGet,
			Url:           "no-such-resource",
		})
		require.NoError(t, err)
		res, err := stream.Recv()
		if err != nil {
			// Without a resource handler the SDK answers Unimplemented,
			// which Grafana turns into 404.
			require.Equal(t, codes.Unimplemented, status.Code(err), err)
		} else {
			require.Equal(t, int32(http.StatusNotFound), res.Code)
		}

		health := p.checkHealth(t, demo)
		require.Equal(t, pluginv2.CheckHealthResponse_OK, health.Status, health.Message)
	})

	t.Run("Grafana can scrape the plugin's metrics", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		defer cancel()
		res, err := p.diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{PluginContext: demo.pluginContext(nil)})
		require.NoError(t, err)
		require.Contains(t, string(res.GetMetrics().GetPrometheus()), "go_goroutines")
	})
}

func TestFeedDataSource(t *testing.T) {
	p := startPlugin(t)
	h := newHistory(time.Now())
	token := "feed-token-" + rand.Text()
	feed := newFeedServer(t, token, h.ndjson(t))
	ds := dataSource{
		id:       2,
		uid:      "feed",
		jsonData: feedSettings(t, feed.URL+"/events.ndjson"),
		secure:   map[string]string{"feedToken": token},
	}

	t.Run("the health check reads the feed with the token and counts its events", func(t *testing.T) {
		res := p.checkHealth(t, ds)

		require.Equal(t, pluginv2.CheckHealthResponse_OK, res.Status, res.Message)
		require.Positive(t, feed.authorized.Load(), "the feed was asked with the token")
		require.Zero(t, feed.refused.Load(), "the feed was never asked without it")
		d := decodeHealth(t, res)
		// c1–c3; d1–d4 and the staging s1, which the health check counts
		// too; i1. Nothing is unlinked or undeployed, so no warnings.
		require.Equal(t, map[string]int{"change": 3, "deployment": 5, "incident": 1}, nonZero(d.Counts))
		require.Empty(t, d.Warnings)
		require.Contains(t, res.Message, "3 changes")
		require.Contains(t, res.Message, "5 deployments")
	})

	t.Run("panel queries answer the hand-computed numbers and a bad one fails alone", func(t *testing.T) {
		testPanelQueries(t, p, ds, h)
	})

	t.Run("an alert rule's queries answer its trailing window and a bad one fails alone", func(t *testing.T) {
		testAlertQueries(t, p, ds, h)
	})
}

// panelQuery is a query as a dashboard panel sends it: what the query
// editor saved, with the defaults it starts from, and the fields Grafana
// adds to every panel query. The interval and point budget are those of a
// panel about 1000 pixels wide over ten days.
func panelQuery(t *testing.T, ds dataSource, refID string, from, to time.Time,
	model map[string]any) *pluginv2.DataQuery {
	t.Helper()
	full := map[string]any{
		"datasource":    ds.ref(),
		"datasourceId":  ds.id,
		"version":       1,
		"aggregation":   "median",
		"timezone":      "UTC",
		"intervalMs":    600000,
		"maxDataPoints": 1000,
	}
	maps.Copy(full, model)
	q := dataQuery{refID: refID, model: full, from: from, to: to, interval: 10 * time.Minute, maxDataPoints: 1000}
	return q.proto(t)
}

// alertQuery is a query as Grafana Alerting sends it: only the model stored
// in the rule, which the frontend never touched, plus the interval and point
// budget that alerting writes into every model.
func alertQuery(t *testing.T, ds dataSource, refID string, from, to time.Time,
	model map[string]any) *pluginv2.DataQuery {
	t.Helper()
	full := map[string]any{"datasource": ds.ref(), "intervalMs": 1000, "maxDataPoints": 43200}
	maps.Copy(full, model)
	q := dataQuery{refID: refID, model: full, from: from, to: to, interval: time.Second, maxDataPoints: 43200}
	return q.proto(t)
}

// alertHeaders are the headers of a rule evaluation: FromAlert, spelled as
// Grafana spells it, the cache bypass, the organisation and some of the
// rule's metadata.
var alertHeaders = map[string]string{
	"FromAlert":          "true",
	"X-Cache-Skip":       "true",
	"X-Grafana-Org-Id":   "1",
	"http_X-Rule-Uid":    "lead-time-rule",
	"http_X-Rule-Name":   "Lead+time+over+14+days",
	"http_X-Rule-Folder": "Delivery",
}

func testPanelQueries(t *testing.T, p *backendPlugin, ds dataSource, h history) {
	from, to := h.day(0), h.day(10)
	res := p.queryData(t, &pluginv2.QueryDataRequest{
		PluginContext: ds.pluginContext(admin),
		Queries: []*pluginv2.DataQuery{
			panelQuery(t, ds, "A", from, to, map[string]any{
				"queryType": "timeseries", "metric": "lead_time", "bucket": "1d"}),
			panelQuery(t, ds, "B", from, to, map[string]any{
				"queryType": "timeseries", "metric": "deployment_frequency", "bucket": "1d"}),
			panelQuery(t, ds, "C", from, to, map[string]any{
				"queryType": "summary",
				"metrics":   []string{"deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore"}}),
			panelQuery(t, ds, "D", from, to, map[string]any{
				"queryType": "summary", "metric": "lead_time_total"}),
		},
	})

	days := make([]time.Time, 10)
	for i := range days {
		days[i] = h.day(i)
	}

	// A: one point per day; each day holds the lead times of the changes
	// shipped that day: c1 by d1 on day 1 (2 h), c2 by d3 on day 5 (5 h),
	// c3 by d4 on day 8 (26 h). Other days have none: null.
	lead := readSeries(t, frames(t, res, "A"), "lead_time")
	require.Equal(t, days, lead.times)
	requireValues(t, []*float64{nil, num(7200), nil, nil, nil, num(18000), nil, nil, num(93600), nil},
		lead.values, "daily lead time")

	// B: successful production deployments per day, 0 where there are none:
	// d1 on day 1, d3 on day 5, d4 on day 8. d2 failed and s1 is staging.
	freq := readSeries(t, frames(t, res, "B"), "deployment_frequency")
	require.Equal(t, days, freq.times)
	requireValues(t, []*float64{num(0), num(1), num(0), num(0), num(0), num(1), num(0), num(0), num(1), num(0)},
		freq.values, "daily deployments")

	// C: the four keys over the ten days, worked out beside history.
	requireSummaries(t, map[string]summary{
		"deployment_frequency": {metric: "deployment_frequency", value: num(0.3), band: "high", count: 3},
		"lead_time":            {metric: "lead_time", value: num(18000), band: "elite", count: 3},
		"change_failure_rate":  {metric: "change_failure_rate", value: num(0.25), band: "low", count: 4},
		"time_to_restore":      {metric: "time_to_restore", value: num(7200), band: "high", count: 1},
	}, readSummaries(t, frames(t, res, "C")))

	// D: a typo in the metric fails D alone, as a bad request.
	bad := res.Responses["D"]
	require.Contains(t, bad.Error, `unknown metric "lead_time_total"`)
	require.Equal(t, int32(http.StatusBadRequest), bad.Status)
	require.Empty(t, bad.Frames)
}

func testAlertQueries(t *testing.T, p *backendPlugin, ds dataSource, h history) {
	// The rule is evaluated at noon of day 10, the day after the history,
	// over its relative time range of the last 3 days. A rule runs in the
	// background, so the context names no user.
	evaluated := h.at(10, 12, 0)
	from := evaluated.Add(-3 * 24 * time.Hour)
	res := p.queryData(t, &pluginv2.QueryDataRequest{
		PluginContext: ds.pluginContext(nil),
		Headers:       alertHeaders,
		Queries: []*pluginv2.DataQuery{
			alertQuery(t, ds, "A", from, evaluated, map[string]any{
				"queryType": "timeseries", "metric": "lead_time", "window": "14d", "bucket": "1d"}),
			alertQuery(t, ds, "B", from, evaluated, map[string]any{
				"queryType": "summary", "metric": "change_failure_rate"}),
			alertQuery(t, ds, "C", from, evaluated, map[string]any{
				"queryType": "timeseries", "metric": "lead_time_total", "bucket": "1d"}),
		},
	})

	// A: the daily buckets overlapping [day 7 12:00, day 10 12:00) are days
	// 7 to 10. Each point is the median lead time of the 14 days up to its
	// bucket's end; the median of two values is their mean:
	//   day 7, up to day 8 00:00: {2 h, 5 h}        median 3.5 h = 12600 s
	//   day 8, up to day 9 00:00: {2 h, 5 h, 26 h}  median 5 h   = 18000 s
	//   days 9 and 10: the same three                            18000 s
	lead := readSeries(t, frames(t, res, "A"), "lead_time")
	require.Equal(t, []time.Time{h.day(7), h.day(8), h.day(9), h.day(10)}, lead.times)
	requireValues(t, []*float64{num(12600), num(18000), num(18000), num(18000)}, lead.values, "lead time over 14 days")

	// B: the range holds one production deployment, d4 on day 8, which
	// succeeded (s1 on day 7 is staging): a rate of 0, elite, over 1.
	requireSummaries(t, map[string]summary{
		"change_failure_rate": {metric: "change_failure_rate", value: num(0), band: "elite", count: 1},
	}, readSummaries(t, frames(t, res, "B")))

	// C: an unknown metric fails C alone.
	bad := res.Responses["C"]
	require.Contains(t, bad.Error, `unknown metric "lead_time_total"`)
	require.Equal(t, int32(http.StatusBadRequest), bad.Status)
}

func TestFeedSecretsStayOutOfLogsAndMessages(t *testing.T) {
	p := startPlugin(t)
	h := newHistory(time.Now())
	good := "good-token-" + rand.Text()
	wrong := "wrong-token-" + rand.Text()
	feed := newFeedServer(t, good, h.ndjson(t))
	settings := feedSettings(t, feed.URL+"/events.ndjson")
	valid := dataSource{id: 3, uid: "feed-valid", jsonData: settings, secure: map[string]string{"feedToken": good}}
	refused := dataSource{id: 4, uid: "feed-refused", jsonData: settings, secure: map[string]string{"feedToken": wrong}}
	secrets := []string{good, wrong}

	requireNoSecret := func(t *testing.T, what, text string) {
		t.Helper()
		for _, s := range secrets {
			require.NotContains(t, text, s, "%s holds a token", what)
		}
	}

	// The valid token goes through the plugin too, so that the logs are
	// checked for both.
	health := p.checkHealth(t, valid)
	require.Equal(t, pluginv2.CheckHealthResponse_OK, health.Status, health.Message)

	t.Run("the health check says the feed refused the token, without the token", func(t *testing.T) {
		res := p.checkHealth(t, refused)

		require.Equal(t, pluginv2.CheckHealthResponse_ERROR, res.Status)
		require.Contains(t, res.Message, "401")
		require.Contains(t, res.Message, "check the token")
		requireNoSecret(t, "the health message", res.Message)
		requireNoSecret(t, "the health details", string(res.JsonDetails))
		require.Positive(t, feed.refused.Load(), "the feed saw the wrong token")
	})

	t.Run("a query fails with the same advice, without the token", func(t *testing.T) {
		now := time.Now()
		q := dataQuery{
			refID:    "A",
			model:    map[string]any{"datasource": refused.ref(), "queryType": "summary", "metric": "lead_time"},
			from:     now.AddDate(0, 0, -30),
			to:       now,
			interval: time.Hour,
		}
		res := p.queryData(t, &pluginv2.QueryDataRequest{
			PluginContext: refused.pluginContext(admin),
			Queries:       []*pluginv2.DataQuery{q.proto(t)},
		})

		r := res.Responses["A"]
		require.Contains(t, r.Error, "401")
		require.Contains(t, r.Error, "check the token")
		require.Equal(t, "downstream", r.ErrorSource, "the feed, not the plugin, is at fault")
		requireNoSecret(t, "the query error", r.Error)
		requireNoSecret(t, "the query frames", string(r.JsonMeta))
		for _, f := range r.Frames {
			requireNoSecret(t, "a frame", string(f))
		}
	})

	t.Run("the logs never hold a token", func(t *testing.T) {
		logs := p.logs.String()
		require.Contains(t, logs, "Plugin Request Completed", "the plugin's own log was captured")
		requireNoSecret(t, "the plugin log", logs)
	})
}

// series is one timeseries-multi frame.
type series struct {
	times  []time.Time
	values []*float64
}

// readSeries checks that fs is one timeseries-multi frame of metric, with
// a time field and a value field labelled by the metric, and reads it.
func readSeries(t *testing.T, fs data.Frames, metric string) series {
	t.Helper()
	require.Len(t, fs, 1, "one series without group-by")
	f := fs[0]
	require.NotNil(t, f.Meta)
	require.Equal(t, data.FrameTypeTimeSeriesMulti, f.Meta.Type)
	require.Len(t, f.Fields, 2)
	require.Equal(t, "time", f.Fields[0].Name)
	require.Equal(t, "value", f.Fields[1].Name)
	// Not fatal, so that the numbers are still checked.
	assert.Equal(t, data.Labels{"metric": metric}, f.Fields[1].Labels,
		"docs/queries.md: the value's labels are the group-by keys and metric")
	return series{times: times(t, f.Fields[0]), values: values(t, f.Fields[1])}
}

// summary is one numeric-multi frame.
type summary struct {
	metric string
	value  *float64
	band   string
	count  int64
}

// readSummary checks that f is a numeric-multi frame with value, band and
// count, and reads it.
func readSummary(t *testing.T, f *data.Frame) summary {
	t.Helper()
	require.NotNil(t, f.Meta)
	require.Equal(t, data.FrameTypeNumericMulti, f.Meta.Type)
	require.Equal(t, 1, mustRows(t, f))
	value, _ := f.FieldByName("value")
	band, _ := f.FieldByName("band")
	count, _ := f.FieldByName("count")
	require.NotNil(t, value, "value field")
	require.NotNil(t, band, "band field")
	require.NotNil(t, count, "count field")
	require.Equal(t, f.Fields[0], value, "the value comes first, for alerting")

	s := summary{metric: value.Labels["metric"], value: values(t, value)[0]}
	b, _ := band.ConcreteAt(0)
	s.band, _ = b.(string)
	if c := values(t, count)[0]; c != nil {
		s.count = int64(*c)
	}
	return s
}

// readSummaries reads summary frames by metric.
func readSummaries(t *testing.T, fs data.Frames) map[string]summary {
	t.Helper()
	out := make(map[string]summary, len(fs))
	for _, f := range fs {
		s := readSummary(t, f)
		out[s.metric] = s
	}
	return out
}

func mustRows(t *testing.T, f *data.Frame) int {
	t.Helper()
	n, err := f.RowLen()
	require.NoError(t, err)
	return n
}

func requireSummaries(t *testing.T, want, got map[string]summary) {
	t.Helper()
	require.Len(t, got, len(want), "one frame per metric: %v", got)
	for id, w := range want {
		g, ok := got[id]
		require.True(t, ok, "no frame for %s", id)
		requireValues(t, []*float64{w.value}, []*float64{g.value}, id)
		require.Equal(t, w.band, g.band, "%s band", id)
		require.Equal(t, w.count, g.count, "%s count", id)
	}
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
