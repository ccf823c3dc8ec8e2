//go:build mage

// Magefile builds the backend with the plugin SDK's targets; the default
// target builds every platform Grafana ships plugins for into dist/.
//
// The executable name and plugin id come from src/plugin.json and the
// version from package.json; binaries are named
// gpx_mlops_fourkeys_<os>_<arch>. Run it without installing mage:
//
//	go run github.com/magefile/mage -v                            # every platform
//	go run github.com/magefile/mage -v build:linux                # one platform
//	go run github.com/magefile/mage -v build:custom linux riscv64 # any other
//	go run github.com/magefile/mage -l                            # the targets
//
// or use scripts/build-backend.sh, which does the same.
package main

import (
	"github.com/magefile/mage/mg"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
)

// Default builds the backend for linux, darwin and windows on amd64 and
// arm64, and for linux/arm. The SDK's BuildAll leaves out windows/arm64,
// which Grafana also runs on, so it is added here.
var Default = All

// All builds every platform.
func All() {
	mg.Deps(build.BuildAll, WindowsARM64)
}

// WindowsARM64 builds the backend for Windows on arm64.
func WindowsARM64() error {
	return build.Build{}.Custom("windows", "arm64")
}
