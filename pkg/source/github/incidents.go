package github

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

type ghIssue struct {
	Number      int        `json:"number"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	State       string     `json:"state"`
	HTMLURL     string     `json:"html_url"`
	CreatedAt   time.Time  `json:"created_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	PullRequest *struct{}  `json:"pull_request"`
	Labels      []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

// incidents reads the issues with the incident label, open and closed.
func (s *Source) incidents(ctx context.Context, r Repository, res *repoResult) ([]events.Incident, error) {
	label := r.IncidentLabel
	if label == "" {
		label = s.cfg.IncidentLabel
	}
	q := url.Values{
		"labels": {label}, "state": {"all"}, "per_page": {"100"},
		"since": {s.since().UTC().Format(time.RFC3339)},
	}
	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name+"/issues", q)
	k := call{repo: r.FullName(), what: "the issues labelled " + label, permission: "Issues"}
	causes := newCauseIndex(s.cfg.Environment, res)

	var out []events.Incident
	err := eachItem(ctx, s.c, u, k, func(is ghIssue) bool {
		if is.PullRequest == nil { // the issues listing includes pull requests
			out = append(out, s.toIncident(r, is, causes))
		}
		return true
	})
	return out, err
}

func (s *Source) toIncident(r Repository, is ghIssue, causes *causeIndex) events.Incident {
	in := events.Incident{
		Common: events.Common{
			ID:      r.FullName() + "/issues/" + strconv.Itoa(is.Number),
			Service: r.Service, Team: r.Team, URL: is.HTMLURL,
			Labels: map[string]string{"repository": r.FullName(), "title": is.Title},
		},
		Opened: is.CreatedAt,
	}
	if is.State == "closed" && is.ClosedAt != nil {
		in.Resolved = *is.ClosedAt
	}
	for _, l := range is.Labels {
		name := strings.TrimSpace(l.Name)
		lower := strings.ToLower(name)
		switch {
		case strings.HasPrefix(lower, "service:"):
			in.Service = strings.TrimSpace(name[len("service:"):])
		case strings.HasPrefix(lower, "severity:"):
			in.Severity = strings.TrimSpace(name[len("severity:"):])
		case severityLabel.MatchString(lower):
			in.Severity = lower
		}
	}
	if cause, ok := causeLine(is.Body); ok {
		in.Labels["cause"] = cause
		in.Deployment = causes.resolve(cause)
	}
	return in
}

var (
	severityLabel = regexp.MustCompile(`^(sev|p)[0-9]$`)
	causePrefix   = regexp.MustCompile(`(?i)^\s*[*_]*caused?(?: by)?[*_]*\s*:\s*[*_]*\s*(.+?)\s*$`)
	causeDeploy   = regexp.MustCompile(`(?i)^deployment\s+(\S+)$`)
	causePull     = regexp.MustCompile(`(?i)^(?:pr\s*|pull request\s*)?#([0-9]+)$|/pull/([0-9]+)\b`)
	causeSHA      = regexp.MustCompile(`(?i)^(?:commit\s+)?([0-9a-f]{7,40})$`)
)

// causeLine returns the text after "Cause:" (or "Caused by:") on the first
// line of the issue body that starts with it.
func causeLine(body string) (string, bool) {
	for _, line := range strings.Split(body, "\n") {
		if m := causePrefix.FindStringSubmatch(strings.TrimRight(line, "\r")); m != nil {
			return strings.Trim(m[1], "`"), true
		}
	}
	return "", false
}

// causeIndex finds the deployment a cause line names.
type causeIndex struct {
	env     string
	byRef   map[string]string // GitHub id, tag or run id → deployment id
	bySHA   map[string]string // commit → the first successful deployment to ship it
	byPull  map[int]string    // pull request number → the deployment that shipped it
	commits []string
}

func newCauseIndex(env string, res *repoResult) *causeIndex {
	ci := &causeIndex{env: env, byRef: map[string]string{}, bySHA: map[string]string{}, byPull: map[int]string{}}
	changeNumber := map[string]int{}
	for _, c := range res.changes {
		changeNumber[c.ID] = c.number
	}
	for _, d := range earliestFirst(res.deployments) {
		ci.byRef[d.ref] = d.ID
		ci.byRef[d.ID] = d.ID
		if d.Environment != env || d.Status != events.DeploySuccess {
			continue
		}
		for _, sha := range append([]string{d.Commit}, d.shipped...) {
			if _, seen := ci.bySHA[sha]; !seen && sha != "" {
				ci.bySHA[sha] = d.ID
				ci.commits = append(ci.commits, sha)
			}
		}
		for _, id := range d.Changes {
			if n, ok := changeNumber[id]; ok {
				if _, seen := ci.byPull[n]; !seen {
					ci.byPull[n] = d.ID
				}
			}
		}
	}
	return ci
}

func earliestFirst(ds []deployment) []deployment {
	out := append([]deployment(nil), ds...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Time.Before(out[j-1].Time); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// resolve returns the id of the deployment a cause names, or "" when it
// names none this source knows; the attribution window then applies.
func (ci *causeIndex) resolve(cause string) string {
	if m := causeDeploy.FindStringSubmatch(cause); m != nil {
		return ci.byRef[strings.TrimPrefix(m[1], "#")]
	}
	if m := causePull.FindStringSubmatch(cause); m != nil {
		n, _ := strconv.Atoi(m[1] + m[2])
		return ci.byPull[n]
	}
	if m := causeSHA.FindStringSubmatch(cause); m != nil {
		sha := strings.ToLower(m[1])
		for _, full := range ci.commits {
			if strings.HasPrefix(full, sha) {
				return ci.bySHA[full]
			}
		}
	}
	return ""
}
