package source

import "context"

// Checker is a [Source] that can say more in a health check than its
// events do, such as the API quota it has left. The health check asks it
// before fetching.
type Checker interface {
	// HealthCheck checks the source's connection and settings and returns
	// a one-line status for the health message, or an error that says what
	// to fix.
	HealthCheck(ctx context.Context) (string, error)
}
