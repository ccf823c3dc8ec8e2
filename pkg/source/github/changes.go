package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

type ghPull struct {
	Number         int        `json:"number"`
	Title          string     `json:"title"`
	HTMLURL        string     `json:"html_url"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	MergedAt       *time.Time `json:"merged_at"`
	MergeCommitSHA string     `json:"merge_commit_sha"`
	Head           struct {
		SHA string `json:"sha"`
	} `json:"head"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

type ghCommit struct {
	SHA    string `json:"sha"`
	Commit struct {
		Author struct {
			Date time.Time `json:"date"`
		} `json:"author"`
	} `json:"commit"`
}

type ghFile struct {
	Filename         string `json:"filename"`
	PreviousFilename string `json:"previous_filename"`
}

// pullDetail is what the commits and files of a merged pull request say.
// It cannot change once merged, so it is read once per Source.
type pullDetail struct {
	firstAuthored time.Time
	files         []string // nil unless the repository maps paths
}

// change is a canonical change with the SHAs that identify it in a compare:
// its merge (or squash) commit and the head of its branch.
type change struct {
	events.Change
	number int
	shas   []string
}

// changes lists the pull requests merged into the default branch, newest
// update first, down to the start of the history.
func (s *Source) changes(ctx context.Context, r Repository, branch string) ([]change, error) {
	q := url.Values{
		"state": {"closed"}, "base": {branch}, "sort": {"updated"},
		"direction": {"desc"}, "per_page": {"100"},
	}
	u := s.c.endpoint("/repos/"+r.Owner+"/"+r.Name+"/pulls", q)
	k := call{repo: r.FullName(), what: "the pull requests", permission: "Pull requests"}
	since := s.since()

	var merged []ghPull
	err := eachItem(ctx, s.c, u, k, func(p ghPull) bool {
		if p.UpdatedAt.Before(since) {
			return false
		}
		if p.MergedAt != nil {
			merged = append(merged, p)
		}
		return true
	})
	if err != nil {
		return nil, err
	}

	if err := s.prefetchPulls(ctx, r, merged); err != nil {
		return nil, err
	}
	details := make([]pullDetail, len(merged))
	read := make([]bool, len(merged))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * s.cfg.MaxInFlight)
	for i, p := range merged {
		g.Go(func() (err error) {
			details[i], err = s.pullDetail(gctx, r, p)
			read[i] = err == nil
			return err
		})
	}
	err = g.Wait()
	var limited *RateLimitError
	if err != nil && !errors.As(err, &limited) {
		return nil, err
	}

	// After a rate limit, the pull requests whose commits were read are
	// kept and the caller reports the rest.
	var out []change
	for i, p := range merged {
		if read[i] {
			out = append(out, s.toChanges(r, p, details[i])...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Merged.Before(out[j].Merged) })
	return out, err
}

func (s *Source) pullDetail(ctx context.Context, r Repository, p ghPull) (pullDetail, error) {
	key := pullKey(r, p)
	s.mu.Lock()
	d, ok := s.pulls[key]
	s.mu.Unlock()
	if ok {
		return d, nil
	}

	base := "/repos/" + r.Owner + "/" + r.Name + "/pulls/" + strconv.Itoa(p.Number)
	q := url.Values{"per_page": {"100"}}
	u := s.c.endpoint(base+"/commits", q)
	k := call{repo: r.FullName(), what: fmt.Sprintf("the commits of pull request #%d", p.Number), permission: "Pull requests"}
	err := eachItem(ctx, s.c, u, k, func(c ghCommit) bool {
		at := c.Commit.Author.Date
		if !at.IsZero() && (d.firstAuthored.IsZero() || at.Before(d.firstAuthored)) {
			d.firstAuthored = at
		}
		return true
	})
	if err != nil {
		return d, err
	}

	if len(r.Paths) > 0 {
		u := s.c.endpoint(base+"/files", q)
		k := call{repo: r.FullName(), what: fmt.Sprintf("the files of pull request #%d", p.Number), permission: "Pull requests"}
		d.files = []string{}
		err := eachItem(ctx, s.c, u, k, func(f ghFile) bool {
			d.files = append(d.files, f.Filename)
			if f.PreviousFilename != "" {
				d.files = append(d.files, f.PreviousFilename)
			}
			return true
		})
		if err != nil {
			return d, err
		}
	}

	s.mu.Lock()
	s.pulls[key] = d
	s.mu.Unlock()
	return d, nil
}

// toChanges makes one change per service the pull request belongs to.
func (s *Source) toChanges(r Repository, p ghPull, d pullDetail) []change {
	labels := map[string]string{"repository": r.FullName()}
	if len(p.Labels) > 0 {
		names := make([]string, len(p.Labels))
		for i, l := range p.Labels {
			names[i] = l.Name
		}
		labels["labels"] = strings.Join(names, ",")
	}
	c := events.Change{
		Common: events.Common{
			ID:      r.FullName() + "/pull/" + strconv.Itoa(p.Number),
			Service: r.Service,
			Team:    r.Team,
			URL:     p.HTMLURL,
			Labels:  labels,
		},
		Time:   d.firstAuthored,
		Commit: p.MergeCommitSHA,
		Opened: p.CreatedAt,
		Merged: *p.MergedAt,
		Title:  p.Title,
		Type:   events.ChangeCode,
	}
	if c.Time.IsZero() {
		c.Time, c.TimeFromMerged = c.Merged, true
	}
	shas := []string{p.MergeCommitSHA, p.Head.SHA}
	if len(r.Paths) == 0 {
		return []change{{Change: c, number: p.Number, shas: shas}}
	}

	// In a monorepo a commit is shared by the changes of several services,
	// and the engine ships a change by its commit to a deployment of any
	// service; the SHA is kept as a label so only this package links it.
	c.Commit = ""
	labels["commit"] = p.MergeCommitSHA
	owners := servicesOf(r.Paths, d.files)
	if len(owners) == 0 {
		return []change{{Change: c, number: p.Number, shas: shas}}
	}
	out := make([]change, 0, len(owners))
	for _, o := range owners {
		sc := c
		sc.Labels = maps.Clone(labels)
		sc.Service, sc.Team = o.Service, o.Team
		if sc.Team == "" {
			sc.Team = r.Team
		}
		if len(owners) > 1 {
			sc.ID = c.ID + "/" + o.Service
		}
		out = append(out, change{Change: sc, number: p.Number, shas: shas})
	}
	return out
}
