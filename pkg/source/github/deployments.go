package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// deployment is a canonical deployment with the GitHub name an incident's
// cause line may use for it (a deployment id, a tag, a run id), and the
// SHAs it shipped.
type deployment struct {
	events.Deployment
	ref     string
	shipped []string
}

type ghDeployment struct {
	ID          int64     `json:"id"`
	SHA         string    `json:"sha"`
	Ref         string    `json:"ref"`
	Environment string    `json:"environment"`
	CreatedAt   time.Time `json:"created_at"`
}

type ghStatus struct {
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	LogURL    string    `json:"log_url"`
}

type ghRelease struct {
	ID          int64      `json:"id"`
	TagName     string     `json:"tag_name"`
	HTMLURL     string     `json:"html_url"`
	Draft       bool       `json:"draft"`
	Prerelease  bool       `json:"prerelease"`
	PublishedAt *time.Time `json:"published_at"`
}

type ghTag struct {
	Name   string `json:"name"`
	Commit struct {
		SHA string `json:"sha"`
	} `json:"commit"`
}

type ghRun struct {
	ID         int64     `json:"id"`
	RunNumber  int       `json:"run_number"`
	HeadSHA    string    `json:"head_sha"`
	Status     string    `json:"status"`
	Conclusion string    `json:"conclusion"`
	HTMLURL    string    `json:"html_url"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (s *Source) deployments(ctx context.Context, r Repository, rule Deployments) ([]deployment, error) {
	if rule.Service == "" {
		rule.Service = r.Service
	}
	switch rule.From {
	case FromReleases:
		return s.releases(ctx, r, rule)
	case FromWorkflow:
		return s.workflowRuns(ctx, r, rule)
	}
	if len(rule.Environments) == 0 {
		return s.deploymentsIn(ctx, r, rule, "")
	}
	names := make([]string, 0, len(rule.Environments))
	for name := range rule.Environments {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []deployment
	for _, name := range names {
		ds, err := s.deploymentsIn(ctx, r, rule, name)
		out = append(out, ds...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// deploymentsIn reads the deployments of one GitHub environment (all of
// them when env is empty) and the latest finished status of each.
func (s *Source) deploymentsIn(ctx context.Context, r Repository, rule Deployments, env string) ([]deployment, error) {
	q := url.Values{"per_page": {"100"}}
	if env != "" {
		q.Set("environment", env)
	}
	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name+"/deployments", q)
	k := call{repo: r.FullName(), what: "the deployments", permission: "Deployments"}
	since := s.since()
	var listed []ghDeployment
	err := eachItem(ctx, s.c, u, k, func(d ghDeployment) bool { // newest first
		if d.CreatedAt.Before(since) {
			return false
		}
		listed = append(listed, d)
		return true
	})
	if err != nil {
		return nil, err
	}

	statuses := make([]*ghStatus, len(listed))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * s.cfg.MaxInFlight)
	for i, d := range listed {
		g.Go(func() (err error) {
			statuses[i], err = s.finalStatus(gctx, r, d.ID)
			return err
		})
	}
	err = g.Wait()

	var out []deployment
	for i, d := range listed {
		st := statuses[i]
		if st == nil { // still running, or not read before a rate limit
			continue
		}
		status := events.DeploySuccess
		if st.State != "success" {
			status = events.DeployFailure
		}
		target := d.Environment
		if mapped, ok := rule.Environments[d.Environment]; ok && mapped != "" {
			target = mapped
		}
		out = append(out, deployment{
			Deployment: events.Deployment{
				Common: events.Common{
					ID:      r.FullName() + "/deployments/" + strconv.FormatInt(d.ID, 10),
					Service: rule.Service, Team: r.Team, URL: st.LogURL,
					Labels: map[string]string{"repository": r.FullName(), "github_environment": d.Environment, "ref": d.Ref},
				},
				Time: st.CreatedAt, Environment: target, Status: status, Commit: d.SHA,
			},
			ref: strconv.FormatInt(d.ID, 10),
		})
	}
	return out, err
}

// finalStatus returns the latest success, failure or error status of a
// deployment, or nil while it has none. An inactive status only says a
// later deployment replaced it, so it does not end a deployment.
func (s *Source) finalStatus(ctx context.Context, r Repository, id int64) (*ghStatus, error) {
	u := s.c.endpoint(fmt.Sprintf("/repos/%s/%s/deployments/%d/statuses", r.Owner, r.Name, id), url.Values{"per_page": {"100"}})
	k := call{repo: r.FullName(), what: fmt.Sprintf("the statuses of deployment %d", id), permission: "Deployments"}
	var found *ghStatus
	err := eachItem(ctx, s.c, u, k, func(st ghStatus) bool { // newest first
		switch st.State {
		case "success", "failure", "error":
			found = &st
			return false
		}
		return true
	})
	return found, err
}

// releases reads published releases, each deploying the commit its tag
// points at when it was published.
func (s *Source) releases(ctx context.Context, r Repository, rule Deployments) ([]deployment, error) {
	q := url.Values{"per_page": {"100"}}
	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name+"/releases", q)
	k := call{repo: r.FullName(), what: "the releases", permission: "Contents"}
	since := s.since()
	var rels []ghRelease
	err := eachItem(ctx, s.c, u, k, func(rel ghRelease) bool {
		if rel.Draft || rel.Prerelease || rel.PublishedAt == nil || !strings.HasPrefix(rel.TagName, rule.TagPrefix) {
			return true
		}
		if rel.PublishedAt.Before(since) {
			return false
		}
		rels = append(rels, rel)
		return true
	})
	if err != nil || len(rels) == 0 {
		return nil, err
	}

	tags, err := s.tags(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []deployment
	for _, rel := range rels {
		sha, ok := tags[rel.TagName]
		if !ok {
			continue // a tag deleted after its release was published
		}
		out = append(out, deployment{
			Deployment: events.Deployment{
				Common: events.Common{
					ID:      r.FullName() + "/releases/" + rel.TagName,
					Service: rule.Service, Team: r.Team, URL: rel.HTMLURL,
					Labels: map[string]string{"repository": r.FullName(), "tag": rel.TagName},
				},
				Time: *rel.PublishedAt, Environment: rule.Environment, Status: events.DeploySuccess, Commit: sha,
			},
			ref: rel.TagName,
		})
	}
	return out, nil
}

// tags maps every tag of the repository to its commit: one request per 100
// tags, where looking up each release's tag would cost one per release.
func (s *Source) tags(ctx context.Context, r Repository) (map[string]string, error) {
	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name+"/tags", url.Values{"per_page": {"100"}})
	k := call{repo: r.FullName(), what: "the tags", permission: "Metadata"}
	tags := make(map[string]string)
	err := eachItem(ctx, s.c, u, k, func(t ghTag) bool {
		tags[t.Name] = t.Commit.SHA
		return true
	})
	return tags, err
}

// workflowRuns reads the completed runs of one workflow: a successful run
// is a successful deployment, a failed or timed-out one a failed deployment;
// cancelled and skipped runs deployed nothing.
func (s *Source) workflowRuns(ctx context.Context, r Repository, rule Deployments) ([]deployment, error) {
	since := s.since()
	q := url.Values{
		"per_page": {"100"}, "status": {"completed"},
		"created": {">=" + since.UTC().Format("2006-01-02")},
	}
	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name+"/actions/workflows/"+url.PathEscape(rule.Workflow)+"/runs", q)
	k := call{
		repo: r.FullName(), what: "the runs of workflow " + rule.Workflow, permission: "Actions",
		notFound: fmt.Sprintf("github: %s has no workflow %q (404): check the workflow's file name (such as deploy.yml) and the repository",
			r.FullName(), rule.Workflow),
	}
	var out []deployment
	err := s.c.each(ctx, u, k, func(body []byte) (bool, error) {
		var page struct {
			WorkflowRuns []ghRun `json:"workflow_runs"`
		}
		if err := s.c.decode(body, u, &page); err != nil {
			return false, err
		}
		for _, run := range page.WorkflowRuns {
			var status events.DeployStatus
			switch run.Conclusion {
			case "success":
				status = events.DeploySuccess
			case "failure", "timed_out":
				status = events.DeployFailure
			default:
				continue
			}
			out = append(out, deployment{
				Deployment: events.Deployment{
					Common: events.Common{
						ID:      r.FullName() + "/actions/runs/" + strconv.FormatInt(run.ID, 10),
						Service: rule.Service, Team: r.Team, URL: run.HTMLURL,
						Labels: map[string]string{"repository": r.FullName(), "workflow": rule.Workflow},
					},
					Time: run.UpdatedAt, Environment: rule.Environment, Status: status, Commit: run.HeadSHA,
				},
				ref: strconv.FormatInt(run.ID, 10),
			})
		}
		return len(page.WorkflowRuns) > 0, nil
	})
	return out, err
}

// ship works out, per service and environment in time order, which changes
// each successful deployment ships, and which deployments are rollbacks.
func (s *Source) ship(ctx context.Context, r Repository, res *repoResult) error {
	type key struct{ service, env string }
	groups := map[key][]int{}
	var order []key
	for i, d := range res.deployments {
		k := key{d.Service, d.Environment}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		sort.SliceStable(idx, func(a, b int) bool {
			return res.deployments[idx[a]].Time.Before(res.deployments[idx[b]].Time)
		})
		if err := s.shipGroup(ctx, r, res, k.service, idx); err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) shipGroup(ctx context.Context, r Repository, res *repoResult, service string, idx []int) error {
	bySHA := map[string][]int{}
	for ci, c := range res.changes {
		if c.Service != service {
			continue
		}
		for _, sha := range c.shas {
			if sha != "" {
				bySHA[sha] = append(bySHA[sha], ci)
			}
		}
	}
	claimed := map[int]bool{}
	shipped := map[string]bool{} // every SHA a deployment of the group has shipped
	var prevAny, prevOK string

	for _, di := range idx {
		d := &res.deployments[di]
		if d.Status != events.DeploySuccess || d.Commit == "" {
			prevAny = d.Commit
			continue
		}
		switch {
		case shipped[d.Commit] && d.Commit != prevAny:
			d.Rollback = true
		case prevOK == "":
			s.shipFirst(r, res, d, service, claimed, shipped)
		case d.Commit != prevOK:
			shas, behind, err := s.compare(ctx, r, prevOK, d.Commit)
			var limited *RateLimitError
			if errors.As(err, &limited) {
				return err
			}
			if err != nil {
				res.report.Skip(fmt.Sprintf("%s: deployment %s ships nothing: %v", r.FullName(), d.ID, err))
				break
			}
			if behind {
				d.Rollback = true
				break
			}
			for _, sha := range shas {
				shipped[sha] = true
				for _, ci := range bySHA[sha] {
					if !claimed[ci] {
						claimed[ci] = true
						d.Changes = append(d.Changes, res.changes[ci].ID)
					}
				}
			}
			d.shipped = shas
		}
		shipped[d.Commit] = true
		prevOK, prevAny = d.Commit, d.Commit
	}
	return nil
}

// shipFirst gives the first deployment of a service the changes merged up
// to it, within the lookback; older ones are left out and counted, so that
// the first deployment seen does not take the whole history.
func (s *Source) shipFirst(r Repository, res *repoResult, d *deployment, service string, claimed map[int]bool, shipped map[string]bool) {
	from := d.Time.Add(-s.cfg.Lookback)
	left := 0
	for ci, c := range res.changes {
		if c.Service != service || claimed[ci] || c.Merged.After(d.Time) {
			continue
		}
		claimed[ci] = true
		if c.Merged.Before(from) {
			left++
			continue
		}
		d.Changes = append(d.Changes, c.ID)
		for _, sha := range c.shas {
			shipped[sha] = true
		}
		d.shipped = append(d.shipped, c.shas...)
	}
	if left > 0 {
		res.report.Skipped += left - 1
		res.report.Skip(fmt.Sprintf("%s: %d changes of %s merged more than %s before its first deployment (%s) are left out of lead time",
			r.FullName(), left, service, formatDays(s.cfg.Lookback), d.ID))
	}
}

// compare returns the SHAs of the commits between base and head, paged,
// and whether head is behind base (an older commit put back).
func (s *Source) compare(ctx context.Context, r Repository, base, head string) (shas []string, behind bool, err error) {
	key := r.FullName() + " " + base + "..." + head
	s.mu.Lock()
	memo, ok := s.compares[key]
	s.mu.Unlock()
	if ok {
		return memo, memo == nil, nil
	}

	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name+"/compare/"+base+"..."+head, url.Values{"per_page": {"100"}})
	k := call{
		repo: r.FullName(), what: "the compare of " + short(base) + "..." + short(head), permission: "Contents",
		notFound: fmt.Sprintf("github: %s cannot compare %s with %s (404): one of the commits is gone, perhaps force-pushed away",
			r.FullName(), short(base), short(head)),
	}
	shas = []string{}
	err = s.c.each(ctx, u, k, func(body []byte) (bool, error) {
		var page struct {
			Status  string     `json:"status"`
			Commits []ghCommit `json:"commits"`
		}
		if err := s.c.decode(body, u, &page); err != nil {
			return false, err
		}
		if page.Status == "behind" {
			behind = true
			return false, nil
		}
		for _, c := range page.Commits {
			shas = append(shas, c.SHA)
		}
		return len(page.Commits) > 0, nil
	})
	if err != nil {
		return nil, false, err
	}
	if behind {
		shas = nil
	}
	s.mu.Lock()
	s.compares[key] = shas
	s.mu.Unlock()
	return shas, behind, nil
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func formatDays(d time.Duration) string {
	days := d.Hours() / 24
	if days == float64(int(days)) {
		return strconv.Itoa(int(days)) + " days"
	}
	return d.String()
}
