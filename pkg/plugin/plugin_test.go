package plugin

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden files; it is off unless asked for with
// go test ./pkg/plugin -update.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const token = "tok-3f9a-never-show-me"

// The week of testdata/week.ndjson, Sunday 1 to Sunday 8 March 2026.
var (
	weekFrom = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	weekTo   = time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
)

// feedServer serves a testdata file to requests with the bearer token and
// counts the requests.
func feedServer(t *testing.T, name string) (*httptest.Server, *int) {
	t.Helper()
	body, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	hits := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*hits++
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func newDS(t *testing.T, jsonData string, secure map[string]string) *Datasource {
	t.Helper()
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{
		UID: "test", Type: PluginID, Name: "ML Four Keys", JSONData: []byte(jsonData), DecryptedSecureJSONData: secure,
	})
	require.NoError(t, err)
	ds := inst.(*Datasource)
	t.Cleanup(ds.Dispose)
	return ds
}

func weekDS(t *testing.T) (*Datasource, *int) {
	srv, hits := feedServer(t, "week.ndjson")
	ds := newDS(t, fmt.Sprintf(`{"feed":{"url":%q,"auth":"bearer"}}`, srv.URL+"/events"),
		map[string]string{"feedToken": token})
	return ds, hits
}

func dataQuery(refID, body string) backend.DataQuery {
	return backend.DataQuery{
		RefID: refID, JSON: json.RawMessage(body), Interval: time.Hour, MaxDataPoints: 1000,
		TimeRange: backend.TimeRange{From: weekFrom, To: weekTo},
	}
}

func runQueries(t *testing.T, ds *Datasource, queries ...backend.DataQuery) *backend.QueryDataResponse {
	t.Helper()
	resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: queries})
	require.NoError(t, err)
	return resp
}

func runQuery(t *testing.T, ds *Datasource, body string) backend.DataResponse {
	t.Helper()
	dr := runQueries(t, ds, dataQuery("A", body)).Responses["A"]
	require.NoError(t, dr.Error)
	return dr
}

// summaryValues maps each summary frame's metric to its value and band.
func summaryValues(t *testing.T, dr backend.DataResponse) map[string]struct {
	v    *float64
	band string
	n    int64
} {
	t.Helper()
	out := map[string]struct {
		v    *float64
		band string
		n    int64
	}{}
	for _, f := range dr.Frames {
		require.Equal(t, data.FrameTypeNumericMulti, f.Meta.Type)
		value := f.Fields[0]
		key := value.Labels["metric"]
		if s, ok := value.Labels["service"]; ok {
			key += "/" + s
		}
		out[key] = struct {
			v    *float64
			band string
			n    int64
		}{value.At(0).(*float64), f.Fields[1].At(0).(string), f.Fields[2].At(0).(int64)}
	}
	return out
}

func TestSummaryOfTheWeek(t *testing.T) {
	ds, _ := weekDS(t)
	dr := runQuery(t, ds, `{"queryType":"summary"}`)
	got := summaryValues(t, dr)

	// Every figure below is worked out by hand from testdata/week.ndjson over
	// 1-8 March (7 days), production only.
	want := []struct {
		metric string
		value  float64
		band   string
		count  int64
	}{
		// Successful production deployments: D1, D3, D4, D5, M1 = 5; 5/7 per day.
		{"deployment_frequency", 5.0 / 7, "high", 5},
		// Lead times: A 25h (D1), B 3h (D1 by commit), C 24h (D3; D2 failed),
		// M 24h (M1): sorted 3, 24, 24, 25, median 24h = 86400 s, not under a day.
		{"lead_time", 86400, "high", 4},
		// Only A knows opened and merged: coding 2h, review 22h, deploy 1h.
		{"lead_time_coding", 7200, "", 1},
		{"lead_time_review", 79200, "", 1},
		// Deploy stage of A: merged 09:00, D1 10:00.
		{"lead_time_deploy", 3600, "", 1},
		// Six deployments; D2 (status), D3 (incident I1 attributed: latest
		// success within 72h before 5 Mar 08:00), D4 (D5 rolls back) failed: 3/6.
		{"change_failure_rate", 0.5, "low", 6},
		// I1: 08:00 to 10:00.
		{"time_to_restore", 7200, "high", 1},
		// D2 → D3 24h, D3 → I1 resolved 24h, D4 → D5 22h: median 24h, not
		// under a day: medium.
		{"failed_deployment_recovery_time", 86400, "medium", 3},
		// Of D1, D3, D4, D5, M1: D3 after D2, D4 after D3, D5 rollback: 3/5.
		{"rework_rate", 0.6, "", 5},
		// R1 and R2 over 7 days.
		{"iteration_rate", 2.0 / 7, "", 2},
		// 30 min and 2 h: median 75 min.
		{"feedback_time", 4500, "", 2},
	}
	for _, w := range want {
		g, ok := got[w.metric]
		require.True(t, ok, w.metric)
		require.NotNil(t, g.v, w.metric)
		require.InDelta(t, w.value, *g.v, 1e-9, w.metric)
		require.Equal(t, w.band, g.band, w.metric)
		require.Equal(t, w.count, g.n, w.metric)
	}
	// The baseline (1 Feb) lies before the range; bootstrap is missing.
	require.Nil(t, got["time_to_baseline"].v, "no data is null, not zero")
	require.Nil(t, got["time_to_first_production"].v)

	notices := dr.Frames[0].Meta.Notices
	require.NotEmpty(t, notices)
	require.Contains(t, notices[0].Text, "16 events read, 1 skipped: line 17: not a JSON object")
}

func TestSummaryGroupedByService(t *testing.T) {
	ds, _ := weekDS(t)
	dr := runQuery(t, ds, `{"queryType":"summary","metrics":["deployment_frequency","lead_time"],"groupBy":["service"]}`)
	got := summaryValues(t, dr)
	// api: D1, D3, D4, D5 = 4/7 per day; ml: M1 = 1/7.
	require.InDelta(t, 4.0/7, *got["deployment_frequency/api"].v, 1e-9)
	require.InDelta(t, 1.0/7, *got["deployment_frequency/ml"].v, 1e-9)
	require.Equal(t, "high", got["deployment_frequency/ml"].band, "1/7 per day is weekly")
	// api: 3h, 24h, 25h → 24h; ml: 24h.
	require.InDelta(t, 86400, *got["lead_time/api"].v, 1e-9)
	require.InDelta(t, 86400, *got["lead_time/ml"].v, 1e-9)
}

func TestStagingIsItsOwnEnvironment(t *testing.T) {
	ds, _ := weekDS(t)
	dr := runQuery(t, ds, `{"queryType":"summary","metrics":["lead_time"],"filters":{"environment":["staging"]}}`)
	got := summaryValues(t, dr)
	// S1 ships A on 2 March 08:00: 23h after its first commit.
	require.InDelta(t, 23*3600, *got["lead_time"].v, 1e-9)
}

func TestDailySeries(t *testing.T) {
	ds, _ := weekDS(t)
	dr := runQuery(t, ds, `{"queryType":"timeseries","metric":"deployment_frequency","bucket":"1d","groupBy":["service"]}`)
	require.Len(t, dr.Frames, 2)
	byService := map[string]*data.Frame{}
	for _, f := range dr.Frames {
		require.Equal(t, data.FrameTypeTimeSeriesMulti, f.Meta.Type)
		byService[f.Fields[1].Labels["service"]] = f
	}
	api := byService["api"]
	require.Equal(t, 7, api.Rows(), "one point per day of the range")
	require.Equal(t, weekFrom, api.Fields[0].At(0))
	var counts []float64
	for i := range api.Rows() {
		counts = append(counts, *api.Fields[1].At(i).(*float64))
	}
	// 1 Mar none, 2 Mar D1, 3 Mar D2 failed, 4 Mar D3, 5 Mar D4, 6 Mar D5, 7 Mar none.
	require.Equal(t, []float64{0, 1, 0, 1, 1, 1, 0}, counts)
}

func TestTrailingWindowInATimezone(t *testing.T) {
	ds, _ := weekDS(t)
	dr := runQuery(t, ds, `{"queryType":"timeseries","metric":"lead_time","bucket":"1d","window":"2d","timezone":"America/New_York"}`)
	f := dr.Frames[0]
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// The range starts at 1 Mar 00:00 UTC = 28 Feb 19:00 in New York, so the
	// first bucket is 28 Feb local.
	require.Equal(t, time.Date(2026, 2, 28, 0, 0, 0, 0, ny), f.Fields[0].At(0).(time.Time).In(ny))
	at := func(day int) *float64 {
		for i := range f.Rows() {
			if f.Fields[0].At(i).(time.Time).In(ny).Day() == day {
				return f.Fields[1].At(i).(*float64)
			}
		}
		t.Fatalf("no point for %d March", day)
		return nil
	}
	// D1 ships A (25h) and B (3h) at 2 Mar 05:00 New York; D3 ships C (24h)
	// and M1 ships M (24h) on 3 Mar 19:00 and 05:00 (New York).
	// Point 2 Mar: window 1-2 Mar local: {25h, 3h} → 14h.
	require.InDelta(t, 14*3600, *at(2), 1e-9)
	// Point 3 Mar: window 2-3 Mar: {25, 3, 24, 24} → 24h.
	require.InDelta(t, 24*3600, *at(3), 1e-9)
	// Point 4 Mar: window 3-4 Mar: {24, 24} → 24h.
	require.InDelta(t, 24*3600, *at(4), 1e-9)
	// Point 6 Mar: window 5-6 Mar holds no shipped change: null.
	require.Nil(t, at(6))
}

func TestEventsTables(t *testing.T) {
	ds, _ := weekDS(t)
	changes := runQuery(t, ds, `{"queryType":"events","table":"changes"}`).Frames[0]
	require.Equal(t, 4, changes.Rows())
	row := map[string]int{}
	for i := range changes.Rows() {
		row[changes.Fields[0].At(i).(string)] = i
	}
	field := func(f *data.Frame, name string, i int) any {
		fi, _ := f.FieldByName(name)
		require.NotNil(t, fi, name)
		return fi.At(i)
	}
	require.Equal(t, "D1", field(changes, "shipped_by", row["B"]))
	require.InDelta(t, 3*3600, *field(changes, "lead_time", row["B"]).(*float64), 1e-9)
	require.Equal(t, "D3", field(changes, "shipped_by", row["C"]), "D2 failed and ships nothing")
	require.Equal(t, "core", field(changes, "team", row["B"]), "B takes its service's team")
	require.Equal(t, "${__data.fields.url}", changes.Fields[0].Config.Links[0].URL)

	deps := runQuery(t, ds, `{"queryType":"events","table":"deployments"}`).Frames[0]
	require.Equal(t, 6, deps.Rows())
	// Newest first: D5, D4, D3, M1, D2, D1.
	require.Equal(t, "D5", field(deps, "id", 0))
	require.Equal(t, "rolled back", field(deps, "reason", 1))
	require.Equal(t, "incident", field(deps, "reason", 2))
	require.Equal(t, "status failure", field(deps, "reason", 4))

	incidents := runQuery(t, ds, `{"queryType":"events","table":"incidents"}`).Frames[0]
	require.Equal(t, "attributed", field(incidents, "linked", 0))
	require.Equal(t, "D3", field(incidents, "deployment", 0))
}

func TestAnnotations(t *testing.T) {
	ds, _ := weekDS(t)
	f := runQuery(t, ds, `{"queryType":"annotations","filters":{"service":["api"]}}`).Frames[0]
	// D1..D5 and I1.
	require.Equal(t, 6, f.Rows())
	tags, _ := f.FieldByName("tags")
	titles, _ := f.FieldByName("title")
	var rollback, incident bool
	for i := range f.Rows() {
		if strings.Contains(tags.At(i).(string), "rollback") {
			rollback = true
			require.Equal(t, "api rolled back in production", titles.At(i))
		}
		if strings.HasPrefix(tags.At(i).(string), "incident") {
			incident = true
			end, _ := f.FieldByName("timeEnd")
			require.Equal(t, time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC), *end.At(i).(*time.Time))
		}
	}
	require.True(t, rollback)
	require.True(t, incident)
}

func TestValues(t *testing.T) {
	ds, _ := weekDS(t)
	for dim, want := range map[string][]string{
		"service":     {"api", "ml"},
		"team":        {"core", "science"},
		"environment": {"production", "staging"},
		"model":       {"ranker"},
		"changeType":  {"code", "data", "model"},
	} {
		f := runQuery(t, ds, `{"queryType":"values","dimension":"`+dim+`"}`).Frames[0]
		var got []string
		for i := range f.Rows() {
			got = append(got, f.Fields[1].At(i).(string))
		}
		require.Equal(t, want, got, dim)
	}
}

func TestABadQueryFailsAlone(t *testing.T) {
	ds, _ := weekDS(t)
	resp := runQueries(t, ds,
		dataQuery("good", `{"queryType":"summary","metrics":["lead_time"]}`),
		dataQuery("unknown", `{"metric":"velocity"}`),
		dataQuery("ungroupable", `{"metric":"time_to_restore","groupBy":["environment"]}`),
		dataQuery("window", `{"metric":"lead_time","window":"soon"}`),
	)
	require.NoError(t, resp.Responses["good"].Error)
	require.Len(t, resp.Responses["good"].Frames, 1)
	for refID, want := range map[string]string{
		"unknown":     `unknown metric "velocity"`,
		"ungroupable": "Time to restore service cannot be grouped by environment",
		"window":      `window "soon" is not a duration`,
	} {
		dr := resp.Responses[refID]
		require.ErrorContains(t, dr.Error, want, refID)
		require.Equal(t, backend.StatusBadRequest, dr.Status, refID)
		require.Equal(t, backend.ErrorSourceDownstream, dr.ErrorSource, refID)
	}
}

func TestOneFetchServesManyPanels(t *testing.T) {
	ds, hits := weekDS(t)
	for range 5 {
		runQuery(t, ds, `{"queryType":"summary","metrics":["lead_time"]}`)
	}
	require.Equal(t, 1, *hits, "the cache serves every panel inside its time")
}

func TestGoldenFrames(t *testing.T) {
	ds, _ := weekDS(t)
	for name, body := range map[string]string{
		"timeseries-lead-time":  `{"queryType":"timeseries","metric":"lead_time","bucket":"1d","groupBy":["service"]}`,
		"summary-four-keys":     `{"queryType":"summary","metrics":["deployment_frequency","lead_time","change_failure_rate","time_to_restore"]}`,
		"events-deployments":    `{"queryType":"events","table":"deployments"}`,
		"annotations":           `{"queryType":"annotations"}`,
		"values-service":        `{"queryType":"values","dimension":"service"}`,
		"timeseries-cfr-window": `{"queryType":"timeseries","metric":"change_failure_rate","bucket":"1d","window":"3d"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dr := runQuery(t, ds, body)
			experimental.CheckGoldenJSONResponse(t, "testdata/golden", name, &dr, *update)
		})
	}
}

func TestHealthReportsCountsAndWarnings(t *testing.T) {
	ds, _ := weekDS(t)
	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	var h Health
	require.NoError(t, json.Unmarshal(res.JSONDetails, &h))
	// Counted over the 90 days before now: the week lies in March 2026,
	// within 90 days of the test's clock only by chance; counts are checked
	// against the whole file instead in the message below.
	require.Contains(t, res.Message, "Read feed.")
	require.Contains(t, res.Message, "1 skipped")
	require.Len(t, h.Sources, 1)
	require.True(t, h.Sources[0].OK)
}

func TestHealthSaysWhatToFix(t *testing.T) {
	srv, _ := feedServer(t, "week.ndjson")
	for name, tt := range map[string]struct {
		jsonData string
		secure   map[string]string
		want     string
	}{
		"a wrong token": {
			fmt.Sprintf(`{"feed":{"url":%q,"auth":"bearer"}}`, srv.URL), map[string]string{"feedToken": "wrong-" + token},
			"401",
		},
		"a missing token": {
			fmt.Sprintf(`{"feed":{"url":%q,"auth":"bearer"}}`, srv.URL), nil, "token",
		},
		"a URL that is not http": {`{"feed":{"url":"ftp://example.com/x"}}`, nil, "http"},
		"a negative window":      {`{"attributionWindowHours":-1}`, nil, "attribution"},
	} {
		t.Run(name, func(t *testing.T) {
			ds := newDS(t, tt.jsonData, tt.secure)
			res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
			require.NoError(t, err)
			require.Equal(t, backend.HealthStatusError, res.Status)
			require.Contains(t, res.Message, tt.want)
			require.NotContains(t, res.Message, token, "a secret never reaches a health message")

			dr := runQueries(t, ds, dataQuery("A", `{"metric":"lead_time"}`)).Responses["A"]
			require.Error(t, dr.Error)
			require.NotContains(t, dr.Error.Error(), token, "nor a query error")
		})
	}
}

func TestDemoIsTheDefault(t *testing.T) {
	ds := newDS(t, `{}`, nil)
	res, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	require.NoError(t, err)
	require.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	require.Contains(t, res.Message, "Read demo.")

	now := time.Now()
	dr := runQueries(t, ds, backend.DataQuery{
		RefID: "A", JSON: json.RawMessage(`{"queryType":"summary","metrics":["deployment_frequency"],"groupBy":["service"]}`),
		TimeRange: backend.TimeRange{From: now.AddDate(0, -3, 0), To: now},
	}).Responses["A"]
	require.NoError(t, dr.Error)
	bands := map[string]bool{}
	for _, f := range dr.Frames {
		bands[f.Fields[1].At(0).(string)] = true
	}
	require.Greater(t, len(bands), 1, "the demo's services land in different bands")
}
