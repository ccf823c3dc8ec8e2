package mlflow

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// BenchmarkFetch100k reads a server of 100,000 runs in 50 experiments and
// 20 registered models of 50 versions each, in pages of 1,000, over a
// local HTTP server: the JSON decoding and the mapping, with no network
// delay. docs/performance.md has the figures.
func BenchmarkFetch100k(b *testing.B) {
	f := &fake{}
	for e := range 50 {
		f.experiments = append(f.experiments, map[string]any{
			"experiment_id": strconv.Itoa(e + 1), "name": "exp-" + strconv.Itoa(e), "creation_time": ms(e)})
	}
	for i := range 100_000 {
		info := map[string]any{"run_id": "r" + strconv.Itoa(i), "experiment_id": strconv.Itoa(i%50 + 1),
			"status": "FINISHED", "start_time": ms(i), "end_time": ms(i + 7)}
		tags := []any{map[string]any{"key": GitCommitTag, "value": strconv.FormatInt(int64(i)*7919, 16)}}
		f.runs = append(f.runs, map[string]any{"info": info, "data": map[string]any{"tags": tags}})
	}
	for m := range 20 {
		name := "model-" + strconv.Itoa(m)
		f.models = append(f.models, map[string]any{"name": name,
			"aliases": []any{map[string]any{"alias": "champion", "version": "50"}}})
		for v := range 50 {
			f.versions = append(f.versions, map[string]any{"name": name, "version": strconv.Itoa(v + 1),
				"creation_timestamp": ms(1000 + v), "run_id": "r" + strconv.Itoa(m*50+v)})
		}
	}
	srv := httptest.NewServer(f)
	b.Cleanup(srv.Close)
	s, err := New(Config{URL: srv.URL, Now: func() time.Time { return t0 }}, httpclient.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()

	b.ReportAllocs()
	for b.Loop() {
		f.requests = f.requests[:0]
		set, _, err := s.Fetch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(set.Runs) != 100_000 || len(set.Changes) != 20*50 || len(set.Deployments) != 20 {
			b.Fatalf("read %d runs, %d changes and %d deployments", len(set.Runs), len(set.Changes), len(set.Deployments))
		}
	}
}
