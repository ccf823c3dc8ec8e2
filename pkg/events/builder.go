package events

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Builder collects events from any number of sources into one Set, skipping
// invalid events and repeated ids of the same kind. The zero value is not
// usable; call NewBuilder.
type Builder struct {
	set    Set
	report Report
	seen   map[Kind]map[string]struct{}
	// scratch holds the fields of the object being read.
	scratch []field
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	b := &Builder{seen: make(map[Kind]map[string]struct{}, len(Kinds))}
	for _, k := range Kinds {
		b.seen[k] = make(map[string]struct{})
	}
	return b
}

// Set returns the events collected so far. The builder must not be used
// after Set.
func (b *Builder) Set() *Set { return &b.set }

// Report returns what the builder kept and skipped.
func (b *Builder) Report() Report { return b.report }

// AddSet adds every event of s, skipping ids already present.
func (b *Builder) AddSet(s *Set, rep Report) {
	b.report.Skipped += rep.Skipped
	for _, reason := range rep.Reasons {
		if len(b.report.Reasons) < MaxReasons {
			b.report.Reasons = append(b.report.Reasons, reason)
		}
	}
	for i := range s.Changes {
		b.AddChange(s.Changes[i])
	}
	for i := range s.Deployments {
		b.AddDeployment(s.Deployments[i])
	}
	for i := range s.Incidents {
		b.AddIncident(s.Incidents[i])
	}
	for i := range s.Runs {
		b.AddRun(s.Runs[i])
	}
	for i := range s.Milestones {
		b.AddMilestone(s.Milestones[i])
	}
}

func (b *Builder) claim(k Kind, id string) bool {
	ids := b.seen[k]
	if _, dup := ids[id]; dup {
		b.report.Skip(fmt.Sprintf("%s %q: duplicate id, the first one is kept", k, id))
		return false
	}
	ids[id] = struct{}{}
	b.report.Kept++
	return true
}

// AddChange adds a change that has already been validated.
func (b *Builder) AddChange(c Change) {
	if b.claim(KindChange, c.ID) {
		b.set.Changes = append(b.set.Changes, c)
	}
}

// AddDeployment adds a deployment that has already been validated.
func (b *Builder) AddDeployment(d Deployment) {
	if b.claim(KindDeployment, d.ID) {
		b.set.Deployments = append(b.set.Deployments, d)
	}
}

// AddIncident adds an incident that has already been validated.
func (b *Builder) AddIncident(i Incident) {
	if b.claim(KindIncident, i.ID) {
		b.set.Incidents = append(b.set.Incidents, i)
	}
}

// AddRun adds a run that has already been validated.
func (b *Builder) AddRun(r Run) {
	if b.claim(KindRun, r.ID) {
		b.set.Runs = append(b.set.Runs, r)
	}
}

// AddMilestone adds a milestone that has already been validated.
func (b *Builder) AddMilestone(m Milestone) {
	if b.claim(KindMilestone, m.ID) {
		b.set.Milestones = append(b.set.Milestones, m)
	}
}

// AddJSON decodes one canonical event object and adds it, or skips it with a
// reason that starts with pos (for example "line 12").
func (b *Builder) AddJSON(pos string, raw []byte) {
	b.add(raw, func() string { return pos })
}

// addAt is AddJSON for the n-th line or item of a feed; the position is
// only formatted when the event is skipped.
func (b *Builder) addAt(unit string, n int, raw []byte) {
	b.add(raw, func() string { return unit + " " + strconv.Itoa(n) })
}

func (b *Builder) add(raw []byte, pos func() string) {
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		b.report.Skip(fmt.Sprintf("%s: not a JSON object (%v)", pos(), err))
		return
	}
	b.scratch = splitObject(raw, b.scratch[:0])
	if b.scratch == nil {
		b.report.Skip(fmt.Sprintf("%s: not a JSON object", pos()))
		return
	}
	obj := object{fields: b.scratch}
	if err := b.addObject(&obj); err != nil {
		b.report.Skip(fmt.Sprintf("%s: %v", pos(), err))
	}
}

func (b *Builder) addObject(o *object) error {
	kind := Kind(o.str("kind"))
	common := Common{
		ID:      o.id(),
		Service: o.str("service"),
		Team:    o.str("team"),
		URL:     o.str("url"),
		Labels:  o.labels(),
	}
	if o.err != nil {
		return o.err
	}
	switch {
	case kind == "":
		return fmt.Errorf("field kind is missing")
	case common.ID == "":
		return fmt.Errorf("%s: field id is missing", kind)
	case common.Service == "" && isKnown(kind):
		return fmt.Errorf("%s %q: field service is missing", kind, common.ID)
	}
	var err error
	switch kind {
	case KindChange:
		err = b.addChangeObject(o, common)
	case KindDeployment:
		err = b.addDeploymentObject(o, common)
	case KindIncident:
		err = b.addIncidentObject(o, common)
	case KindRun:
		err = b.addRunObject(o, common)
	case KindMilestone:
		err = b.addMilestoneObject(o, common)
	default:
		return fmt.Errorf("%q: unknown kind %q (want change, deployment, incident, run or milestone)", common.ID, kind)
	}
	if err != nil {
		return fmt.Errorf("%s %q: %w", kind, common.ID, err)
	}
	return nil
}

func isKnown(k Kind) bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

func (b *Builder) addChangeObject(o *object, c Common) error {
	o.known("time", "commit", "opened", "merged", "title", "type")
	ch := Change{
		Common: c,
		Time:   o.time("time"),
		Commit: o.str("commit"),
		Opened: o.time("opened"),
		Merged: o.time("merged"),
		Title:  o.str("title"),
		Type:   ChangeType(o.str("type")),
	}
	if o.err != nil {
		return o.err
	}
	if ch.Time.IsZero() {
		if ch.Merged.IsZero() {
			return fmt.Errorf("field time is missing and there is no merged time to stand in")
		}
		ch.Time, ch.TimeFromMerged = ch.Merged, true
	}
	switch ch.Type {
	case "":
		ch.Type = ChangeCode
	case ChangeCode, ChangeModel, ChangeData:
	default:
		return fmt.Errorf("field type is %q (want code, model or data)", ch.Type)
	}
	o.keepUnknown(&ch.Labels)
	b.AddChange(ch)
	return nil
}

func (b *Builder) addDeploymentObject(o *object, c Common) error {
	o.known("time", "environment", "status", "commit", "changes", "commits", "model", "model_version", "rollback")
	d := Deployment{
		Common:       c,
		Time:         o.time("time"),
		Environment:  o.str("environment"),
		Status:       DeployStatus(o.str("status")),
		Commit:       o.str("commit"),
		Changes:      o.strs("changes"),
		Commits:      o.strs("commits"),
		Model:        o.str("model"),
		ModelVersion: o.str("model_version"),
		Rollback:     o.boolean("rollback"),
	}
	if o.err != nil {
		return o.err
	}
	if d.Time.IsZero() {
		return fmt.Errorf("field time is missing")
	}
	if d.Environment == "" {
		d.Environment = DefaultEnvironment
	}
	switch d.Status {
	case DeploySuccess, DeployFailure:
	case "":
		return fmt.Errorf("field status is missing (want success or failure)")
	default:
		return fmt.Errorf("field status is %q (want success or failure)", d.Status)
	}
	o.keepUnknown(&d.Labels)
	b.AddDeployment(d)
	return nil
}

func (b *Builder) addIncidentObject(o *object, c Common) error {
	o.known("opened", "resolved", "deployment", "severity")
	in := Incident{
		Common:     c,
		Opened:     o.time("opened"),
		Resolved:   o.time("resolved"),
		Deployment: o.str("deployment"),
		Severity:   o.str("severity"),
	}
	if o.err != nil {
		return o.err
	}
	if in.Opened.IsZero() {
		return fmt.Errorf("field opened is missing")
	}
	if !in.Resolved.IsZero() && in.Resolved.Before(in.Opened) {
		return fmt.Errorf("resolved %s is before opened %s", in.Resolved.Format(time.RFC3339), in.Opened.Format(time.RFC3339))
	}
	o.keepUnknown(&in.Labels)
	b.AddIncident(in)
	return nil
}

func (b *Builder) addRunObject(o *object, c Common) error {
	o.known("time", "end", "status", "experiment")
	r := Run{
		Common:     c,
		Time:       o.time("time"),
		End:        o.time("end"),
		Status:     RunStatus(o.str("status")),
		Experiment: o.str("experiment"),
	}
	if o.err != nil {
		return o.err
	}
	if r.Time.IsZero() {
		return fmt.Errorf("field time is missing")
	}
	if !r.End.IsZero() && r.End.Before(r.Time) {
		return fmt.Errorf("end %s is before time %s", r.End.Format(time.RFC3339), r.Time.Format(time.RFC3339))
	}
	switch r.Status {
	case "":
		r.Status = RunFinished
		if r.End.IsZero() {
			r.Status = RunRunning
		}
	case RunFinished, RunFailed, RunKilled, RunRunning:
	default:
		return fmt.Errorf("field status is %q (want finished, failed, killed or running)", r.Status)
	}
	o.keepUnknown(&r.Labels)
	b.AddRun(r)
	return nil
}

func (b *Builder) addMilestoneObject(o *object, c Common) error {
	o.known("time", "name")
	m := Milestone{Common: c, Time: o.time("time"), Name: o.str("name")}
	if o.err != nil {
		return o.err
	}
	if m.Time.IsZero() {
		return fmt.Errorf("field time is missing")
	}
	if m.Name == "" {
		return fmt.Errorf("field name is missing")
	}
	o.keepUnknown(&m.Labels)
	b.AddMilestone(m)
	return nil
}

// object is a decoded JSON object with typed accessors. The first type
// error is kept in err; later accessors return zero values.
type object struct {
	fields     []field
	kindFields []string
	err        error
}

var commonFields = []string{"kind", "id", "service", "team", "url", "labels"}

func (o *object) known(names ...string) { o.kindFields = names }

func (o *object) isKnown(name string) bool {
	return slices.Contains(commonFields, name) || slices.Contains(o.kindFields, name)
}

// keepUnknown copies unknown scalar fields into labels, without overriding a
// label of the same name. Unknown arrays and objects are ignored.
func (o *object) keepUnknown(labels *map[string]string) {
	for _, f := range o.fields {
		name, raw := f.key, f.raw
		if o.isKnown(name) {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(x)
		default:
			continue
		}
		if *labels == nil {
			*labels = make(map[string]string)
		}
		if _, taken := (*labels)[name]; !taken {
			(*labels)[name] = s
		}
	}
}

func (o *object) fail(name, want string) {
	if o.err == nil {
		o.err = fmt.Errorf("field %s is not %s", name, want)
	}
}

// raw returns a field's JSON value. As with encoding/json, the last of
// repeated keys wins.
func (o *object) raw(name string) (json.RawMessage, bool) {
	for i := len(o.fields) - 1; i >= 0; i-- {
		if f := o.fields[i]; f.key == name {
			if string(f.raw) == "null" {
				return nil, false
			}
			return f.raw, true
		}
	}
	return nil, false
}

func (o *object) str(name string) string {
	raw, ok := o.raw(name)
	if !ok {
		return ""
	}
	if s, ok := plainString(raw); ok {
		return strings.TrimSpace(s)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.fail(name, "a string")
		return ""
	}
	return strings.TrimSpace(s)
}

// plainString reads a JSON string without escapes or control characters
// directly, which is most of a feed's strings and a large share of the
// reading time; anything else goes through encoding/json.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return "", false
		}
	}
	return string(body), true
}

// id accepts a string or a whole number, since many tools number their ids.
func (o *object) id() string {
	raw, ok := o.raw("id")
	if !ok {
		return ""
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if _, err := n.Int64(); err == nil {
			return n.String()
		}
	}
	return o.str("id")
}

func (o *object) time(name string) time.Time {
	s := o.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if o.err == nil {
			o.err = fmt.Errorf("field %s is %q, not an RFC 3339 time", name, s)
		}
		return time.Time{}
	}
	return t
}

func (o *object) strs(name string) []string {
	raw, ok := o.raw(name)
	if !ok {
		return nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		o.fail(name, "an array of strings")
		return nil
	}
	return list
}

func (o *object) boolean(name string) bool {
	raw, ok := o.raw(name)
	if !ok {
		return false
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		o.fail(name, "true or false")
	}
	return v
}

func (o *object) labels() map[string]string {
	raw, ok := o.raw("labels")
	if !ok {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		o.fail("labels", "an object of strings")
		return nil
	}
	return m
}
