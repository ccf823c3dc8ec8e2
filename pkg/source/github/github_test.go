package github

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/engine"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/query"
	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/source"
)

var _ source.Source = (*Source)(nil)

// Commits of testdata/churn-model.json.
const (
	shaM1 = "ae23b94ccaf714337e4ce5ba99ef3dc257e300df" // merge of #1
	shaS2 = "4205714cdfe14ed9e3d030ddf7887781b964f510" // squash of #2
	shaM3 = "862a51f8b6294a4b0729a7c5c929bfd67068d962" // merge of #3
	shaM4 = "0e5bc0a684c7afe47fa66cdf21a4dfa33742f9c3" // merge of #4
)

// at returns a time of the fixtures' week, which starts on Monday 2 March
// 2026: at(time.Tuesday, 15, 0) is 3 March 15:00 UTC.
func at(wd time.Weekday, hh, mm int) time.Time {
	monday := time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC)
	return monday.AddDate(0, 0, (int(wd)+6)%7).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

func fetchChurn(t *testing.T) (*events.Set, events.Report, *fakeGitHub, *Source) {
	t.Helper()
	f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
	f.pageSize = 2 // so that every listing of the fixtures spans pages
	s := newSource(t, f, churnConfig())
	set, rep, err := s.Fetch(context.Background())
	require.NoError(t, err)
	return set, rep, f, s
}

func changeByID(t *testing.T, set *events.Set, id string) events.Change {
	t.Helper()
	for _, c := range set.Changes {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no change %q", id)
	return events.Change{}
}

func deploymentByID(t *testing.T, set *events.Set, id string) events.Deployment {
	t.Helper()
	for _, d := range set.Deployments {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("no deployment %q", id)
	return events.Deployment{}
}

func TestFetchReadsMergedPullRequestsAsChanges(t *testing.T) {
	set, _, f, _ := fetchChurn(t)

	// #6 was closed without a merge; the other six were merged.
	require.Len(t, set.Changes, 6)

	t.Run("a merged pull request keeps its opened and merged times, title, labels and merge commit", func(t *testing.T) {
		c := changeByID(t, set, "acme/churn-model/pull/1")
		require.Equal(t, at(time.Monday, 9, 0), c.Time, "author time of the first commit")
		require.Equal(t, at(time.Monday, 11, 0), c.Opened)
		require.Equal(t, at(time.Tuesday, 9, 0), c.Merged)
		require.Equal(t, shaM1, c.Commit)
		require.Equal(t, "Add the churn scorer", c.Title)
		require.Equal(t, "churn", c.Service)
		require.Equal(t, "growth", c.Team)
		require.Equal(t, "https://github.com/acme/churn-model/pull/1", c.URL)
	})
	t.Run("a squash-merged pull request takes its time from its own commits, not the squash commit", func(t *testing.T) {
		c := changeByID(t, set, "acme/churn-model/pull/2")
		require.Equal(t, at(time.Monday, 12, 0), c.Time)
		require.Equal(t, shaS2, c.Commit)
		require.False(t, c.TimeFromMerged)
		require.Equal(t, "bug", c.Labels["labels"])
	})
	t.Run("a pull request with more commits than a page is read to its last page", func(t *testing.T) {
		c := changeByID(t, set, "acme/churn-model/pull/3")
		// The earliest author time (Monday 16:00) is on the third page of
		// its five commits.
		require.Equal(t, at(time.Monday, 16, 0), c.Time)
		require.Equal(t, 3, f.hits("/repos/acme/churn-model/pulls/3/commits"))
		require.Equal(t, "model,retrain", c.Labels["labels"])
	})
}

func TestFetchReadsDeploymentsWithTheirLatestFinishedStatus(t *testing.T) {
	set, _, _, _ := fetchChurn(t)

	// 107 is still in progress, so only six deployments finished.
	require.Len(t, set.Deployments, 6)

	tests := []struct {
		id       string
		env      string
		status   events.DeployStatus
		time     time.Time
		commit   string
		changes  []string
		rollback bool
	}{
		{id: "101", env: "production", status: events.DeploySuccess, time: at(time.Tuesday, 15, 0), commit: shaM1,
			changes: []string{"acme/churn-model/pull/1", "acme/churn-model/pull/2"}},
		{id: "102", env: "production", status: events.DeployFailure, time: at(time.Wednesday, 12, 0), commit: shaM3},
		{id: "103", env: "production", status: events.DeploySuccess, time: at(time.Wednesday, 16, 0), commit: shaM3,
			changes: []string{"acme/churn-model/pull/3"}},
		{id: "104", env: "production", status: events.DeploySuccess, time: at(time.Thursday, 12, 0), commit: shaM4,
			changes: []string{"acme/churn-model/pull/4"}},
		{id: "105", env: "production", status: events.DeploySuccess, time: at(time.Thursday, 14, 0), commit: shaM3, rollback: true},
		{id: "106", env: "staging", status: events.DeploySuccess, time: at(time.Thursday, 10, 0), commit: shaM4,
			changes: []string{"acme/churn-model/pull/1", "acme/churn-model/pull/2", "acme/churn-model/pull/3", "acme/churn-model/pull/4"}},
	}
	for _, tt := range tests {
		t.Run("deployment "+tt.id+" is read with its environment, status, time and shipped changes", func(t *testing.T) {
			d := deploymentByID(t, set, "acme/churn-model/deployments/"+tt.id)
			require.Equal(t, tt.env, d.Environment)
			require.Equal(t, tt.status, d.Status)
			require.Equal(t, tt.time, d.Time, "the latest success or failure, not a later inactive status")
			require.Equal(t, tt.commit, d.Commit)
			require.ElementsMatch(t, tt.changes, d.Changes)
			require.Equal(t, tt.rollback, d.Rollback)
			require.Equal(t, "churn", d.Service)
		})
	}
}

func TestFetchLeavesOutChangesOlderThanTheLookback(t *testing.T) {
	set, rep, _, _ := fetchChurn(t)

	// #5 was merged on 1 November 2025, more than 90 days before the first
	// production deployment (3 March 2026) and the first staging one.
	for _, d := range set.Deployments {
		require.NotContains(t, d.Changes, "acme/churn-model/pull/5")
	}
	require.Equal(t, 2, rep.Skipped)
	require.Contains(t, rep.Reasons[0], "1 changes of churn merged more than 90 days before its first deployment")
}

func TestFetchReadsIncidentsAndTheirCause(t *testing.T) {
	set, _, _, _ := fetchChurn(t)

	// The fourth labelled item of the listing is a pull request.
	require.Len(t, set.Incidents, 3)
	byID := map[string]events.Incident{}
	for _, in := range set.Incidents {
		byID[in.ID] = in
	}

	t.Run("a cause line naming a deployment links the incident to it", func(t *testing.T) {
		in := byID["acme/churn-model/issues/201"]
		require.Equal(t, "acme/churn-model/deployments/103", in.Deployment)
		require.Equal(t, at(time.Wednesday, 18, 0), in.Opened)
		require.Equal(t, at(time.Wednesday, 20, 0), in.Resolved)
		require.Equal(t, "sev1", in.Severity)
	})
	t.Run("a cause line naming a pull request links the deployment that shipped it", func(t *testing.T) {
		in := byID["acme/churn-model/issues/202"]
		require.Equal(t, "acme/churn-model/deployments/104", in.Deployment)
		require.Equal(t, "sev2", in.Severity)
	})
	t.Run("an issue without a cause line is left to the attribution window", func(t *testing.T) {
		in := byID["acme/churn-model/issues/203"]
		require.Empty(t, in.Deployment)
		require.True(t, in.Open())
	})
}

func TestFourKeysFromGitHubDataEqualHandComputedValues(t *testing.T) {
	set, _, _, _ := fetchChurn(t)
	eng := engine.New(set, "production", 72*time.Hour)
	from, to := at(time.Monday, 0, 0), at(time.Monday, 0, 0).AddDate(0, 0, 7)
	summary := func(metric string) engine.Value {
		t.Helper()
		sum, err := eng.Summary(engine.Request{Metric: engine.Lookup(metric), Aggregation: query.AggMedian, From: from, To: to})
		require.NoError(t, err)
		require.Len(t, sum.Values, 1)
		require.True(t, sum.Values[0].Valid)
		return sum.Values[0]
	}

	// Successful production deployments in the week: 101 (Tue), 103 (Wed),
	// 104 (Thu) and 105 (Thu, the rollback); 102 failed and 107 has not
	// finished. 4 / 7 days = 0.5714 per day.
	freq := summary("deployment_frequency")
	require.InDelta(t, 4.0/7, freq.Value, 1e-9)
	require.Equal(t, 4, freq.Count)

	// Each shipped change, from its first commit to the deployment that
	// shipped it:
	//   #1  Mon 09:00 → 101 Tue 15:00 = 30 h
	//   #2  Mon 12:00 → 101 Tue 15:00 = 27 h (squash-merged)
	//   #3  Mon 16:00 → 103 Wed 16:00 = 48 h (compare of 101...103)
	//   #4  Wed 15:00 → 104 Thu 12:00 = 21 h (compare of 103...104)
	// #5 is past the lookback and #7 is not deployed yet.
	// Median of {21, 27, 30, 48} = (27 + 30) / 2 = 28.5 h.
	lead := summary("lead_time")
	require.Equal(t, 4, lead.Count)
	require.InDelta(t, 28.5*3600, lead.Value, 1e-6)

	// Of the five finished production deployments, four failed:
	//   102: status failure;
	//   103: incident 201 names it ("Cause: deployment 103");
	//   104: incident 202 names #4, which 104 shipped; 105 rolls it back too;
	//   105: incident 203 (Sat 09:00, no cause) opened 43 h after it, within
	//        the 72 h attribution window, and it is the latest success.
	// 101 is followed by 102, not a rollback, and no incident is near it.
	// 4 / 5 = 0.8.
	cfr := summary("change_failure_rate")
	require.Equal(t, 5, cfr.Count)
	require.InDelta(t, 0.8, cfr.Value, 1e-9)

	// Incidents resolved in the week: 201 after 2 h, 202 after 30 min;
	// median (2 h + 0.5 h) / 2 = 1.25 h. 203 is still open.
	restore := summary("time_to_restore")
	require.Equal(t, 2, restore.Count)
	require.InDelta(t, 1.25*3600, restore.Value, 1e-6)
}

func TestMonorepoPathsMapChangesToServices(t *testing.T) {
	f := newFake(t, &fakeClock{t: testNow}, "ml-platform.json")
	s := newSource(t, f, Config{Repositories: []Repository{{
		Owner: "acme", Name: "ml-platform", Team: "ml",
		Paths: []PathService{
			{Globs: []string{"models/churn/**"}, Service: "churn", Team: "growth"},
			{Globs: []string{"pipelines/features/**", "schemas/*.json"}, Service: "features"},
		},
		Deployments: []Deployments{
			{From: FromWorkflow, Workflow: "deploy-churn.yml", Service: "churn"},
			{From: FromReleases, TagPrefix: "features/", Service: "features"},
		},
	}}})

	set, _, err := s.Fetch(context.Background())
	require.NoError(t, err)
	require.Len(t, f.graphQLQueries, 1)
	require.Contains(t, f.graphQLQueries[0], "files(first: 100)")
	require.Zero(t, f.hits("/repos/acme/ml-platform/pulls/12/files"), "the files came with the GraphQL query")

	services := map[string]string{}
	for _, c := range set.Changes {
		services[c.ID] = c.Service + "/" + c.Team
		require.Empty(t, c.Commit, "in a monorepo the commit stays a label")
		require.NotEmpty(t, c.Labels["commit"])
	}
	require.Equal(t, map[string]string{
		"acme/ml-platform/pull/11":          "churn/growth",
		"acme/ml-platform/pull/12/churn":    "churn/growth",
		"acme/ml-platform/pull/12/features": "features/ml",
		"acme/ml-platform/pull/13":          "ml-platform/ml", // only docs: the repository's own service
		"acme/ml-platform/pull/14":          "features/ml",
	}, services)

	// Workflow runs of deploy-churn.yml deploy churn: run 9001 (the first)
	// ships the churn side of #11 and #12; run 9002 was cancelled and
	// deploys nothing; run 9003 compares 9001's commit with its own, which
	// brings #13 and #14, neither of them churn's, so it ships nothing.
	// Releases with the features/ prefix deploy features: v1.1.0 (the
	// first) ships the features side of #12, and v1.2.0 compares the two
	// tags' commits and ships #14. The release candidate is left out.
	require.Len(t, set.Deployments, 4)
	tests := []struct {
		id, service string
		time        time.Time
		changes     []string
	}{
		{"acme/ml-platform/actions/runs/9001", "churn", at(time.Tuesday, 16, 20),
			[]string{"acme/ml-platform/pull/11", "acme/ml-platform/pull/12/churn"}},
		{"acme/ml-platform/actions/runs/9003", "churn", at(time.Thursday, 12, 30), nil},
		{"acme/ml-platform/releases/features/v1.1.0", "features", at(time.Tuesday, 18, 0),
			[]string{"acme/ml-platform/pull/12/features"}},
		{"acme/ml-platform/releases/features/v1.2.0", "features", at(time.Thursday, 12, 0),
			[]string{"acme/ml-platform/pull/14"}},
	}
	for _, tt := range tests {
		d := deploymentByID(t, set, tt.id)
		require.Equal(t, tt.service, d.Service, tt.id)
		require.Equal(t, tt.time, d.Time, tt.id)
		require.Equal(t, tt.changes, d.Changes, tt.id)
		require.Equal(t, "production", d.Environment, tt.id)
		require.False(t, d.Rollback, tt.id)
	}
	rel := deploymentByID(t, set, "acme/ml-platform/releases/features/v1.1.0")
	require.Equal(t, "fa0ff35615326c9c1f3ae08246ebe0b0df2a74f5", rel.Commit, "the tag's commit")
}

func TestGHESIsReadBelowAPIv3(t *testing.T) {
	f := newFake(t, &fakeClock{t: testNow}, "churn-model.json")
	f.prefix = "/api/v3"
	cfg := churnConfig()
	cfg.BaseURL = f.srv.URL + "/" // as a user might paste it
	s := newSource(t, f, cfg)
	require.Equal(t, f.srv.URL+"/api/v3", s.RESTURL())
	require.Equal(t, f.srv.URL+"/api/graphql", s.GraphQLURL())

	set, _, err := s.Fetch(context.Background())
	require.NoError(t, err)
	require.Len(t, set.Changes, 6)
	require.Equal(t, 1, f.hits("/repos/acme/churn-model"))
	require.Len(t, f.graphQLQueries, 1, "GraphQL is read at /api/graphql")
}

func TestAPIURLs(t *testing.T) {
	tests := []struct{ base, rest, graphql string }{
		{"", "https://api.github.com", "https://api.github.com/graphql"},
		{"https://github.com/", "https://api.github.com", "https://api.github.com/graphql"},
		{"https://api.github.com", "https://api.github.com", "https://api.github.com/graphql"},
		{"https://git.example.com", "https://git.example.com/api/v3", "https://git.example.com/api/graphql"},
		{"https://git.example.com/api/v3/", "https://git.example.com/api/v3", "https://git.example.com/api/graphql"},
		{"https://example.com/github", "https://example.com/github/api/v3", "https://example.com/github/api/graphql"},
	}
	for _, tt := range tests {
		t.Run("base URL "+tt.base+" gives "+tt.rest, func(t *testing.T) {
			rest, graphql, err := apiURLs(tt.base)
			require.NoError(t, err)
			require.Equal(t, tt.rest, rest.String())
			require.Equal(t, tt.graphql, graphql.String())
		})
	}
	_, _, err := apiURLs("git.example.com")
	require.ErrorContains(t, err, "write it as https://github.example.com")
}
