package query_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
)

func known(id string) bool { return id == "lead_time" || id == "deployment_frequency" }

func TestParseAppliesDefaults(t *testing.T) {
	q, err := query.Parse([]byte(`{"metric":"lead_time"}`), "", known)
	require.NoError(t, err)
	require.Equal(t, query.TypeTimeSeries, q.QueryType, "a query without type is a time series")
	require.Equal(t, query.AggMedian, q.Aggregation)
	require.Equal(t, "auto", q.Bucket)
	require.Zero(t, q.Step, "auto buckets have no fixed step")
	require.Zero(t, q.WindowLen)
	require.Equal(t, time.UTC, q.Location)
}

func TestParseReadsEveryField(t *testing.T) {
	raw := `{"version":1,"queryType":"timeseries","metric":"lead_time","aggregation":"p90","groupBy":["service","changeType"],
	 "filters":{"service":["a","b"],"team":["t"],"environment":["staging"],"changeType":["model"],"model":["m"]},
	 "bucket":"6h","window":"30d","timezone":"Europe/Berlin"}`
	q, err := query.Parse([]byte(raw), "", known)
	require.NoError(t, err)
	require.Equal(t, query.AggP90, q.Aggregation)
	require.Equal(t, []query.Dimension{query.DimService, query.DimChangeType}, q.GroupBy)
	require.Equal(t, []string{"a", "b"}, q.Filters.Of(query.DimService))
	require.Equal(t, []string{"t"}, q.Filters.Of(query.DimTeam))
	require.Equal(t, []string{"staging"}, q.Filters.Of(query.DimEnvironment))
	require.Equal(t, []string{"model"}, q.Filters.Of(query.DimChangeType))
	require.Equal(t, []string{"m"}, q.Filters.Of(query.DimModel))
	require.Equal(t, 6*time.Hour, q.Step)
	require.Equal(t, 30*24*time.Hour, q.WindowLen)
	require.Equal(t, "Europe/Berlin", q.Location.String())
}

func TestParseTakesTheTypeGrafanaSent(t *testing.T) {
	q, err := query.Parse([]byte(`{"metrics":["lead_time"]}`), "summary", known)
	require.NoError(t, err)
	require.Equal(t, query.TypeSummary, q.QueryType)

	q, err = query.Parse([]byte(`{"metric":"lead_time"}`), "summary", known)
	require.NoError(t, err)
	require.Equal(t, []string{"lead_time"}, q.Metrics, "a summary's single metric becomes its list")
}

func TestParseDefaultsPerType(t *testing.T) {
	q, err := query.Parse([]byte(`{"queryType":"events"}`), "", known)
	require.NoError(t, err)
	require.Equal(t, query.TableChanges, q.Table)
	require.Equal(t, query.DefaultLimit, q.Limit)

	q, err = query.Parse([]byte(`{"queryType":"values"}`), "", known)
	require.NoError(t, err)
	require.Equal(t, query.DimService, q.Dimension)

	_, err = query.Parse([]byte(`{"queryType":"annotations"}`), "", known)
	require.NoError(t, err)
}

func TestParseRejectsBadQueries(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"invalid JSON", `{`, "not valid JSON"},
		{"an unknown type", `{"queryType":"graph"}`, `unknown query type "graph"`},
		{"a time series without metric", `{"queryType":"timeseries"}`, "choose a metric"},
		{"a time series with a list of metrics", `{"metric":"lead_time","metrics":["lead_time"]}`, "takes one metric"},
		{"a summary with both metric and metrics", `{"queryType":"summary","metric":"lead_time","metrics":["lead_time"]}`, "not both"},
		{"an unknown metric", `{"metric":"velocity"}`, `unknown metric "velocity"`},
		{"an unknown metric in a list", `{"queryType":"summary","metrics":["lead_time","mttr"]}`, `unknown metric "mttr"`},
		{"an unknown aggregation", `{"metric":"lead_time","aggregation":"p99"}`, `unknown aggregation "p99"`},
		{"an unknown group", `{"metric":"lead_time","groupBy":["repo"]}`, `cannot group by "repo"`},
		{"a bucket that is not a duration", `{"metric":"lead_time","bucket":"daily"}`, `bucket "daily" is not a duration`},
		{"a bucket that does not divide a day", `{"metric":"lead_time","bucket":"5h"}`, "must divide 24h"},
		{"a bucket of partial days", `{"metric":"lead_time","bucket":"36h"}`, "must be whole days"},
		{"a tiny bucket", `{"metric":"lead_time","bucket":"10s"}`, "smallest bucket"},
		{"a window that is not a duration", `{"metric":"lead_time","window":"a month"}`, `window "a month" is not a duration`},
		{"a negative window", `{"metric":"lead_time","window":"-7d"}`, "is not a duration"},
		{"an unknown timezone", `{"metric":"lead_time","timezone":"Mars/Olympus"}`, "not an IANA time zone"},
		{"an unknown table", `{"queryType":"events","table":"builds"}`, `unknown events table "builds"`},
		{"a limit out of range", `{"queryType":"events","limit":1000001}`, "out of range"},
		{"an unknown dimension", `{"queryType":"values","dimension":"repo"}`, `unknown dimension "repo"`},
		{"a query from a newer plugin", `{"version":2,"metric":"lead_time"}`, "update the plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := query.Parse([]byte(tt.raw), "", known)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseAcceptsGrafanaDurations(t *testing.T) {
	for raw, want := range map[string]time.Duration{
		"1h": time.Hour, "12h": 12 * time.Hour, "1d": 24 * time.Hour, "1w": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour,
	} {
		q, err := query.Parse([]byte(`{"metric":"lead_time","bucket":"`+raw+`"}`), "", known)
		require.NoError(t, err, raw)
		require.Equal(t, want, q.Step, raw)
	}
}

func TestParseUTCAndBrowserTimezones(t *testing.T) {
	for _, tz := range []string{"utc", "UTC", "browser", ""} {
		q, err := query.Parse([]byte(`{"metric":"lead_time","timezone":"`+tz+`"}`), "", known)
		require.NoError(t, err, tz)
		require.Equal(t, time.UTC, q.Location, tz)
	}
}
