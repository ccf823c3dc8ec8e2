package protocol

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/stretchr/testify/require"
)

// mlflowServer answers the four searches of the MLflow source with one
// experiment, no runs and one registered model of two versions, whose
// champion alias the test moves.
type mlflowServer struct {
	*httptest.Server
	mu       sync.Mutex
	champion string
}

func newMLflowServer(t *testing.T) *mlflowServer {
	t.Helper()
	m := &mlflowServer{champion: "1"}
	created := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixMilli()
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		champion := m.champion
		m.mu.Unlock()
		var body any
		switch r.URL.Path {
		case "/api/2.0/mlflow/experiments/search":
			body = map[string]any{"experiments": []any{map[string]any{
				"experiment_id": "1", "name": "churn", "creation_time": created}}}
		case "/api/2.0/mlflow/runs/search":
			body = map[string]any{}
		case "/api/2.0/mlflow/registered-models/search":
			body = map[string]any{"registered_models": []any{map[string]any{
				"name": "churn", "aliases": []any{map[string]any{"alias": "champion", "version": champion}}}}}
		case "/api/2.0/mlflow/model-versions/search":
			body = map[string]any{"model_versions": []any{
				map[string]any{"name": "churn", "version": "1", "creation_timestamp": created},
				map[string]any{"name": "churn", "version": "2", "creation_timestamp": created + 3_600_000},
			}}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *mlflowServer) promote(version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.champion = version
}

// championMoves reads the versions the champion alias was seen on from the
// history file.
func championMoves(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var f struct {
		Observations []struct {
			Alias   string `json:"alias"`
			Version string `json:"version"`
		} `json:"observations"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	var out []string
	for _, o := range f.Observations {
		if o.Alias == "champion" {
			out = append(out, o.Version)
		}
	}
	return out
}

// TestMLflowHistorySurvivesRestarts runs the MLflow source in the built
// binary with the state directory Grafana passes from grafana.ini: the
// background poll records alias moves with no request, the history is in
// the directory after the process is stopped, and a new process, and a new
// instance after the settings are saved, carry it on.
func TestMLflowHistorySurvivesRestarts(t *testing.T) {
	srv := newMLflowServer(t)
	stateDir := t.TempDir()
	env := "GF_PLUGIN_STATE_DIR=" + stateDir
	ds := dataSource{id: 9, uid: "mlflow-proto", jsonData: `{"mlflow": {"url": "` + srv.URL + `", "pollSeconds": 1}}`}
	file := filepath.Join(stateDir, "mlflow-aliases-default-mlflow-proto.json")

	p := startPlugin(t, env)
	res := p.checkHealth(t, ds)
	require.Equal(t, pluginv2.CheckHealthResponse_OK, res.Status, res.Message)
	require.Contains(t, res.Message, "MLflow: 1 experiment, 1 registered model, 1 alias move recorded in "+file)
	require.Equal(t, []string{"1"}, championMoves(t, file))

	srv.promote("2")
	require.Eventually(t, func() bool { return len(championMoves(t, file)) == 2 }, 20*time.Second, 50*time.Millisecond,
		"the background poll did not record the move; plugin output:\n%s", p.logs)
	p.stop()

	t.Run("a new process reads the history back", func(t *testing.T) {
		again := startPlugin(t, env)
		res := again.checkHealth(t, ds)
		require.Equal(t, pluginv2.CheckHealthResponse_OK, res.Status, res.Message)
		require.Contains(t, res.Message, "2 alias moves recorded")

		// Saving the settings makes a new instance beside the old one;
		// both add to one history.
		srv.promote("1")
		saved := ds
		saved.updated = ds.lastUpdated().Add(time.Hour)
		res = again.checkHealth(t, saved)
		require.Equal(t, pluginv2.CheckHealthResponse_OK, res.Status, res.Message)
		require.Contains(t, res.Message, "3 alias moves recorded")
		time.Sleep(1500 * time.Millisecond) // a poll of the old instance, if it still runs
		require.Equal(t, []string{"1", "2", "1"}, championMoves(t, file))
	})
}
