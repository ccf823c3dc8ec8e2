package protocol

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// history is a hand-made history of one service, "churn-model", over the
// ten days [day0, day0+10d). Times are given as day and clock time from
// day0, which is a UTC midnight ten days before the test runs, so that the
// health check's last 90 days hold all of it:
//
//	day 1 08:00  change c1 (first commit)
//	day 1 10:00  deployment d1, production, success, ships c1   lead time  2 h =  7200 s
//	day 3 12:00  deployment d2, production, failure
//	day 3 12:30  incident i1, names d2, resolved 14:30           restore    2 h =  7200 s
//	day 5 10:00  change c2
//	day 5 15:00  deployment d3, production, success, ships c2   lead time  5 h = 18000 s
//	day 7 07:00  change c3
//	day 7 20:00  deployment s1, staging, success, lists c3      staging: counts nowhere below
//	day 8 09:00  deployment d4, production, success, ships c3   lead time 26 h = 93600 s
//
// Over the whole range, by docs/metrics.md:
//
//   - deployment frequency: 3 successful production deployments (d1, d3,
//     d4) in 10 days = 0.3 per day; at least weekly (0.3 ≥ 1/7) but not
//     daily, so high.
//   - lead time: {7200, 18000, 93600} s, median 18000 s = 5 h; under a day,
//     so elite. Three changes.
//   - change failure rate: d2 failed (status failure; i1 names it too) of 4
//     production deployments = 0.25; more than 15 %, so low. s1 is staging
//     and counts in neither number.
//   - time to restore: i1 took 2 h = 7200 s; under a day but not under an
//     hour, so high. One incident.
type history struct {
	day0 time.Time
}

func newHistory(now time.Time) history {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return history{day0: today.AddDate(0, 0, -10)}
}

// at returns day0 plus days and a clock time.
func (h history) at(day, hour, minute int) time.Time {
	return h.day0.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// day returns the UTC midnight that starts a day.
func (h history) day(day int) time.Time { return h.day0.AddDate(0, 0, day) }

// ndjson is the history as a feed serves it: one canonical event a line.
func (h history) ndjson(t *testing.T) []byte {
	t.Helper()
	stamp := func(day, hour, minute int) string { return h.at(day, hour, minute).Format(time.RFC3339) }
	const svc = "churn-model"
	// The fields are those of docs/events.md; a deployment that names no
	// environment is in production.
	lines := []map[string]any{
		{"kind": "change", "id": "c1", "service": svc, "time": stamp(1, 8, 0)},
		{"kind": "deployment", "id": "d1", "service": svc, "time": stamp(1, 10, 0),
			"status": "success", "changes": []string{"c1"}},
		{"kind": "deployment", "id": "d2", "service": svc, "time": stamp(3, 12, 0),
			"status": "failure"},
		{"kind": "incident", "id": "i1", "service": svc, "opened": stamp(3, 12, 30),
			"resolved": stamp(3, 14, 30), "deployment": "d2"},
		{"kind": "change", "id": "c2", "service": svc, "time": stamp(5, 10, 0)},
		{"kind": "deployment", "id": "d3", "service": svc, "time": stamp(5, 15, 0),
			"status": "success", "changes": []string{"c2"}},
		{"kind": "change", "id": "c3", "service": svc, "time": stamp(7, 7, 0)},
		{"kind": "deployment", "id": "s1", "service": svc, "time": stamp(7, 20, 0), "environment": "staging",
			"status": "success", "changes": []string{"c3"}},
		{"kind": "deployment", "id": "d4", "service": svc, "time": stamp(8, 9, 0), "environment": "production",
			"status": "success", "changes": []string{"c3"}},
	}
	var b strings.Builder
	for _, l := range lines {
		raw, err := json.Marshal(l)
		require.NoError(t, err)
		b.Write(raw)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// feedServer serves a body as NDJSON to requests that carry the bearer
// token, and answers 401 to all others.
type feedServer struct {
	*httptest.Server
	authorized atomic.Int64
	refused    atomic.Int64
}

func newFeedServer(t *testing.T, token string, body []byte) *feedServer {
	t.Helper()
	fs := &feedServer{}
	want := []byte("Bearer " + token)
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			fs.refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer realm="events"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fs.authorized.Add(1)
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write(body)
	}))
	t.Cleanup(fs.Close)
	return fs
}

// feedSettings is the jsonData of a data source that reads url with a
// bearer token.
func feedSettings(t *testing.T, url string) string {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"feed": map[string]any{"url": url, "auth": "bearer"}})
	require.NoError(t, err)
	return string(raw)
}
