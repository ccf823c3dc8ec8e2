package github

import (
	"context"
	"fmt"
	"strconv"
)

// HealthCheck runs [Source.Check] and describes the quota it read, as in
// "GitHub API quota: 4,870 of 5,000 left, resets 14:05 UTC". It makes the
// Source a source.Checker.
func (s *Source) HealthCheck(ctx context.Context) (string, error) {
	rl, err := s.Check(ctx)
	if err != nil {
		return "", err
	}
	return rl.String(), nil
}

// String describes the quota in one line for a health message.
func (rl RateLimit) String() string {
	if !rl.Known {
		return "GitHub API quota: unknown"
	}
	return fmt.Sprintf("GitHub API quota: %s of %s left, resets %s",
		thousands(rl.Remaining), thousands(rl.Limit), rl.Reset.UTC().Format("15:04 MST"))
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
