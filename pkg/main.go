// Command gpx_mlops_fourkeys is the backend of the ML Four Keys data source.
// Grafana starts it and talks to it over gRPC.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/mlops-fourkeys/mlops-fourkeys-datasource/pkg/plugin"
)

func main() {
	if err := datasource.Manage(plugin.PluginID, plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("The plugin stopped", "error", err.Error())
		os.Exit(1)
	}
}
