package enginetest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/events"
)

// KedroFile is the shared kedro history, relative to a folder above the
// repository.
const KedroFile = "shared/data/kedro-history.ndjson"

// KedroHistory returns the raw NDJSON of the shared kedro history, found by
// walking up from the working directory (the package directory under go
// test). It skips tb when the file is not there, as in a bare checkout.
func KedroHistory(tb testing.TB) []byte {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("finding the working directory: %v", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(KedroFile)))
		if err == nil {
			return data
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skipf("%s not found above the package directory", KedroFile)
		}
		dir = parent
	}
}

// KedroSet reads the shared kedro history into a Set. The history repeats
// some pull requests on purpose; the report counts them as skipped.
func KedroSet(tb testing.TB) (*events.Set, events.Report) {
	tb.Helper()
	set, rep, err := events.Read(bytes.NewReader(KedroHistory(tb)))
	if err != nil {
		tb.Fatalf("reading %s: %v", KedroFile, err)
	}
	return set, rep
}
