package source

import (
	"context"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// Source produces canonical events.
type Source interface {
	// Name is a short word for notices and logs, such as "demo" or "feed".
	Name() string

	// Fetch reads every event the source has. Invalid events are skipped and
	// counted in the report; an error means nothing usable was read.
	Fetch(ctx context.Context) (*events.Set, events.Report, error)
}
