package events_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

func read(t *testing.T, input string) (*events.Set, events.Report) {
	t.Helper()
	set, rep, err := events.Read(strings.NewReader(input))
	require.NoError(t, err)
	return set, rep
}

func TestReadAcceptsEveryKind(t *testing.T) {
	input := `
{"kind":"change","id":"c1","service":"svc","team":"t","time":"2026-01-01T09:00:00Z","opened":"2026-01-01T10:00:00Z","merged":"2026-01-02T09:00:00+01:00","commit":"abc","title":"Add","type":"model","url":"https://x/1","labels":{"repo":"r"}}
{"kind":"deployment","id":"d1","service":"svc","time":"2026-01-02T12:00:00.5Z","status":"success","changes":["c1"],"commits":["abc"],"commit":"abc","model":"m","model_version":"3","rollback":true}
{"kind":"incident","id":7,"service":"svc","opened":"2026-01-03T00:00:00Z","resolved":"2026-01-03T01:00:00Z","deployment":"d1","severity":"sev1"}
{"kind":"run","id":"r1","service":"svc","time":"2026-01-01T00:00:00Z","end":"2026-01-01T00:10:00Z","status":"failed","experiment":"e"}
{"kind":"milestone","id":"m1","service":"svc","time":"2025-12-01T00:00:00Z","name":"kickoff"}
`
	set, rep := read(t, input)
	require.Equal(t, events.Report{Kept: 5}, rep)

	c := set.Changes[0]
	require.Equal(t, "c1", c.ID)
	require.Equal(t, events.ChangeModel, c.Type)
	require.Equal(t, time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC), c.Merged.UTC(), "an offset is honoured")
	require.Equal(t, map[string]string{"repo": "r"}, c.Labels)
	require.False(t, c.TimeFromMerged)

	d := set.Deployments[0]
	require.Equal(t, events.DefaultEnvironment, d.Environment, "environment defaults to production")
	require.Equal(t, 500*time.Millisecond, d.Time.Sub(time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)))
	require.True(t, d.Rollback)
	require.Equal(t, []string{"c1"}, d.Changes)
	require.Equal(t, "3", d.ModelVersion)

	require.Equal(t, "7", set.Incidents[0].ID, "a numeric id is read as its decimal string")
	require.False(t, set.Incidents[0].Open())
	require.Equal(t, events.RunFailed, set.Runs[0].Status)
	require.Equal(t, "kickoff", set.Milestones[0].Name)
}

func TestReadDefaults(t *testing.T) {
	set, rep := read(t, `[
 {"kind":"change","id":"c1","service":"s","merged":"2026-01-02T00:00:00Z"},
 {"kind":"run","id":"r1","service":"s","time":"2026-01-01T00:00:00Z"},
 {"kind":"run","id":"r2","service":"s","time":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:01Z"},
 {"kind":"incident","id":"i1","service":"s","opened":"2026-01-01T00:00:00Z"}
]`)
	require.Equal(t, 4, rep.Kept)
	c := set.Changes[0]
	require.True(t, c.TimeFromMerged, "a change with only merged is marked")
	require.Equal(t, c.Merged, c.Time, "merged stands in for time")
	require.Equal(t, events.ChangeCode, c.Type, "type defaults to code")
	require.Equal(t, events.RunRunning, set.Runs[0].Status, "a run without end is running")
	require.Equal(t, events.RunFinished, set.Runs[1].Status, "a run with an end is finished")
	require.True(t, set.Incidents[0].Open())
}

func TestReadSkipsBadEventsAndKeepsTheRest(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		reason string
	}{
		{"an object without kind", `{"id":"x","service":"s"}`, "line 2: field kind is missing"},
		{"an unknown kind", `{"kind":"build","id":"x","service":"s"}`, `unknown kind "build"`},
		{"a change without id", `{"kind":"change","service":"s","time":"2026-01-01T00:00:00Z"}`, "field id is missing"},
		{"an event without service", `{"kind":"run","id":"x","time":"2026-01-01T00:00:00Z"}`, "field service is missing"},
		{"a time that is not RFC 3339", `{"kind":"change","id":"x","service":"s","time":"yesterday"}`, `field time is "yesterday", not an RFC 3339 time`},
		{"a change with neither time nor merged", `{"kind":"change","id":"x","service":"s"}`, "no merged time"},
		{"an unknown change type", `{"kind":"change","id":"x","service":"s","time":"2026-01-01T00:00:00Z","type":"docs"}`, `field type is "docs"`},
		{"a deployment without status", `{"kind":"deployment","id":"x","service":"s","time":"2026-01-01T00:00:00Z"}`, "field status is missing"},
		{"an unknown deployment status", `{"kind":"deployment","id":"x","service":"s","time":"2026-01-01T00:00:00Z","status":"ok"}`, `field status is "ok"`},
		{"changes that are not strings", `{"kind":"deployment","id":"x","service":"s","time":"2026-01-01T00:00:00Z","status":"success","changes":[1]}`, "field changes is not an array of strings"},
		{"rollback that is not a boolean", `{"kind":"deployment","id":"x","service":"s","time":"2026-01-01T00:00:00Z","status":"success","rollback":"yes"}`, "field rollback is not true or false"},
		{"an incident resolved before it opened", `{"kind":"incident","id":"x","service":"s","opened":"2026-01-02T00:00:00Z","resolved":"2026-01-01T00:00:00Z"}`, "is before opened"},
		{"a run that ends before it starts", `{"kind":"run","id":"x","service":"s","time":"2026-01-02T00:00:00Z","end":"2026-01-01T00:00:00Z"}`, "is before time"},
		{"a milestone without name", `{"kind":"milestone","id":"x","service":"s","time":"2026-01-01T00:00:00Z"}`, "field name is missing"},
		{"labels that are not strings", `{"kind":"milestone","id":"x","service":"s","time":"2026-01-01T00:00:00Z","name":"n","labels":{"a":1}}`, "field labels is not an object of strings"},
		{"a line that is not JSON", `{"kind":`, "line 2: not a JSON object"},
		{"a JSON value that is not an object", `[1,2]`, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := `{"kind":"milestone","id":"before","service":"s","time":"2026-01-01T00:00:00Z","name":"kickoff"}` + "\n" +
				tt.line + "\n" +
				`{"kind":"milestone","id":"after","service":"s","time":"2026-01-01T00:00:00Z","name":"baseline"}` + "\n"
			set, rep := read(t, input)
			require.Equal(t, 1, rep.Skipped)
			require.Equal(t, 2, rep.Kept, "the neighbours are kept")
			require.Len(t, set.Milestones, 2)
			require.Len(t, rep.Reasons, 1)
			require.Contains(t, rep.Reasons[0], tt.reason)
		})
	}
}

func TestReadCountsAllButKeepsFiveReasons(t *testing.T) {
	var b strings.Builder
	for range 12 {
		b.WriteString("not json\n")
	}
	b.WriteString(`{"kind":"milestone","id":"m","service":"s","time":"2026-01-01T00:00:00Z","name":"kickoff"}`)
	_, rep := read(t, b.String())
	require.Equal(t, 12, rep.Skipped)
	require.Len(t, rep.Reasons, events.MaxReasons)
	require.Contains(t, rep.String(), "1 events read, 12 skipped: line 1:")
	require.True(t, strings.HasSuffix(rep.String(), "; and 7 more"), rep.String())
}

func TestReadKeepsTheFirstOfADuplicateID(t *testing.T) {
	set, rep := read(t, `{"kind":"change","id":"c","service":"a","time":"2026-01-01T00:00:00Z"}
{"kind":"change","id":"c","service":"b","time":"2026-01-01T00:00:00Z"}
{"kind":"run","id":"c","service":"b","time":"2026-01-01T00:00:00Z"}`)
	require.Equal(t, 1, rep.Skipped)
	require.Contains(t, rep.Reasons[0], `change "c": duplicate id`)
	require.Equal(t, "a", set.Changes[0].Service)
	require.Len(t, set.Runs, 1, "ids are unique per kind, not across kinds")
}

func TestReadKeepsUnknownScalarsAsLabels(t *testing.T) {
	set, _ := read(t, `{"kind":"run","id":"r","service":"s","time":"2026-01-01T00:00:00Z","gpu":"a100","epochs":12,"ok":true,"nested":{"a":1},"list":[1],"labels":{"gpu":"given"}}`)
	require.Equal(t, map[string]string{"gpu": "given", "epochs": "12", "ok": "true"}, set.Runs[0].Labels)
}

func TestReadArraySyntaxErrorKeepsWhatCameBefore(t *testing.T) {
	set, rep := read(t, `[{"kind":"milestone","id":"a","service":"s","time":"2026-01-01T00:00:00Z","name":"kickoff"},
 {"kind":"milestone","id":"b","service":"s","time":"2026-01-01T00:00:00Z","name":"x"} oops, {"kind":"milestone"}]`)
	require.Len(t, set.Milestones, 2)
	require.Equal(t, 1, rep.Skipped)
	require.Contains(t, rep.Reasons[0], "item 3: invalid JSON")
	require.Contains(t, rep.Reasons[0], "the rest of the array was not read")
}

func TestReadEmptyAndBOM(t *testing.T) {
	set, rep := read(t, "  \n\n")
	require.Zero(t, set.Len())
	require.Equal(t, events.Report{}, rep)

	set, rep = read(t, "\ufeff"+`[{"kind":"milestone","id":"a","service":"s","time":"2026-01-01T00:00:00Z","name":"kickoff"}]`)
	require.Equal(t, 1, set.Len())
	require.Zero(t, rep.Skipped)
}

func TestReadLongLine(t *testing.T) {
	// A line far longer than the reader's buffer is still one event.
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = `"change-with-a-long-identifier-` + strings.Repeat("x", 20) + `"`
	}
	line := `{"kind":"deployment","id":"d","service":"s","time":"2026-01-01T00:00:00Z","status":"success","changes":[` +
		strings.Join(ids, ",") + `]}`
	set, rep := read(t, line)
	require.Zero(t, rep.Skipped)
	require.Len(t, set.Deployments[0].Changes, 20000)
}

func sharedData(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		p := filepath.Join(dir, "shared", "data", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared/data/%s not found above the package", name)
		}
		dir = parent
	}
}

// TestReadKedroHistory reads the real history and checks the counts against
// a plain scan of its lines.
func TestReadKedroHistory(t *testing.T) {
	path := sharedData(t, "kedro-history.ndjson")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)

	unique := map[string]map[string]bool{}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var head struct{ Kind, ID string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &head))
		if unique[head.Kind] == nil {
			unique[head.Kind] = map[string]bool{}
		}
		unique[head.Kind][head.ID] = true
		lines++
	}

	set, rep, err := events.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	for _, k := range events.Kinds {
		require.Equal(t, len(unique[string(k)]), set.Count(k), "kind %s", k)
	}
	require.Equal(t, lines, rep.Kept+rep.Skipped)
	require.Equal(t, lines-set.Len(), rep.Skipped, "only duplicates are skipped")
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(filepath.Join("..", "..", "schema", "events.schema.json"))
	require.NoError(t, err)
	return s
}

// TestSchemaAgreesWithReader checks that the JSON Schema accepts what the
// reader keeps and rejects what it skips for a reason the schema can state.
func TestSchemaAgreesWithReader(t *testing.T) {
	schema := compileSchema(t)
	valid := []string{
		`{"kind":"change","id":"c","service":"s","time":"2026-01-01T00:00:00Z","type":"data"}`,
		`{"kind":"change","id":"c","service":"s","merged":"2026-01-01T00:00:00Z"}`,
		`{"kind":"deployment","id":3,"service":"s","time":"2026-01-01T00:00:00Z","status":"failure","rollback":false,"extra":1}`,
		`{"kind":"incident","id":"i","service":"s","opened":"2026-01-01T00:00:00Z"}`,
		`{"kind":"run","id":"r","service":"s","time":"2026-01-01T00:00:00Z","status":"killed"}`,
		`{"kind":"milestone","id":"m","service":"s","time":"2026-01-01T00:00:00Z","name":"bootstrap"}`,
	}
	invalid := []string{
		`{"id":"x","service":"s"}`,
		`{"kind":"build","id":"x","service":"s"}`,
		`{"kind":"change","id":"x","service":"s"}`,
		`{"kind":"change","id":"x","service":"s","time":"yesterday"}`,
		`{"kind":"change","id":"x","service":"s","time":"2026-01-01T00:00:00Z","type":"docs"}`,
		`{"kind":"deployment","id":"x","service":"s","time":"2026-01-01T00:00:00Z"}`,
		`{"kind":"deployment","id":"x","service":"s","time":"2026-01-01T00:00:00Z","status":"ok"}`,
		`{"kind":"incident","id":"x","service":"s"}`,
		`{"kind":"milestone","id":"x","service":"s","time":"2026-01-01T00:00:00Z"}`,
	}
	for _, doc := range valid {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		require.NoError(t, err)
		require.NoError(t, schema.Validate(v), doc)
		_, rep := read(t, doc)
		require.Zero(t, rep.Skipped, doc)
	}
	for _, doc := range invalid {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		require.NoError(t, err)
		require.Error(t, schema.Validate(v), doc)
		_, rep := read(t, doc)
		require.Equal(t, 1, rep.Skipped, doc)
	}
}

func TestSchemaAcceptsKedroHistory(t *testing.T) {
	schema := compileSchema(t)
	f, err := os.Open(sharedData(t, "kedro-history.ndjson"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(sc.Bytes()))
		require.NoError(t, err)
		require.NoError(t, schema.Validate(v), "line %d", n)
	}
}

func TestBuilderMergesSources(t *testing.T) {
	first, _ := read(t, `{"kind":"milestone","id":"m","service":"a","time":"2026-01-01T00:00:00Z","name":"kickoff"}`)
	second, secondRep := read(t, `{"kind":"milestone","id":"m","service":"b","time":"2026-01-01T00:00:00Z","name":"kickoff"}
{"kind":"milestone","id":"n","service":"b","time":"2026-01-01T00:00:00Z","name":"kickoff"}
broken`)
	b := events.NewBuilder()
	b.AddSet(first, events.Report{Kept: 1})
	b.AddSet(second, secondRep)
	set, rep := b.Set(), b.Report()
	require.Len(t, set.Milestones, 2)
	require.Equal(t, "a", set.Milestones[0].Service, "the earlier source wins")
	require.Equal(t, 2, rep.Kept)
	require.Equal(t, 2, rep.Skipped, "the broken line and the duplicate")
}
