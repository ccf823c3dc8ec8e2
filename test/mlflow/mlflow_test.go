// Package mlflow_test runs the MLflow connector against a real tracking
// server from the project's Python environment (.venv, made by
// scripts/test.sh), filled by scripts/mlflow-testserver/populate.py.
package mlflow_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source/mlflow"
)

const adminPassword = "integration-test-only-7Q"

var root = func() string { p, _ := filepath.Abs("../.."); return p }()

// venv returns the environment's bin directory, or skips the test outside
// CI when it is missing. In CI a missing environment fails the test.
func venv(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(root, ".venv", "bin")
	if _, err := os.Stat(filepath.Join(bin, "mlflow")); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("no .venv/bin/mlflow: run scripts/test.sh once, or python3 -m venv .venv && .venv/bin/pip install 'mlflow[auth]==3.17.2'")
		}
		t.Fatalf(".venv/bin/mlflow is missing in CI (%v): scripts/test.sh must install it before the Go tests", err)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	require.NoError(t, l.Close())
	return port
}

// startServer runs `mlflow server` on SQLite in a temporary directory and
// stops it, with the workers it forks, when the test ends.
func startServer(t *testing.T, bin string, basicAuth bool) string {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	args := []string{"server",
		"--backend-store-uri", "sqlite:///" + filepath.Join(dir, "mlflow.db"),
		"--default-artifact-root", filepath.Join(dir, "artifacts"),
		"--host", "127.0.0.1", "--port", port, "--workers", "1"}
	env := os.Environ()
	if basicAuth {
		ini := filepath.Join(dir, "auth.ini")
		conf := fmt.Sprintf("[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///%s\n"+
			"admin_username = admin\nadmin_password = %s\n"+
			"authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
			filepath.Join(dir, "auth.db"), adminPassword)
		require.NoError(t, os.WriteFile(ini, []byte(conf), 0o600))
		args = append(args, "--app-name", "basic-auth")
		env = append(env, "MLFLOW_AUTH_CONFIG_PATH="+ini, "MLFLOW_FLASK_SERVER_SECRET_KEY=integration-test")
	}
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "mlflow"), args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("mlflow server exited:\n%s", logs.String())
		default:
		}
		resp, err := http.Get(base + "/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("mlflow server did not answer /health within 90s:\n%s", logs.String())
	return ""
}

// populate runs the script and decodes the JSON of its last line (MLflow
// prints links to the runs before it).
func populate(t *testing.T, bin, base string, out any, args ...string) {
	t.Helper()
	script := filepath.Join(root, "scripts", "mlflow-testserver", "populate.py")
	cmd := exec.Command(filepath.Join(bin, "python"), append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "MLFLOW_TRACKING_URI="+base)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			last = append(last[:0], line...)
		}
	}
	if out != nil {
		require.NoError(t, json.Unmarshal(last, out), string(stdout))
	}
}

type summary struct {
	Churn struct {
		Created int64 `json:"created"`
		Runs    []struct {
			ID     string `json:"id"`
			Start  int64  `json:"start"`
			End    *int64 `json:"end"`
			Status string `json:"status"`
		} `json:"runs"`
		Baseline int64  `json:"baseline"`
		Deployed int64  `json:"deployed"`
		Commit   string `json:"commit"`
	} `json:"churn"`
	Fraud struct {
		Created int64 `json:"created"`
		Run     struct {
			Start int64 `json:"start"`
		} `json:"run"`
		Staged int64 `json:"staged"`
	} `json:"fraud"`
}

func at(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func TestConnector(t *testing.T) {
	bin := venv(t)
	base := startServer(t, bin, false)
	var sum summary
	populate(t, bin, base, &sum, "setup")
	created := at(sum.Churn.Created)

	// The polls run on a clock of the test's own, so that the time each
	// alias move is seen is known: 48 h, 72 h and 96 h after the churn
	// experiment was created.
	clock := created
	stateDir := t.TempDir()
	src, err := mlflow.New(mlflow.Config{
		URL: base, PageSize: 2, StateDir: stateDir, UID: "it-1",
		Now: func() time.Time { return clock },
	}, httpclient.Options{})
	require.NoError(t, err)
	ctx := context.Background()
	poll := func(h int) {
		clock = created.Add(time.Duration(h) * time.Hour)
		require.NoError(t, src.Poll(ctx))
	}
	poll(48) // champion on v1
	populate(t, bin, base, nil, "alias", "churn", "champion", "2")
	populate(t, bin, base, nil, "alias", "fraud", "baseline", "1")
	poll(72) // v2, whose deployed_at tag says 70 h; fraud's baseline alias
	populate(t, bin, base, nil, "alias", "churn", "champion", "1")
	poll(96) // back to v1: a rollback

	set, rep, err := src.Fetch(ctx)
	require.NoError(t, err)
	require.Zero(t, rep.Skipped, rep.String())

	t.Run("the alias moves and the stage are deployments", func(t *testing.T) {
		var got []string
		for _, d := range set.Deployments {
			got = append(got, fmt.Sprintf("%s v%s %s rollback=%t", d.Service, d.ModelVersion,
				d.Time.Sub(created).Round(time.Millisecond), d.Rollback))
		}
		require.ElementsMatch(t, []string{
			"churn v1 48h0m0s rollback=false",
			// The tag is written in whole seconds.
			fmt.Sprintf("churn v2 %s rollback=false", at(sum.Churn.Deployed).Truncate(time.Second).Sub(created).Round(time.Millisecond)),
			"churn v1 96h0m0s rollback=true",
			fmt.Sprintf("fraud v1 %s rollback=false", at(sum.Fraud.Staged).Sub(created).Round(time.Millisecond)),
		}, got)
	})

	// A code change from another source (a pull request) with the commit of
	// the run behind v2, so that v2's promotion ships it.
	prTime := created.Add(-24 * time.Hour)
	set.Changes = append(set.Changes, events.Change{
		Common: events.Common{ID: "pr-1", Service: "churn"}, Time: prTime, Commit: sum.Churn.Commit, Type: events.ChangeCode,
	})

	eng := engine.New(set, "production", 72*time.Hour)
	from := created.Add(-10 * 24 * time.Hour)
	to := created.Add(10 * 24 * time.Hour)
	value := func(t *testing.T, metric string, f query.Filters) engine.Value {
		t.Helper()
		s, err := eng.Summary(engine.Request{Metric: engine.Lookup(metric), Aggregation: query.AggMean,
			Filters: f, From: from, To: to})
		require.NoError(t, err)
		require.Len(t, s.Values, 1)
		require.True(t, s.Values[0].Valid)
		return s.Values[0]
	}
	churn := query.Filters{Service: []string{"churn"}}

	t.Run("iteration rate counts the churn runs over the range's days", func(t *testing.T) {
		// Rule: runs started in [from, to) divided by (to-from) in days.
		want := float64(len(sum.Churn.Runs)) / 20
		require.InDelta(t, want, value(t, "iteration_rate", churn).Value, 1e-9)
	})

	t.Run("feedback time is the mean length of the runs that ended", func(t *testing.T) {
		// Rule: mean of end-start over the runs with an end.
		var total time.Duration
		n := 0
		for _, r := range sum.Churn.Runs {
			if r.End != nil {
				total += at(*r.End).Sub(at(r.Start))
				n++
			}
		}
		require.Equal(t, 4, n)
		require.InDelta(t, (total / time.Duration(n)).Seconds(), value(t, "feedback_time", churn).Value, 1e-3)
	})

	t.Run("time to baseline runs from the experiment's creation to the baseline tag", func(t *testing.T) {
		// Rule: baseline tag time (30 h after creation, whole seconds) minus
		// the experiment's creation time.
		want := at(sum.Churn.Baseline).Truncate(time.Second).Sub(created).Seconds()
		require.InDelta(t, want, value(t, "time_to_baseline", churn).Value, 1e-3)
	})

	t.Run("the baseline alias dates a baseline when it is first seen", func(t *testing.T) {
		// Rule: the poll that first saw the alias (72 h after churn's
		// creation) minus the fraud experiment's creation.
		want := created.Add(72 * time.Hour).Sub(at(sum.Fraud.Created)).Seconds()
		require.InDelta(t, want, value(t, "time_to_baseline", query.Filters{Service: []string{"fraud"}}).Value, 1e-3)
	})

	t.Run("model lead time runs from the source run's start to the first promotion", func(t *testing.T) {
		// Rule: v1 = first sighting of champion on v1 (48 h) - start of run 0;
		// v2 = its deployed_at tag (70 h, whole seconds) - start of run 1;
		// fraud v1 = the stage transition time - start of its run.
		runs := sum.Churn.Runs
		v1 := created.Add(48 * time.Hour).Sub(at(runs[0].Start))
		v2 := at(sum.Churn.Deployed).Truncate(time.Second).Sub(at(runs[1].Start))
		model := query.Filters{Service: []string{"churn"}, ChangeType: []string{"model"}}
		require.InDelta(t, ((v1 + v2) / 2).Seconds(), value(t, "lead_time", model).Value, 1e-3)

		fraud := query.Filters{Service: []string{"fraud"}, ChangeType: []string{"model"}}
		want := at(sum.Fraud.Staged).Sub(at(sum.Fraud.Run.Start)).Seconds()
		require.InDelta(t, want, value(t, "lead_time", fraud).Value, 1e-3)
	})

	t.Run("a code change with the run's commit is shipped by the promotion", func(t *testing.T) {
		// Rule: v2's deployed_at time minus the pull request's time.
		code := query.Filters{Service: []string{"churn"}, ChangeType: []string{"code"}}
		want := at(sum.Churn.Deployed).Truncate(time.Second).Sub(prTime).Seconds()
		require.InDelta(t, want, value(t, "lead_time", code).Value, 1e-3)
	})

	t.Run("a restart keeps the alias history", func(t *testing.T) {
		before := src.Store().Observations()
		require.NoError(t, src.Close())
		again, err := mlflow.OpenStore(stateDir, "it-1")
		require.NoError(t, err)
		defer again.Close()
		require.Equal(t, before, again.Observations())
	})
}

func TestBasicAuth(t *testing.T) {
	bin := venv(t)
	base := startServer(t, bin, true)
	ctx := context.Background()
	fetch := func(cfg mlflow.Config) error {
		cfg.URL = base
		src, err := mlflow.New(cfg, httpclient.Options{})
		require.NoError(t, err)
		_, _, err = src.Fetch(ctx)
		return err
	}

	t.Run("without credentials the error asks for them", func(t *testing.T) {
		require.ErrorContains(t, fetch(mlflow.Config{}), "the server needs credentials, set auth to basic or bearer")
	})
	t.Run("a wrong password asks to check the username and password", func(t *testing.T) {
		err := fetch(mlflow.Config{Auth: mlflow.AuthBasic, Username: "admin", Password: "wrong-one"})
		require.ErrorContains(t, err, "check the username and password")
		require.NotContains(t, err.Error(), "wrong-one")
	})
	t.Run("the right credentials read the server", func(t *testing.T) {
		require.NoError(t, fetch(mlflow.Config{Auth: mlflow.AuthBasic, Username: "admin", Password: adminPassword}))
	})
}
