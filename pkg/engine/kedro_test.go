package engine_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// kedroHistory finds shared/data/kedro-history.ndjson in a folder above the
// package, or skips the test.
func kedroHistory(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		path := filepath.Join(dir, "shared", "data", "kedro-history.ndjson")
		if _, err := os.Stat(path); err == nil {
			return path
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/data/kedro-history.ndjson not found above the package")
		}
		dir = parent
	}
}

// rawEvent is one line of the feed as plain JSON, read without pkg/events so
// that the numbers below come by a route of their own.
type rawEvent struct {
	Kind        string   `json:"kind"`
	ID          string   `json:"id"`
	Service     string   `json:"service"`
	Environment string   `json:"environment"`
	Status      string   `json:"status"`
	Time        string   `json:"time"`
	Commit      string   `json:"commit"`
	Merged      string   `json:"merged"`
	Opened      string   `json:"opened"`
	Resolved    string   `json:"resolved"`
	Deployment  string   `json:"deployment"`
	Changes     []string `json:"changes"`
	Commits     []string `json:"commits"`
	Rollback    bool     `json:"rollback"`
}

func readRaw(t *testing.T, path string) (out []rawEvent, duplicates int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	seen := map[[2]string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e rawEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		// The feed repeats some pull request numbers; like the reader, keep
		// the first event of an id and kind.
		key := [2]string{e.Kind, e.ID}
		if seen[key] {
			duplicates++
			continue
		}
		seen[key] = true
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out, duplicates
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

func plainMedian(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// kedroFacts are the 2023 numbers, worked out with straightforward loops.
type kedroFacts struct {
	deploys     int       // successful production deployments
	leadTimes   []float64 // seconds, of the changes shipped in 2023
	negative    int
	restores    []float64 // seconds, of the incidents resolved in 2023
	failed, all int       // production deployments in 2023
}

func kedroIn2023(t *testing.T, raw []rawEvent, from, to time.Time) kedroFacts {
	t.Helper()
	in := func(x time.Time) bool { return !x.Before(from) && x.Before(to) }
	var facts kedroFacts

	type deploy struct {
		rawEvent
		at time.Time
	}
	var deploys []deploy
	named := map[string]bool{}
	for _, e := range raw {
		switch e.Kind {
		case "deployment":
			env := e.Environment
			if env == "" {
				env = "production"
			}
			if env == "production" {
				deploys = append(deploys, deploy{e, mustTime(t, e.Time)})
			}
		case "incident":
			// Every incident of this feed names its deployment, so attribution
			// never comes into play and the loop below needs none.
			require.NotEmpty(t, e.Deployment, "incident %s", e.ID)
			named[e.Deployment] = true
			if e.Resolved != "" {
				opened, resolved := mustTime(t, e.Opened), mustTime(t, e.Resolved)
				if in(resolved) {
					facts.restores = append(facts.restores, resolved.Sub(opened).Seconds())
				}
			}
		}
	}
	sort.SliceStable(deploys, func(i, j int) bool { return deploys[i].at.Before(deploys[j].at) })

	for i, d := range deploys {
		if !in(d.at) {
			continue
		}
		facts.all++
		failed := d.Status == "failure" || named[d.ID]
		for _, later := range deploys[i+1:] {
			if later.Service == d.Service {
				failed = failed || later.Rollback
				break
			}
		}
		if failed {
			facts.failed++
		}
		if d.Status == "success" {
			facts.deploys++
		}
	}

	contains := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, c := range raw {
		if c.Kind != "change" {
			continue
		}
		start := c.Time
		if start == "" {
			start = c.Merged
		}
		for _, d := range deploys {
			if d.Status != "success" {
				continue
			}
			lists := contains(d.Changes, c.ID) ||
				(c.Commit != "" && (contains(d.Commits, c.Commit) || d.Commit == c.Commit))
			if !lists {
				continue
			}
			if in(d.at) {
				lead := d.at.Sub(mustTime(t, start)).Seconds()
				if lead < 0 {
					facts.negative++
				} else {
					facts.leadTimes = append(facts.leadTimes, lead)
				}
			}
			break // the earliest success ships it; later ones do not
		}
	}
	return facts
}

func TestKedroHistory(t *testing.T) {
	t.Parallel()
	path := kedroHistory(t)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	s, rep, err := events.Read(f)
	require.NoError(t, err)
	raw, duplicates := readRaw(t, path)
	require.Equal(t, duplicates, rep.Skipped, "the reader skips the repeated ids and nothing else: %s", rep)

	from := time.Date(2023, time.January, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	facts := kedroIn2023(t, raw, from, to)
	e := newEngine(s)
	summary := func(metric string) *engine.Summary {
		sum, err := e.Summary(ask(metric, from, to))
		require.NoError(t, err)
		return sum
	}

	t.Run("2023 had twelve releases", func(t *testing.T) {
		t.Parallel()
		// Counted by hand from the feed: 0.18.5 to 0.18.14 and 0.19.0, 0.19.1.
		require.Equal(t, 12, facts.deploys)
		v := single(t, summary("deployment_frequency"))
		require.Equal(t, facts.deploys, v.Count)
		requireValue(t, float64(facts.deploys)/365, v) // 2023 has 365 days
		require.Equal(t, engine.BandLow, v.Band)       // 12/365 < 1/30, as 12 * 30 = 360 < 365
	})

	t.Run("the median lead time of 2023 matches a plain computation", func(t *testing.T) {
		t.Parallel()
		require.NotEmpty(t, facts.leadTimes)
		sum := summary("lead_time")
		v := single(t, sum)
		require.Equal(t, len(facts.leadTimes), v.Count)
		require.Equal(t, facts.negative, sum.Notes.Negative)
		requireValue(t, plainMedian(facts.leadTimes), v)
	})

	t.Run("the median time to restore of 2023 matches a plain computation", func(t *testing.T) {
		t.Parallel()
		require.NotEmpty(t, facts.restores)
		sum := summary("time_to_restore")
		v := single(t, sum)
		require.Equal(t, len(facts.restores), v.Count)
		requireValue(t, plainMedian(facts.restores), v)
		require.Zero(t, sum.Notes.OpenIncidents)
	})

	t.Run("the change failure rate of 2023 matches a plain computation", func(t *testing.T) {
		t.Parallel()
		v := single(t, summary("change_failure_rate"))
		require.Equal(t, facts.all, v.Count)
		requireValue(t, float64(facts.failed)/float64(facts.all), v)
	})
}
