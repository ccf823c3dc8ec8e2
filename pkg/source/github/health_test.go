package github

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRateLimitLine(t *testing.T) {
	reset := time.Date(2026, 3, 2, 15, 5, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		rl   RateLimit
		want string
	}{
		{"a quota in thousands gets commas and a UTC reset", RateLimit{Remaining: 4870, Limit: 5000, Reset: reset, Known: true},
			"GitHub API quota: 4,870 of 5,000 left, resets 14:05 UTC"},
		{"an app's larger quota", RateLimit{Remaining: 999, Limit: 15000, Reset: reset, Known: true},
			"GitHub API quota: 999 of 15,000 left, resets 14:05 UTC"},
		{"an unread quota says so", RateLimit{}, "GitHub API quota: unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.rl.String())
		})
	}
	require.Equal(t, "1,234,567", thousands(1234567))
	require.Equal(t, "-1,000", thousands(-1000))
}
