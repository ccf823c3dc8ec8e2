package engine_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
)

var updateCatalog = flag.Bool("update-catalog", false, "rewrite src/metrics.json from engine.Metrics")

// catalogEntry is how the frontend sees a metric.
type catalogEntry struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Definition string   `json:"definition"`
	Unit       string   `json:"unit"`
	Kind       string   `json:"kind"`
	Group      string   `json:"group"`
	Banded     bool     `json:"banded"`
	Dimensions []string `json:"dimensions"`
}

func catalog() []catalogEntry {
	kinds := map[engine.Kind]string{engine.Duration: "duration", engine.Ratio: "rate", engine.Count: "count", engine.PerDay: "rate"}
	out := make([]catalogEntry, len(engine.Metrics))
	for i, m := range engine.Metrics {
		group := "delivery"
		if m.Exploration {
			group = "exploration"
		}
		dims := make([]string, len(m.Dims))
		for j, d := range m.Dims {
			dims[j] = string(d)
		}
		out[i] = catalogEntry{
			ID: m.ID, Name: m.Name, Definition: m.Description, Unit: m.Unit,
			Kind: kinds[m.Kind], Group: group, Banded: m.Bands != nil, Dimensions: dims,
		}
	}
	return out
}

// TestFrontendCatalog keeps src/metrics.json, from which the query editor
// takes every metric's name, definition, unit and dimensions, equal to the
// engine's own list. Run with -update-catalog after changing a metric.
func TestFrontendCatalog(t *testing.T) {
	path := filepath.Join("..", "..", "src", "metrics.json")
	want, err := json.MarshalIndent(catalog(), "", "  ")
	require.NoError(t, err)
	want = append(want, '\n')
	if *updateCatalog {
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "src/metrics.json is stale: run go test ./pkg/engine -run TestFrontendCatalog -update-catalog")
}
