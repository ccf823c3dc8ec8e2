package mlflow

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The REST API's objects, with the fields this package reads. Times are
// milliseconds since the epoch.

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type alias struct {
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

type experiment struct {
	ID             string `json:"experiment_id"`
	Name           string `json:"name"`
	LifecycleStage string `json:"lifecycle_stage"`
	CreationTime   millis `json:"creation_time"`
	Tags           []tag  `json:"tags"`
}

type run struct {
	Info struct {
		ID           string `json:"run_id"`
		ExperimentID string `json:"experiment_id"`
		Name         string `json:"run_name"`
		Status       string `json:"status"`
		StartTime    millis `json:"start_time"`
		EndTime      millis `json:"end_time"`
	} `json:"info"`
	Data struct {
		Tags []tag `json:"tags"`
	} `json:"data"`
}

type registeredModel struct {
	Name           string         `json:"name"`
	Created        millis         `json:"creation_timestamp"`
	LatestVersions []modelVersion `json:"latest_versions"`
	Aliases        []alias        `json:"aliases"`
	Tags           []tag          `json:"tags"`
}

type modelVersion struct {
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	Created      millis   `json:"creation_timestamp"`
	LastUpdated  millis   `json:"last_updated_timestamp"`
	CurrentStage string   `json:"current_stage"`
	Status       string   `json:"status"`
	RunID        string   `json:"run_id"`
	Tags         []tag    `json:"tags"`
	Aliases      []string `json:"aliases"`
}

func tagValue(tags []tag, key string) (string, bool) {
	for _, t := range tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// searchExperiments lists the active experiments, every page.
func (c *Client) searchExperiments(ctx context.Context) ([]experiment, error) {
	var all []experiment
	token := ""
	for {
		var page struct {
			Experiments []experiment `json:"experiments"`
			NextToken   string       `json:"next_page_token"`
		}
		body := map[string]any{"max_results": c.cfg.PageSize, "view_type": "ACTIVE_ONLY"}
		if token != "" {
			body["page_token"] = token
		}
		if err := c.post(ctx, "experiments/search", body, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Experiments...)
		if token = page.NextToken; token == "" {
			return all, nil
		}
	}
}

// experimentsPerSearch bounds the experiment ids of one runs/search.
const experimentsPerSearch = 100

// searchRuns lists the active runs of the experiments, every page.
func (c *Client) searchRuns(ctx context.Context, ids []string) ([]run, error) {
	var all []run
	for len(ids) > 0 {
		batch := ids[:min(len(ids), experimentsPerSearch)]
		ids = ids[len(batch):]
		token := ""
		for {
			var page struct {
				Runs      []run  `json:"runs"`
				NextToken string `json:"next_page_token"`
			}
			body := map[string]any{"experiment_ids": batch, "max_results": c.cfg.PageSize, "run_view_type": "ACTIVE_ONLY"}
			if token != "" {
				body["page_token"] = token
			}
			if err := c.post(ctx, "runs/search", body, &page); err != nil {
				return nil, err
			}
			all = append(all, page.Runs...)
			if token = page.NextToken; token == "" {
				break
			}
		}
	}
	return all, nil
}

// searchModels lists the registered models with their aliases and latest
// versions, every page.
func (c *Client) searchModels(ctx context.Context) ([]registeredModel, error) {
	var all []registeredModel
	token := ""
	for {
		var page struct {
			Models    []registeredModel `json:"registered_models"`
			NextToken string            `json:"next_page_token"`
		}
		q := url.Values{"max_results": {strconv.Itoa(min(c.cfg.PageSize, 1000))}} // the server's ceiling
		if token != "" {
			q.Set("page_token", token)
		}
		if err := c.get(ctx, "registered-models/search", q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Models...)
		if token = page.NextToken; token == "" {
			return all, nil
		}
	}
}

// searchVersions lists every version of one registered model.
func (c *Client) searchVersions(ctx context.Context, model string) ([]modelVersion, error) {
	var all []modelVersion
	token := ""
	for {
		var page struct {
			Versions  []modelVersion `json:"model_versions"`
			NextToken string         `json:"next_page_token"`
		}
		q := url.Values{"max_results": {strconv.Itoa(c.cfg.PageSize)}}
		filter, byServer := nameFilter(model)
		if byServer {
			q.Set("filter", filter)
		}
		if token != "" {
			q.Set("page_token", token)
		}
		if err := c.get(ctx, "model-versions/search", q, &page); err != nil {
			return nil, fmt.Errorf("%w (reading the versions of the model %q)", err, model)
		}
		for _, v := range page.Versions {
			if byServer || v.Name == model {
				all = append(all, v)
			}
		}
		if token = page.NextToken; token == "" {
			return all, nil
		}
	}
}

// nameFilter is the search filter for one model's versions. MLflow's
// filter parser keeps a backslash before a quote, so a name with a single
// quote is quoted with double quotes instead. A name with both kinds cannot
// be written: ok is false, and the client picks the model's versions out of
// all of them.
func nameFilter(model string) (filter string, ok bool) {
	switch single, double := strings.Contains(model, "'"), strings.Contains(model, `"`); {
	case single && double:
		return "", false
	case single:
		return `name="` + model + `"`, true
	}
	return "name='" + model + "'", true
}

// millis is a time in milliseconds since the epoch. The server writes it
// as a number; proto3 JSON writers send a string, so both are read.
type millis int64

func (m *millis) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*m = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("time %s is not milliseconds since the epoch", b)
	}
	*m = millis(n)
	return nil
}

func (m millis) time() time.Time {
	if m <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m)).UTC()
}
