package mlflow

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func obs(model, alias, version string, minutes int) Observation {
	return Observation{Model: model, Alias: alias, Version: version, Time: t0.Add(time.Duration(minutes) * time.Minute)}
}

// reopen opens a store that the test closes when it ends.
func reopen(t *testing.T, dir, uid string) *Store {
	t.Helper()
	s, err := OpenStore(dir, uid)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestStore(t *testing.T) {
	t.Run("a restart keeps the history", func(t *testing.T) {
		dir := t.TempDir()
		s, err := OpenStore(dir, "uid-a")
		require.NoError(t, err)
		changed, err := s.Observe([]Observation{obs("churn", "champion", "1", 0)})
		require.NoError(t, err)
		require.True(t, changed)
		s.Close()

		again := reopen(t, dir, "uid-a")
		require.NotSame(t, s, again, "the file was read afresh")
		require.Equal(t, []Observation{obs("churn", "champion", "1", 0)}, again.Observations())
		require.Empty(t, again.Warning())
	})

	t.Run("instances of one data source share the history until the last closes", func(t *testing.T) {
		for _, dir := range []string{t.TempDir(), ""} {
			old, err := OpenStore(dir, "uid-shared")
			require.NoError(t, err)
			replacement, err := OpenStore(dir, "uid-shared")
			require.NoError(t, err)
			_, err = old.Observe([]Observation{obs("churn", "champion", "1", 0)})
			require.NoError(t, err)
			_, err = replacement.Observe([]Observation{obs("churn", "champion", "1", 1)})
			require.NoError(t, err)
			old.Close()
			require.Equal(t, []Observation{obs("churn", "champion", "1", 0)}, replacement.Observations(),
				"the replacement saw the move as already recorded")
			replacement.Close()

			fresh := reopen(t, dir, "uid-shared")
			if dir == "" {
				require.Empty(t, fresh.Observations(), "a history in memory ends with its last instance")
			} else {
				require.Len(t, fresh.Observations(), 1)
			}
		}
	})

	t.Run("a closed store no longer writes its file", func(t *testing.T) {
		dir := t.TempDir()
		old, err := OpenStore(dir, "uid-late")
		require.NoError(t, err)
		old.Close()
		fresh := reopen(t, dir, "uid-late")
		_, err = fresh.Observe([]Observation{obs("churn", "champion", "2", 5)})
		require.NoError(t, err)
		// A fetch that began before the close sees a move late.
		_, err = old.Observe([]Observation{obs("churn", "champion", "1", 9)})
		require.NoError(t, err)

		fresh.Close()
		again := reopen(t, dir, "uid-late")
		require.Equal(t, []Observation{obs("churn", "champion", "2", 5)}, again.Observations())
	})

	t.Run("a poll that asked earlier but answers later is not a move", func(t *testing.T) {
		s, err := OpenStore("", "")
		require.NoError(t, err)
		_, err = s.Observe([]Observation{obs("churn", "champion", "1", 0)})
		require.NoError(t, err)
		_, err = s.Observe([]Observation{obs("churn", "champion", "2", 10)})
		require.NoError(t, err)
		changed, err := s.Observe([]Observation{obs("churn", "champion", "1", 5)})
		require.NoError(t, err)
		require.False(t, changed)

		// A stage is dated by the server, but ordered by the poll that saw it.
		staged := obs("fraud", "stage:Production", "4", -60)
		staged.Seen = t0.Add(20 * time.Minute)
		changed, err = s.Observe([]Observation{staged})
		require.NoError(t, err)
		require.True(t, changed)
		require.Len(t, s.Observations(), 3)
	})

	t.Run("a history that could not be written is written by the next look", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		s := reopen(t, dir, "uid-retry")
		require.NoError(t, os.RemoveAll(dir))
		_, err := s.Observe([]Observation{obs("churn", "champion", "1", 0)})
		require.ErrorContains(t, err, "cannot write the alias history")
		_, err = s.Observe(nil)
		require.ErrorContains(t, err, "cannot write the alias history", "the failure is reported until it is mended")

		require.NoError(t, os.MkdirAll(dir, 0o750))
		changed, err := s.Observe(nil)
		require.NoError(t, err)
		require.False(t, changed)
		raw, err := os.ReadFile(StorePath(dir, "uid-retry"))
		require.NoError(t, err)
		require.Contains(t, string(raw), `"champion"`)
	})

	t.Run("a store without a uid or directory is never shared", func(t *testing.T) {
		a, err := OpenStore("", "")
		require.NoError(t, err)
		b, err := OpenStore("", "")
		require.NoError(t, err)
		_, err = a.Observe([]Observation{obs("churn", "champion", "1", 0)})
		require.NoError(t, err)
		require.Empty(t, b.Observations())
	})

	t.Run("the same version seen again is not a move", func(t *testing.T) {
		s, err := OpenStore("", "")
		require.NoError(t, err)
		_, err = s.Observe([]Observation{obs("churn", "champion", "1", 0), obs("churn", "baseline", "", 0)})
		require.NoError(t, err)
		changed, err := s.Observe([]Observation{obs("churn", "champion", "1", 5), obs("churn", "baseline", "", 5)})
		require.NoError(t, err)
		require.False(t, changed)
		_, err = s.Observe([]Observation{obs("churn", "champion", "", 9)})
		require.NoError(t, err)
		require.Equal(t, []Observation{obs("churn", "champion", "1", 0), obs("churn", "champion", "", 9)}, s.Observations())
	})

	t.Run("two data sources keep separate files", func(t *testing.T) {
		dir := t.TempDir()
		a, err := OpenStore(dir, "uid-a")
		require.NoError(t, err)
		b, err := OpenStore(dir, "uid-b")
		require.NoError(t, err)
		_, err = a.Observe([]Observation{obs("churn", "champion", "1", 0)})
		require.NoError(t, err)
		_, err = b.Observe([]Observation{obs("fraud", "champion", "4", 1)})
		require.NoError(t, err)

		a.Close()
		b.Close()
		a2 := reopen(t, dir, "uid-a")
		b2 := reopen(t, dir, "uid-b")
		require.Equal(t, []Observation{obs("churn", "champion", "1", 0)}, a2.Observations())
		require.Equal(t, []Observation{obs("fraud", "champion", "4", 1)}, b2.Observations())
		require.NotEqual(t, StorePath(dir, "uid-a"), StorePath(dir, "uid-b"))
	})

	t.Run("a corrupt file is set aside, reported and rebuilt", func(t *testing.T) {
		dir := t.TempDir()
		path := StorePath(dir, "uid-a")
		require.NoError(t, os.WriteFile(path, []byte(`{"format":1,"observ`), 0o600))

		s, err := OpenStore(dir, "uid-a")
		require.NoError(t, err)
		require.Empty(t, s.Observations())
		require.Contains(t, s.Warning(), "is not valid JSON")
		require.Contains(t, s.Warning(), "started anew")
		require.FileExists(t, path+".corrupt")

		_, err = s.Observe([]Observation{obs("churn", "champion", "2", 3)})
		require.NoError(t, err)
		s.Close()
		again := reopen(t, dir, "uid-a")
		require.Empty(t, again.Warning())
		require.Len(t, again.Observations(), 1)
	})

	t.Run("a file of another uid is not read", func(t *testing.T) {
		dir := t.TempDir()
		a, err := OpenStore(dir, "uid-a")
		require.NoError(t, err)
		_, err = a.Observe([]Observation{obs("churn", "champion", "1", 0)})
		require.NoError(t, err)
		a.Close()
		require.NoError(t, os.Rename(StorePath(dir, "uid-a"), StorePath(dir, "uid-b")))

		b := reopen(t, dir, "uid-b")
		require.Empty(t, b.Observations())
		require.Contains(t, b.Warning(), `belongs to the data source "uid-a"`)
	})

	t.Run("no temporary file is left behind", func(t *testing.T) {
		dir := t.TempDir()
		s, err := OpenStore(dir, "uid-a")
		require.NoError(t, err)
		_, err = s.Observe([]Observation{obs("churn", "champion", "1", 0)})
		require.NoError(t, err)
		left, err := filepath.Glob(filepath.Join(dir, ".mlflow-aliases-*"))
		require.NoError(t, err)
		require.Empty(t, left)
	})
}
