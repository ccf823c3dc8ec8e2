//go:build unix

package enginetest

import (
	"syscall"
	"time"
)

// CPUTime returns the processor time the process has used so far, user and
// system, or 0 where it cannot be read.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
