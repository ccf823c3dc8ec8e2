package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// One GraphQL query reads the commits (and, in a monorepo, the files) of
// many merged pull requests at once, where REST needs a request or two for
// each. Pull requests with more than a page of either are left to REST,
// which pages them; so is everything when GraphQL fails, which REST then
// explains with its own errors. Only a server that has no GraphQL API, or
// whose schema lacks a field the query asks for, loses GraphQL for good; a
// 5xx, a timeout or a refusal may pass, so the next fetch tries again.

// graphQLBatch is how many pull requests one query asks for; with 100
// commits and 100 files each it stays far below GitHub's node limit.
const graphQLBatch = 50

// errNoGraphQL marks an answer that shows GraphQL cannot work on this
// server, however often it is asked.
var errNoGraphQL = errors.New("github: the server has no GraphQL API the plugin can use")

type graphQLConn struct {
	PageInfo struct {
		HasNextPage bool `json:"hasNextPage"`
	} `json:"pageInfo"`
	Nodes []json.RawMessage `json:"nodes"`
}

// prefetchPulls stores the details of the pull requests GraphQL can give in
// full, so that pullDetail finds them. Only a rate limit is an error.
func (s *Source) prefetchPulls(ctx context.Context, r Repository, pulls []ghPull) error {
	fetch := s.fetches.Load() // zero before the first Fetch
	if s.noGraphQL.Load() || (fetch != 0 && s.restFetch.Load() == fetch) {
		return nil
	}
	var todo []ghPull
	s.mu.Lock()
	for _, p := range pulls {
		if _, ok := s.pulls[pullKey(r, p)]; !ok {
			todo = append(todo, p)
		}
	}
	s.mu.Unlock()

	for len(todo) > 0 {
		batch := todo[:min(graphQLBatch, len(todo))]
		todo = todo[len(batch):]
		err := s.queryPulls(ctx, r, batch)
		var limited *RateLimitError
		switch {
		case errors.As(err, &limited):
			return err
		case errors.Is(err, errNoGraphQL):
			s.noGraphQL.Store(true)
			return nil
		case err != nil:
			s.restFetch.Store(fetch) // REST reads them, and says what is wrong
			return nil
		}
	}
	return nil
}

func (s *Source) queryPulls(ctx context.Context, r Repository, batch []ghPull) error {
	files := len(r.Paths) > 0
	var q strings.Builder
	q.WriteString("query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) {")
	for _, p := range batch {
		fmt.Fprintf(&q, " p%d: pullRequest(number: %d) {", p.Number, p.Number)
		q.WriteString(" commits(first: 100) { pageInfo { hasNextPage } nodes { commit { authoredDate } } }")
		if files {
			q.WriteString(" files(first: 100) { pageInfo { hasNextPage } nodes { path } }")
		}
		q.WriteString(" }")
	}
	q.WriteString(" } }")
	payload, err := json.Marshal(map[string]any{
		"query":     q.String(),
		"variables": map[string]string{"owner": r.Owner, "name": r.Name},
	})
	if err != nil {
		return err
	}

	k := call{repo: r.FullName(), what: "the commits of its pull requests", permission: "Pull requests"}
	a, err := s.c.send(ctx, http.MethodPost, s.graphql.String(), nil, payload, k)
	if a.code == http.StatusNotFound {
		return fmt.Errorf("%w: %s answered 404", errNoGraphQL, s.graphql.Redacted())
	}
	if err != nil {
		return err
	}
	var out struct {
		Data struct {
			Repository map[string]*struct {
				Commits graphQLConn  `json:"commits"`
				Files   *graphQLConn `json:"files"`
			} `json:"repository"`
		} `json:"data"`
		Errors []graphQLError `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil {
		return fmt.Errorf("github: the GraphQL answer is not JSON: %w", err)
	}
	for _, e := range out.Errors {
		if e.undefinedField() {
			return fmt.Errorf("%w: %s", errNoGraphQL, e.Message)
		}
	}
	if len(out.Errors) > 0 && out.Data.Repository == nil {
		return fmt.Errorf("github: GraphQL answered %s: %s", out.Errors[0].Type, out.Errors[0].Message)
	}

	for _, p := range batch {
		pr := out.Data.Repository["p"+strconv.Itoa(p.Number)]
		if pr == nil || pr.Commits.PageInfo.HasNextPage || (files && (pr.Files == nil || pr.Files.PageInfo.HasNextPage)) {
			continue // REST pages it
		}
		d, ok := detailFromGraphQL(pr.Commits, pr.Files)
		if !ok {
			continue
		}
		s.mu.Lock()
		s.pulls[pullKey(r, p)] = d
		s.mu.Unlock()
	}
	return nil
}

type graphQLError struct {
	Type       string `json:"type"`
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// undefinedField reports a schema error: the query names a field the
// server's schema does not have, as an older GitHub Enterprise Server may
// not. GitHub sets the code undefinedField; the message is the fallback.
func (e graphQLError) undefinedField() bool {
	return e.Extensions.Code == "undefinedField" || strings.Contains(e.Message, "doesn't exist on type")
}

func detailFromGraphQL(commits graphQLConn, files *graphQLConn) (pullDetail, bool) {
	var d pullDetail
	for _, raw := range commits.Nodes {
		var n struct {
			Commit struct {
				AuthoredDate time.Time `json:"authoredDate"`
			} `json:"commit"`
		}
		if json.Unmarshal(raw, &n) != nil {
			return d, false
		}
		if at := n.Commit.AuthoredDate; !at.IsZero() && (d.firstAuthored.IsZero() || at.Before(d.firstAuthored)) {
			d.firstAuthored = at
		}
	}
	if files == nil {
		return d, true
	}
	d.files = []string{}
	for _, raw := range files.Nodes {
		var n struct {
			Path string `json:"path"`
		}
		if json.Unmarshal(raw, &n) != nil {
			return d, false
		}
		d.files = append(d.files, n.Path)
	}
	return d, true
}

func pullKey(r Repository, p ghPull) string {
	return r.FullName() + "#" + strconv.Itoa(p.Number) + "@" + p.MergeCommitSHA
}
