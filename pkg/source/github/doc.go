// Package github reads changes, deployments and incidents from GitHub or a
// GitHub Enterprise Server through its REST API and turns them into
// canonical events.
//
// A change is a pull request merged into a repository's default branch,
// timed by the author time of its first commit. A deployment comes from the
// Deployments API, from releases or from runs of a named workflow, and ships
// the pull requests merged between the previous deployed commit of its
// service and its own. An incident is an issue with a label. See
// docs/sources/github.md.
//
// The [Source] asks politely: pages of 100, conditional requests with
// ETags, GraphQL for the commits of many pull requests at once, a few
// requests in flight, and waits on rate limits as long as the caller's
// deadline allows.
package github
