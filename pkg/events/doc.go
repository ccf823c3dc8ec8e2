// Package events owns the canonical event contract: the five kinds of event
// (change, deployment, incident, run, milestone) that every source produces
// and the engine consumes, and the reader that turns a JSON array or NDJSON
// feed into them.
//
// The contract is documented in docs/events.md and described by
// schema/events.schema.json; change all three together.
package events
