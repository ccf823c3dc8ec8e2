package protocol

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// executable is the name src/plugin.json gives the backend.
const executable = "gpx_mlops_fourkeys"

// buildTimeout bounds the one build of the plugin; a cold module cache on
// a small machine takes a few minutes.
const buildTimeout = 10 * time.Minute

// binaryEnv names a plugin binary to test instead of building one, such as
// dist/gpx_mlops_fourkeys_linux_amd64 from the mage build, to check the
// binary that ships.
const binaryEnv = "FOURKEYS_PLUGIN_BINARY"

// pluginPath is the binary every test of the run starts.
var pluginPath string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if path := os.Getenv(binaryEnv); path != "" {
		var err error
		pluginPath, err = fromModuleRoot(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}

	dir, err := os.MkdirTemp("", "fourkeys-protocol-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	start := time.Now()
	pluginPath, err = buildPlugin(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "built %s in %s\n", pluginPath, time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// buildPlugin builds ./pkg into dir with a plain go build, as the plugin is
// shipped (the race detector is for the test process only). It uses the go
// command that runs the test: go test puts its own GOROOT/bin first on PATH.
func buildPlugin(dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()

	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go command: %w", err)
	}
	root, err := moduleRoot(ctx, goBin)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, executable)
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "./pkg")
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./pkg: %w\n%s", err, output)
	}
	return out, nil
}

// fromModuleRoot resolves a relative path against the module root, since
// go test runs the test in the package's folder.
func fromModuleRoot(path string) (string, error) {
	if filepath.IsAbs(path) {
		return path, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go command: %w", err)
	}
	root, err := moduleRoot(ctx, goBin)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, path), nil
}

func moduleRoot(ctx context.Context, goBin string) (string, error) {
	out, err := exec.CommandContext(ctx, goBin, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("the test does not run inside the module (go env GOMOD is %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}
