// Package query owns the JSON query contract between the frontend, saved
// alert rules and the backend: the query model, its defaults and its
// validation. It is documented in docs/queries.md and mirrored by
// src/types.ts; change all three together.
package query
