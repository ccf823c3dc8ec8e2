package demo

import "time"

const day = 24 * time.Hour

// span is a range of durations; a draw is uniform between the two ends.
type span [2]time.Duration

// count is a range of whole numbers, both ends included.
type count [2]int

// mode is how a release goes, well or wrong.
type mode int

const (
	// fine: the release goes out and stays.
	fine mode = iota
	// failed: the deployment fails outright and is retried with the same changes.
	failed
	// rolledBack: canary checks catch the release and the previous version
	// goes back, with no incident.
	rolledBack
	// rolledBackIncident: an incident opens and is resolved by rolling back.
	rolledBackIncident
	// hotfixed: an incident opens and is resolved by shipping a fix forward.
	hotfixed
)

// profile drives the generator for one service. Durations of the journey
// (kickoff, baseline, bootstrap) count from the start of the twelve months.
type profile struct {
	service string
	team    string
	model   string // model registry name; empty for a service without one

	kickoff, baseline, bootstrap time.Duration

	every      time.Duration // mean gap between releases
	changes    count         // changes per release
	lead       span          // first commit to production, per change
	staging    float64       // share of releases deployed to staging first
	stagingGap time.Duration // how long before production staging gets a release
	commits    float64       // share of deployments that list SHAs, not change ids
	reserve    time.Duration // no release closer to now, so follow-ups fit in

	badEvery int    // every badEvery-th release goes wrong
	modes    []mode // how bad releases go wrong, taken in turn
	detect   span   // bad deployment to incident or rollback
	restore  span   // incident opened to resolved

	openIncident bool // the last release causes the one incident still open

	experiments []string
	runsPerDay  count
	runTime     span          // drawn on a log scale
	burstEvery  time.Duration // mean gap between exploration bursts after bootstrap
}

// profiles are the demo services. Rates are fixed by schedule rather than
// by chance, so each service stays in its DORA band whatever now is.
var profiles = []profile{
	{
		// Elite: about two releases a working day, hours of lead time, one
		// bad release in thirty, restored within the hour.
		service: "churn-model", team: "growth", model: "churn-xgboost",
		kickoff: 2 * day, baseline: 9 * day, bootstrap: 18 * day,
		every: 5 * time.Hour, changes: count{1, 3}, lead: span{2 * time.Hour, 10 * time.Hour},
		staging: 0.2, stagingGap: 15 * time.Minute, commits: 0.1, reserve: 3 * time.Hour,
		badEvery: 30, modes: []mode{rolledBackIncident, failed, rolledBack, rolledBackIncident, hotfixed},
		detect: span{5 * time.Minute, 20 * time.Minute}, restore: span{10 * time.Minute, 35 * time.Minute},
		experiments: []string{"churn-feature-selection", "churn-survival-model", "churn-calibration"},
		runsPerDay:  count{10, 30}, runTime: span{3 * time.Minute, 2 * time.Hour}, burstEvery: 21 * day,
	},
	{
		// High: two or three releases a week, days of lead time, one bad
		// release in twelve, restored within hours; one incident still open.
		service: "fraud-detector", team: "risk", model: "fraud-gnn",
		kickoff: 5 * day, baseline: 26 * day, bootstrap: 40 * day,
		every: 60 * time.Hour, changes: count{2, 5}, lead: span{36 * time.Hour, 5 * day},
		staging: 1, stagingGap: 4 * time.Hour, commits: 0.25, reserve: 2 * day,
		badEvery: 12, modes: []mode{hotfixed, rolledBackIncident, failed},
		detect: span{30 * time.Minute, 3 * time.Hour}, restore: span{2 * time.Hour, 14 * time.Hour},
		openIncident: true,
		experiments:  []string{"fraud-graph-features", "fraud-threshold-tuning", "fraud-label-delay"},
		runsPerDay:   count{5, 20}, runTime: span{10 * time.Minute, 6 * time.Hour}, burstEvery: 28 * day,
	},
	{
		// Medium and low: a release every other week, weeks of lead time,
		// one bad release in four, days to restore.
		service: "search-ranker", team: "growth",
		kickoff: 1 * day, baseline: 30 * day, bootstrap: 52 * day,
		every: 12 * day, changes: count{4, 10}, lead: span{8 * day, 25 * day},
		staging: 1, stagingGap: 18 * time.Hour, commits: 0.5, reserve: 6 * day,
		badEvery: 4, modes: []mode{hotfixed, rolledBack, hotfixed, failed},
		detect: span{2 * time.Hour, 20 * time.Hour}, restore: span{30 * time.Hour, 4 * day},
		experiments: []string{"ranker-lambdamart", "ranker-cross-encoder", "ranker-query-intent"},
		runsPerDay:  count{3, 12}, runTime: span{20 * time.Minute, 10 * time.Hour}, burstEvery: 35 * day,
	},
}
