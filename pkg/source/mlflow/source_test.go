package mlflow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

func ms(minutes int) int64 { return t0.Add(time.Duration(minutes) * time.Minute).UnixMilli() }

// fake is a tracking server that pages its lists like MLflow does.
type fake struct {
	experiments []map[string]any
	runs        []map[string]any
	models      []map[string]any
	versions    []map[string]any
	requests    []string
}

func page(w http.ResponseWriter, key string, all []map[string]any, size int, token string) {
	from, _ := strconv.Atoi(token)
	to := min(from+size, len(all))
	out := map[string]any{key: all[from:to]}
	if to < len(all) {
		out["next_page_token"] = strconv.Itoa(to)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests = append(f.requests, r.URL.Path)
	var body struct {
		MaxResults    int      `json:"max_results"`
		PageToken     string   `json:"page_token"`
		ExperimentIDs []string `json:"experiment_ids"`
	}
	if r.Method == http.MethodPost {
		_ = json.NewDecoder(r.Body).Decode(&body)
	} else {
		body.MaxResults, _ = strconv.Atoi(r.URL.Query().Get("max_results"))
		body.PageToken = r.URL.Query().Get("page_token")
	}
	switch strings.TrimPrefix(r.URL.Path, apiPath) {
	case "experiments/search":
		page(w, "experiments", f.experiments, body.MaxResults, body.PageToken)
	case "runs/search":
		var runs []map[string]any
		for _, r := range f.runs {
			if slices.Contains(body.ExperimentIDs, r["info"].(map[string]any)["experiment_id"].(string)) {
				runs = append(runs, r)
			}
		}
		page(w, "runs", runs, body.MaxResults, body.PageToken)
	case "registered-models/search":
		page(w, "registered_models", f.models, body.MaxResults, body.PageToken)
	case "model-versions/search":
		// MLflow's parser takes 'a' or "a", and keeps a backslash: a quote
		// inside quotes of its own kind does not end up in the name.
		versions := f.versions
		if filter := r.URL.Query().Get("filter"); filter != "" {
			name := strings.TrimPrefix(filter, "name=")
			quote, name := name[:1], name[1:len(name)-1]
			if strings.Contains(name, quote) {
				name = "(unparsable)"
			}
			versions = nil
			for _, v := range f.versions {
				if v["name"] == name {
					versions = append(versions, v)
				}
			}
		}
		page(w, "model_versions", versions, body.MaxResults, body.PageToken)
	default:
		http.NotFound(w, r)
	}
}

func newFake() *fake {
	f := &fake{
		experiments: []map[string]any{
			{"experiment_id": "1", "name": "churn", "creation_time": ms(0)},
			{"experiment_id": "2", "name": "/Users/ana/fraud", "creation_time": ms(10)},
		},
		models: []map[string]any{{"name": "churn", "aliases": []any{}}},
		versions: []map[string]any{
			{"name": "churn", "version": "1", "creation_timestamp": ms(100), "run_id": "r1"},
			{"name": "churn", "version": "2", "creation_timestamp": ms(200), "run_id": "r2",
				"tags": []any{map[string]any{"key": "deployed_at", "value": "2026-03-01T13:30:00Z"}}},
		},
	}
	statuses := []string{"FINISHED", "FAILED", "KILLED", "RUNNING"}
	for i, st := range statuses {
		info := map[string]any{"run_id": "r" + strconv.Itoa(i+1), "experiment_id": "1", "status": st,
			"start_time": ms(20 + i), "end_time": ms(30 + i)}
		tags := []any{}
		if i == 1 {
			tags = append(tags, map[string]any{"key": GitCommitTag, "value": "abc123"})
		}
		f.runs = append(f.runs, map[string]any{"info": info, "data": map[string]any{"tags": tags}})
	}
	return f
}

func (f *fake) setAlias(name, version string) {
	f.models[0]["aliases"] = []any{map[string]any{"alias": name, "version": version}}
}

func newSource(t *testing.T, srv *httptest.Server, cfg Config) *Source {
	t.Helper()
	cfg.URL = srv.URL
	s, err := New(cfg, httpclient.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestFetch(t *testing.T) {
	f := newFake()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	clock := t0
	s := newSource(t, srv, Config{PageSize: 1, Now: func() time.Time { return clock },
		Services: map[string]string{"/Users/ana/fraud": "fraud"}})
	ctx := context.Background()

	// champion: v1 at 12:00, v2 at 14:00 (its tag says 13:30), back to v1 at 16:00.
	for i, v := range []string{"1", "2", "1"} {
		clock = t0.Add(time.Duration(3+2*i) * time.Hour)
		f.setAlias("champion", v)
		require.NoError(t, s.Poll(ctx))
	}
	set, rep, err := s.Fetch(ctx)
	require.NoError(t, err)
	require.Zero(t, rep.Skipped, rep.String())

	t.Run("runs keep their status, experiment and service", func(t *testing.T) {
		require.Len(t, set.Runs, 4)
		want := []events.RunStatus{events.RunFinished, events.RunFailed, events.RunKilled, events.RunRunning}
		for i, r := range set.Runs {
			require.Equal(t, want[i], r.Status)
			require.Equal(t, "churn", r.Service)
			require.Equal(t, time.UnixMilli(ms(20+i)).UTC(), r.Time)
		}
		require.True(t, set.Runs[3].End.IsZero(), "a running run has no end")
		require.Equal(t, time.UnixMilli(ms(30)).UTC(), set.Runs[0].End)
	})

	t.Run("experiments are kickoffs, mapped to services", func(t *testing.T) {
		require.Len(t, set.Milestones, 2)
		require.Equal(t, "churn", set.Milestones[0].Service)
		require.Equal(t, "fraud", set.Milestones[1].Service)
		require.Equal(t, events.MilestoneKickoff, set.Milestones[1].Name)
	})

	t.Run("versions are model changes timed at their run's start", func(t *testing.T) {
		require.Len(t, set.Changes, 2)
		require.Equal(t, events.ChangeModel, set.Changes[1].Type)
		require.Equal(t, time.UnixMilli(ms(21)).UTC(), set.Changes[1].Time)
		require.Equal(t, "abc123", set.Changes[1].Labels["git_commit"])
		require.Empty(t, set.Changes[1].Commit)
	})

	t.Run("alias moves are deployments and the move back is a rollback", func(t *testing.T) {
		require.Len(t, set.Deployments, 3)
		d := set.Deployments
		require.Equal(t, []string{"1", "2", "1"}, []string{d[0].ModelVersion, d[1].ModelVersion, d[2].ModelVersion})
		require.Equal(t, t0.Add(3*time.Hour), d[0].Time)
		require.Equal(t, t0.Add(270*time.Minute), d[1].Time, "the deployed_at tag wins")
		require.Equal(t, t0.Add(7*time.Hour), d[2].Time)
		require.Equal(t, []bool{false, false, true}, []bool{d[0].Rollback, d[1].Rollback, d[2].Rollback})
		require.Equal(t, []string{"abc123"}, d[1].Commits)
		require.Equal(t, []string{changeID("churn", "2")}, d[1].Changes)
	})

	t.Run("a small page size reads every page", func(t *testing.T) {
		n := 0
		for _, p := range f.requests {
			if strings.HasSuffix(p, "runs/search") {
				n++
			}
		}
		require.Equal(t, 4, n, "four runs in pages of one, each read once")
	})
}

func TestBaseline(t *testing.T) {
	f := newFake()
	f.versions[0]["tags"] = []any{map[string]any{"key": "baseline", "value": "yes"}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	clock := t0.Add(24 * time.Hour)
	s := newSource(t, srv, Config{Now: func() time.Time { return clock }})
	f.setAlias("baseline", "2")

	set, _, err := s.Fetch(context.Background())
	require.NoError(t, err)
	var got []events.Milestone
	for _, m := range set.Milestones {
		if m.Name == events.MilestoneBaseline {
			got = append(got, m)
		}
	}
	require.Len(t, got, 1)
	require.Equal(t, time.UnixMilli(ms(100)).UTC(), got[0].Time, "the tagged version registered before the alias was seen")
	require.Equal(t, "1", got[0].Labels["model_version"])
}

func TestErrors(t *testing.T) {
	status := http.StatusUnauthorized
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	cases := []struct {
		name   string
		status int
		cfg    Config
		want   string
	}{
		{"a 401 with basic auth asks to check the username and password", 401,
			Config{Auth: AuthBasic, Username: "ana", Password: "s3cret"}, "check the username and password"},
		{"a 401 with a token asks to check it", 401, Config{Auth: AuthBearer, Token: "t0ken"}, "check the token"},
		{"a 401 without auth asks for credentials", 401, Config{}, "set auth to basic or bearer"},
		{"a 403 with credentials asks for READ", 403, Config{Auth: AuthBearer, Token: "t0ken"}, "grant the user READ"},
		{"a 404 says the server may be too old", 404, Config{}, "may be too old for this endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status = tc.status
			src := newSource(t, srv, tc.cfg)
			_, _, fetchErr := src.Fetch(context.Background())
			_, healthErr := src.HealthCheck(context.Background())
			for _, err := range []error{fetchErr, healthErr} {
				require.ErrorContains(t, err, tc.want)
				require.NotContains(t, err.Error(), "s3cret")
				require.NotContains(t, err.Error(), "t0ken")
			}
		})
	}
}

func TestValidate(t *testing.T) {
	require.ErrorContains(t, Config{}.Validate(), "url is empty")
	require.ErrorContains(t, Config{URL: "http://m:5000/api/2.0/mlflow"}.Validate(), "without /api")
	require.ErrorContains(t, Config{URL: "http://m", Auth: AuthBasic, Username: "a"}.Validate(), "password is missing")
	require.ErrorContains(t, Config{URL: "http://m", StateDir: "/tmp"}.Validate(), "no uid")
	require.NotContains(t, Config{URL: "http://m", Token: "t0ken"}.String(), "t0ken")
}

func TestCorruptHistory(t *testing.T) {
	f := newFake()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(StorePath(dir, "uid-a"), []byte("not json"), 0o600))
	f.setAlias("champion", "1")

	s := newSource(t, srv, Config{StateDir: dir, UID: "uid-a", Now: func() time.Time { return t0 }})
	set, rep, err := s.Fetch(context.Background())
	require.NoError(t, err)
	require.Contains(t, rep.String(), "started anew")
	require.Len(t, set.Deployments, 1, "the history is rebuilt from the first poll")

	msg, err := s.HealthCheck(context.Background())
	require.NoError(t, err)
	require.Contains(t, msg, "warning: the alias history")
	require.NoError(t, s.Close())

	again, err := OpenStore(dir, "uid-a")
	require.NoError(t, err)
	defer again.Close()
	require.Empty(t, again.Warning())
	require.Len(t, again.Observations(), 1)
}

func TestLegacyStage(t *testing.T) {
	f := newFake()
	f.models[0]["latest_versions"] = []any{
		map[string]any{"name": "churn", "version": "2", "current_stage": "Production", "last_updated_timestamp": ms(300)},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	s := newSource(t, srv, Config{Now: func() time.Time { return t0.Add(48 * time.Hour) }})

	set, _, err := s.Fetch(context.Background())
	require.NoError(t, err)
	require.Len(t, set.Deployments, 1)
	d := set.Deployments[0]
	require.Equal(t, "2", d.ModelVersion)
	require.Equal(t, "Production", d.Labels["alias"])
	require.Equal(t, t0.Add(270*time.Minute), d.Time, "the deployed_at tag wins over the stage's time")

	t.Run("without the tag, the version's last update dates the transition", func(t *testing.T) {
		delete(f.versions[1], "tags")
		s := newSource(t, srv, Config{Now: func() time.Time { return t0.Add(48 * time.Hour) }})
		set, _, err := s.Fetch(context.Background())
		require.NoError(t, err)
		require.Len(t, set.Deployments, 1)
		require.Equal(t, time.UnixMilli(ms(300)).UTC(), set.Deployments[0].Time)
	})

	t.Run("a model with a production alias ignores a version left in the stage", func(t *testing.T) {
		f.setAlias("champion", "3")
		s := newSource(t, srv, Config{Now: func() time.Time { return t0.Add(48 * time.Hour) }})
		set, _, err := s.Fetch(context.Background())
		require.NoError(t, err)
		require.Len(t, set.Deployments, 1)
		require.Equal(t, "3", set.Deployments[0].ModelVersion)
		require.False(t, set.Deployments[0].Rollback)
	})
}

func TestStartCloseRightAway(t *testing.T) {
	f := newFake()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	// Close before the poll's goroutine has run must neither race nor
	// close a channel twice (run with -race).
	for range 100 {
		s, err := New(Config{URL: srv.URL}, httpclient.Options{})
		require.NoError(t, err)
		s.Start(context.Background())
		require.NoError(t, s.Close())
		require.NoError(t, s.Close(), "a second Close does nothing")
	}
}

func TestManyExperiments(t *testing.T) {
	f := newFake()
	f.experiments, f.runs = nil, nil
	for i := range 150 {
		id := strconv.Itoa(i + 1)
		f.experiments = append(f.experiments, map[string]any{"experiment_id": id, "name": "e" + id, "creation_time": ms(i)})
		f.runs = append(f.runs, map[string]any{"info": map[string]any{"run_id": "r" + id, "experiment_id": id,
			"status": "FINISHED", "start_time": ms(i), "end_time": ms(i + 1)}})
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	set, rep, err := newSource(t, srv, Config{PageSize: 60}).Fetch(context.Background())
	require.NoError(t, err)
	require.Zero(t, rep.Skipped, rep.String())
	// 150 experiments in searches of 100 and 50, each in pages of 60:
	// 2 + 1 requests, every run once.
	require.Len(t, set.Runs, 150)
	n := 0
	for _, p := range f.requests {
		if strings.HasSuffix(p, "runs/search") {
			n++
		}
	}
	require.Equal(t, 3, n)
}

func TestQuotedModelNames(t *testing.T) {
	for _, name := range []string{"o'brien", `say "hi" o'brien`} {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			f.models = []map[string]any{{"name": name}}
			for _, v := range f.versions {
				v["name"] = name
			}
			f.versions = append(f.versions, map[string]any{"name": "other", "version": "1", "creation_timestamp": ms(5)})
			srv := httptest.NewServer(f)
			t.Cleanup(srv.Close)
			set, _, err := newSource(t, srv, Config{}).Fetch(context.Background())
			require.NoError(t, err)
			require.Len(t, set.Changes, 2, "both versions of the model, and none of another")
			for _, c := range set.Changes {
				require.Equal(t, name, c.Labels["model"])
			}
		})
	}
}

func TestStartClose(t *testing.T) {
	f := newFake()
	f.setAlias("champion", "1")
	var mu sync.Mutex
	polled := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		polled++
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s := newSource(t, srv, Config{PollInterval: time.Second})

	s.Start(context.Background())
	s.Start(context.Background()) // a second Start is a no-op
	require.Eventually(t, func() bool { return len(s.Store().Observations()) > 0 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, s.Close())
	mu.Lock()
	after := polled
	mu.Unlock()
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, after, polled, "no poll after Close")
	v, ok := s.Store().Current("churn", "champion")
	require.True(t, ok)
	require.Equal(t, "1", v)
}

func TestRollbacks(t *testing.T) {
	cases := []struct {
		name     string
		versions []string
		want     []bool
	}{
		{"a move back is a rollback, the move forward again is not", []string{"1", "2", "1", "2"}, []bool{false, false, true, false}},
		{"a lower version never promoted is a rollback", []string{"3", "2"}, []bool{false, true}},
		{"a higher version is a promotion", []string{"1", "2", "10"}, []bool{false, false, false}},
		{"back past two versions", []string{"1", "2", "3", "1"}, []bool{false, false, false, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Config{URL: "http://m"}.withDefaults()
			require.NoError(t, err)
			m := mapper{cfg: &cfg, b: events.NewBuilder()}
			var history []Observation
			for i, v := range tc.versions {
				history = append(history, obs("churn", "champion", v, 10*i))
			}
			m.deployments("churn", nil, history)
			var got []bool
			for _, d := range m.b.Set().Deployments {
				got = append(got, d.Rollback)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFilters(t *testing.T) {
	f := newFake()
	f.models = append(f.models, map[string]any{"name": "fraud"})
	f.setAlias("champion", "1")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ctx := context.Background()

	t.Run("experiments by name or id, and models by name", func(t *testing.T) {
		for _, names := range [][]string{{"churn"}, {"1"}} {
			s := newSource(t, srv, Config{Experiments: names, Models: []string{"fraud"}, Now: func() time.Time { return t0 }})
			set, rep, err := s.Fetch(ctx)
			require.NoError(t, err)
			require.Zero(t, rep.Skipped, rep.String())
			require.Len(t, set.Milestones, 1)
			require.Equal(t, "churn", set.Milestones[0].Service)
			require.Len(t, set.Runs, 4)
			require.Empty(t, set.Deployments, "the champion of churn is not read")
		}
	})

	t.Run("a name the server does not show is reported, and fails the health check", func(t *testing.T) {
		s := newSource(t, srv, Config{Experiments: []string{"churn", "nope"}, Models: []string{"ghost"}})
		set, rep, err := s.Fetch(ctx)
		require.NoError(t, err)
		require.Len(t, set.Runs, 4, "what was found is kept")
		require.Contains(t, rep.String(), `the server shows no experiments "nope" and no registered models "ghost"`)
		_, err = s.HealthCheck(ctx)
		require.ErrorContains(t, err, `no experiments "nope"`)
	})

	t.Run("promotions count in the configured environment", func(t *testing.T) {
		s := newSource(t, srv, Config{Environment: "prod", Now: func() time.Time { return t0 }})
		set, _, err := s.Fetch(ctx)
		require.NoError(t, err)
		require.Len(t, set.Deployments, 1)
		require.Equal(t, "prod", set.Deployments[0].Environment)
	})
}

func TestDefaultExperiment(t *testing.T) {
	f := newFake()
	f.experiments = append(f.experiments, map[string]any{"experiment_id": "0", "name": "Default", "creation_time": ms(0)})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	kickoffs := func() []string {
		set, _, err := newSource(t, srv, Config{}).Fetch(context.Background())
		require.NoError(t, err)
		var services []string
		for _, m := range set.Milestones {
			services = append(services, m.Service)
		}
		return services
	}
	require.ElementsMatch(t, []string{"churn", "/Users/ana/fraud"}, kickoffs(), "an empty Default is no kickoff")

	f.runs[0]["info"].(map[string]any)["experiment_id"] = "0"
	require.ElementsMatch(t, []string{"churn", "/Users/ana/fraud", "Default"}, kickoffs(), "with runs it is one")
}
