package mlflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"
)

// MLflow keeps no history of aliases: a registered model says where each
// alias points now, not since when. The store remembers every move the poll
// has seen, with the time it first saw it, so that moves become deployments.

// stagePrefix marks the observations of a legacy stage in the store, so that
// they never collide with an alias of the same name.
const stagePrefix = "stage:"

// Observation is one alias (or legacy stage) seen on a version for the first
// time. Version is empty when the alias was seen removed.
type Observation struct {
	Model   string    `json:"model"`
	Alias   string    `json:"alias"`
	Version string    `json:"version"`
	Time    time.Time `json:"time"` // when the move happened, as far as is known
	// Seen is when the poll that saw it asked, when that differs from Time:
	// a stage is dated by the server's clock. Polls are ordered by Seen.
	Seen time.Time `json:"seen,omitzero"`
}

func (o *Observation) seen() time.Time {
	if o.Seen.IsZero() {
		return o.Time
	}
	return o.Seen
}

type storeFile struct {
	Format       int           `json:"format"`
	UID          string        `json:"uid"`
	Observations []Observation `json:"observations"`
}

const storeFormat = 1

// Store is the alias history of one data source, in memory and, when it has
// a path, in a JSON file that is replaced atomically on every change.
//
// The stores of a process are shared by key: Grafana keeps the instance it
// replaces alive for a few seconds after a settings change, and both
// instances must add to one history, not overwrite each other's file. The
// history of a data source without a directory lives as long as one of its
// instances does.
type Store struct {
	key  string // the registry's key: the path, or the uid when in memory
	path string
	uid  string
	refs int // guarded by registryMu

	mu      sync.Mutex
	obs     []Observation
	warning string
	dirty   bool // the file lacks observations that are in memory
}

var (
	registryMu sync.Mutex
	registry   = make(map[string]*Store)
)

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// StorePath returns the history file of the data source uid in dir.
func StorePath(dir, uid string) string {
	return filepath.Join(dir, "mlflow-aliases-"+unsafeName.ReplaceAllString(uid, "_")+".json")
}

// OpenStore returns the history of uid kept in dir: the one already open in
// this process, or the file read afresh, or an empty one when dir is empty
// or the file does not exist yet. A file that cannot be read as a history is
// set aside (renamed with a .corrupt suffix), the history starts anew and
// Warning says so: losing the history is better than stopping. Every
// OpenStore needs a Close.
func OpenStore(dir, uid string) (*Store, error) {
	if dir == "" && uid == "" {
		return &Store{}, nil // nothing to share it by
	}
	key := "memory:" + uid
	if dir != "" {
		key = StorePath(dir, uid)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if s := registry[key]; s != nil {
		s.refs++
		return s, nil
	}
	s, err := readStore(dir, uid)
	if err != nil {
		return nil, err
	}
	s.key, s.refs = key, 1
	registry[key] = s
	return s, nil
}

// Close lets go of the store; the last Close of a key forgets it, so that
// the next OpenStore reads the file again.
func (s *Store) Close() {
	registryMu.Lock()
	defer registryMu.Unlock()
	if s.refs == 0 {
		return // unshared, or closed already
	}
	if s.refs--; s.refs == 0 && registry[s.key] == s {
		delete(registry, s.key)
		// A fetch still running with the closed instance must not write
		// over the file that the next OpenStore reads afresh.
		s.mu.Lock()
		s.path = ""
		s.mu.Unlock()
	}
}

func readStore(dir, uid string) (*Store, error) {
	s := &Store{uid: uid}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("mlflow: cannot create the state directory %s (%w): create it, or set state_dir in grafana.ini to a writable directory", dir, err)
	}
	s.path = StorePath(dir, uid)
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mlflow: cannot read the alias history %s (%w): check the directory's permissions", s.path, err)
	}
	var f storeFile
	switch err := json.Unmarshal(raw, &f); {
	case err != nil:
		s.setAside(fmt.Sprintf("is not valid JSON (%v)", err))
	case f.Format != storeFormat:
		s.setAside(fmt.Sprintf("has format %d, not %d", f.Format, storeFormat))
	case f.UID != uid:
		s.setAside(fmt.Sprintf("belongs to the data source %q", f.UID))
	default:
		s.obs = f.Observations
	}
	return s, nil
}

func (s *Store) setAside(why string) {
	aside := s.path + ".corrupt"
	_ = os.Rename(s.path, aside)
	s.warning = fmt.Sprintf("the alias history %s %s: it was moved to %s and started anew, so earlier promotions are missing",
		s.path, why, filepath.Base(aside))
}

// Warning describes a problem found when the store was opened, or is empty.
func (s *Store) Warning() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.warning
}

// Observations returns a copy of the history in the order it was seen.
func (s *Store) Observations() []Observation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.obs)
}

// Current returns the version an alias of a model was last seen on.
func (s *Store) Current(model, alias string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current(model, alias)
}

func (s *Store) current(model, alias string) (string, bool) {
	if o := s.last(model, alias); o != nil {
		return o.Version, true
	}
	return "", false
}

// last returns the latest observation of an alias of a model, or nil.
func (s *Store) last(model, alias string) *Observation {
	for i := len(s.obs) - 1; i >= 0; i-- {
		if o := &s.obs[i]; o.Model == model && o.Alias == alias {
			return o
		}
	}
	return nil
}

// Observe records the version an alias points at, when it differs from the
// last one seen and was not seen before it: of two polls that overlap, the
// one that asked first may answer last. It reports whether it recorded
// anything. When the file cannot be written the observations stay in memory,
// and every later Observe tries again and reports the error until it can.
func (s *Store) Observe(batch []Observation) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.obs)
	for _, o := range batch {
		last := s.last(o.Model, o.Alias)
		switch {
		case last == nil && o.Version == "":
			continue // never on a version, and still not
		case last != nil && (last.Version == o.Version || o.seen().Before(last.seen())):
			continue
		}
		s.obs = append(s.obs, o)
	}
	changed := len(s.obs) > n
	if !changed && !s.dirty {
		return false, nil
	}
	if err := s.save(); err != nil {
		s.dirty = true
		return changed, err
	}
	s.dirty = false
	return changed, nil
}

// save writes a temporary file beside the history and renames it over, so
// a crash leaves either the old history or the new one.
func (s *Store) save() error {
	if s.path == "" {
		return nil
	}
	raw, err := json.MarshalIndent(storeFile{Format: storeFormat, UID: s.uid, Observations: s.obs}, "", " ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".mlflow-aliases-*.tmp")
	if err != nil {
		return fmt.Errorf("mlflow: cannot write the alias history in %s (%w): make it writable for Grafana's user", filepath.Dir(s.path), err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(raw); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("mlflow: cannot write the alias history (%w): check the free space of the state directory", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("mlflow: cannot write the alias history (%w)", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mlflow: cannot write the alias history (%w)", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("mlflow: cannot replace the alias history %s (%w)", s.path, err)
	}
	return nil
}
