package query

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/gtime"
)

// Type is the kind of answer a query asks for.
type Type string

// The query types.
const (
	TypeTimeSeries  Type = "timeseries"
	TypeSummary     Type = "summary"
	TypeEvents      Type = "events"
	TypeAnnotations Type = "annotations"
	TypeValues      Type = "values"
)

// Types lists every query type.
var Types = []Type{TypeTimeSeries, TypeSummary, TypeEvents, TypeAnnotations, TypeValues}

// Version is the version of the query model this backend writes and reads.
// A query without a version is read as version 1.
const Version = 1

// Aggregation reduces a set of durations to one number.
type Aggregation string

// The aggregations. Median is the default.
const (
	AggMedian Aggregation = "median"
	AggP75    Aggregation = "p75"
	AggP90    Aggregation = "p90"
	AggMean   Aggregation = "mean"
	AggMin    Aggregation = "min"
	AggMax    Aggregation = "max"
)

// Aggregations lists every aggregation.
var Aggregations = []Aggregation{AggMedian, AggP75, AggP90, AggMean, AggMin, AggMax}

// Dimension is a key that events can be filtered and grouped by.
type Dimension string

// The dimensions.
const (
	DimService     Dimension = "service"
	DimTeam        Dimension = "team"
	DimEnvironment Dimension = "environment"
	DimChangeType  Dimension = "changeType"
	DimModel       Dimension = "model"
)

// Dimensions lists every dimension.
var Dimensions = []Dimension{DimService, DimTeam, DimEnvironment, DimChangeType, DimModel}

// EventTable names the rows an events query returns.
type EventTable string

// The event tables.
const (
	TableChanges     EventTable = "changes"
	TableDeployments EventTable = "deployments"
	TableIncidents   EventTable = "incidents"
	TableRuns        EventTable = "runs"
	TableMilestones  EventTable = "milestones"
)

// EventTables lists every event table.
var EventTables = []EventTable{TableChanges, TableDeployments, TableIncidents, TableRuns, TableMilestones}

// Filters narrow the events a query reads. An empty list matches all.
type Filters struct {
	Service     []string `json:"service,omitempty"`
	Team        []string `json:"team,omitempty"`
	Environment []string `json:"environment,omitempty"`
	ChangeType  []string `json:"changeType,omitempty"`
	Model       []string `json:"model,omitempty"`
}

// Of returns the filter list of one dimension.
func (f Filters) Of(d Dimension) []string {
	switch d {
	case DimService:
		return f.Service
	case DimTeam:
		return f.Team
	case DimEnvironment:
		return f.Environment
	case DimChangeType:
		return f.ChangeType
	case DimModel:
		return f.Model
	}
	return nil
}

// Model is the JSON body of one query, as the frontend saves it and as an
// alert rule stores it.
type Model struct {
	Version     int         `json:"version,omitempty"`
	QueryType   Type        `json:"queryType,omitempty"`
	Metric      string      `json:"metric,omitempty"`
	Metrics     []string    `json:"metrics,omitempty"`
	Aggregation Aggregation `json:"aggregation,omitempty"`
	GroupBy     []Dimension `json:"groupBy,omitempty"`
	Filters     Filters     `json:"filters,omitzero"`
	Bucket      string      `json:"bucket,omitempty"`
	Window      string      `json:"window,omitempty"`
	Timezone    string      `json:"timezone,omitempty"`
	Table       EventTable  `json:"table,omitempty"`
	Dimension   Dimension   `json:"dimension,omitempty"`
	Limit       int         `json:"limit,omitempty"`
}

// Query is a validated query with its defaults applied.
type Query struct {
	Model
	// Step is the explicit bucket width, or zero for automatic buckets.
	Step time.Duration
	// WindowLen is the trailing window per point, or zero for none.
	WindowLen time.Duration
	Location  *time.Location
}

// DefaultLimit is how many rows an events query returns when it names no
// limit; MaxLimit is the most it may ask for.
const (
	DefaultLimit = 1000
	MaxLimit     = 100000
)

// Parse reads and validates one query. queryType is the type Grafana sent
// beside the JSON, which wins over an empty queryType in the body. metricKnown
// tells whether a metric id exists; it is passed in so that this package does
// not depend on the engine.
func Parse(raw json.RawMessage, queryType string, metricKnown func(string) bool) (Query, error) {
	var m Model
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return Query{}, fmt.Errorf("the query is not valid JSON: %w", err)
		}
	}
	if m.QueryType == "" {
		m.QueryType = Type(queryType)
	}
	if m.QueryType == "" {
		m.QueryType = TypeTimeSeries
	}
	if m.Version > Version {
		return Query{}, fmt.Errorf("the query was saved by a newer plugin (query version %d, this backend reads up to %d): update the plugin", m.Version, Version)
	}
	q := Query{Model: m, Location: time.UTC}
	if err := q.validate(metricKnown); err != nil {
		return Query{}, err
	}
	return q, nil
}

func (q *Query) validate(metricKnown func(string) bool) error {
	if !slices.Contains(Types, q.QueryType) {
		return fmt.Errorf("unknown query type %q (want one of %s)", q.QueryType, join(Types))
	}
	switch q.QueryType {
	case TypeTimeSeries:
		if q.Metric == "" {
			return fmt.Errorf("choose a metric")
		}
		if len(q.Metrics) > 0 {
			return fmt.Errorf("a time series query takes one metric; metrics is for summary queries")
		}
	case TypeSummary:
		if q.Metric != "" && len(q.Metrics) > 0 {
			return fmt.Errorf("set metric or metrics, not both")
		}
		if q.Metric != "" {
			q.Metrics = []string{q.Metric}
			q.Metric = ""
		}
	case TypeEvents:
		if q.Table == "" {
			q.Table = TableChanges
		}
		if !slices.Contains(EventTables, q.Table) {
			return fmt.Errorf("unknown events table %q (want one of %s)", q.Table, join(EventTables))
		}
		if q.Limit == 0 {
			q.Limit = DefaultLimit
		}
		if q.Limit < 0 || q.Limit > MaxLimit {
			return fmt.Errorf("limit %d is out of range (1 to %d)", q.Limit, MaxLimit)
		}
	case TypeValues:
		if q.Dimension == "" {
			q.Dimension = DimService
		}
		if !slices.Contains(Dimensions, q.Dimension) {
			return fmt.Errorf("unknown dimension %q (want one of %s)", q.Dimension, join(Dimensions))
		}
	}
	for _, id := range append([]string{q.Metric}, q.Metrics...) {
		if id != "" && !metricKnown(id) {
			return fmt.Errorf("unknown metric %q", id)
		}
	}
	if q.Aggregation == "" {
		q.Aggregation = AggMedian
	}
	if !slices.Contains(Aggregations, q.Aggregation) {
		return fmt.Errorf("unknown aggregation %q (want one of %s)", q.Aggregation, join(Aggregations))
	}
	for _, d := range q.GroupBy {
		if !slices.Contains(Dimensions, d) {
			return fmt.Errorf("cannot group by %q (want one of %s)", d, join(Dimensions))
		}
	}
	if err := q.parseTimes(); err != nil {
		return err
	}
	return nil
}

func (q *Query) parseTimes() error {
	switch b := strings.TrimSpace(q.Bucket); b {
	case "", "auto":
		q.Bucket = "auto"
	default:
		step, err := gtime.ParseDuration(b)
		if err != nil || step <= 0 {
			return fmt.Errorf("bucket %q is not a duration (write auto, or for example 1h, 1d, 1w, 30d)", q.Bucket)
		}
		if err := checkStep(step); err != nil {
			return fmt.Errorf("bucket %q: %w", q.Bucket, err)
		}
		q.Step = step
	}
	if w := strings.TrimSpace(q.Window); w != "" {
		window, err := gtime.ParseDuration(w)
		if err != nil || window <= 0 {
			return fmt.Errorf("window %q is not a duration (leave it empty, or write for example 7d, 30d, 12h)", q.Window)
		}
		q.WindowLen = window
	}
	if q.Timezone != "" && !strings.EqualFold(q.Timezone, "utc") && q.Timezone != "browser" {
		loc, err := time.LoadLocation(q.Timezone)
		if err != nil {
			return fmt.Errorf("timezone %q is not an IANA time zone name such as Europe/Berlin", q.Timezone)
		}
		q.Location = loc
	}
	return nil
}

// checkStep accepts steps that tile a day (1h, 6h, 12h) or whole days, so
// that every local midnight starts a bucket. On a day of 23 or 25 hours the
// last sub-day bucket before midnight is shorter or longer.
func checkStep(step time.Duration) error {
	const day = 24 * time.Hour
	switch {
	case step < time.Minute:
		return fmt.Errorf("the smallest bucket is 1m")
	case step < day && day%step != 0:
		return fmt.Errorf("a bucket shorter than a day must divide 24h evenly")
	case step > day && step%day != 0:
		return fmt.Errorf("a bucket longer than a day must be whole days")
	}
	return nil
}

func join[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
