// Package enginetest provides inputs for the engine's tests and benchmarks:
// a deterministic generator of canonical events in any number, and the
// shared kedro history as real-world data. It is imported only by tests.
package enginetest
