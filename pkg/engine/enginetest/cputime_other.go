//go:build !unix

package enginetest

import "time"

// CPUTime returns 0: this platform's processor time is not read.
func CPUTime() time.Duration { return 0 }
