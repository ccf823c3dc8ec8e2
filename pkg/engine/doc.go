// Package engine computes every metric from canonical events: it links
// changes to the deployments that ship them, marks failed deployments and
// their recovery, attributes incidents, and then buckets and aggregates the
// resulting observations. It knows nothing of HTTP or of Grafana frames.
//
// The definitions it implements are written down in docs/metrics.md.
package engine
