// Package plugin is the data source as Grafana sees it: the instance built
// from a data source's settings and its SDK handlers for queries and health
// checks. It turns engine results into data frames.
package plugin
