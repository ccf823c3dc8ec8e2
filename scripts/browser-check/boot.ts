// Grafana's index page sets window.grafanaBootData before any plugin code
// runs, and @grafana/runtime reads it when it loads. This module is imported
// first by the harness so that the same holds here.
Object.assign(window, {
  grafanaBootData: { settings: {}, user: { timezone: 'browser' }, navTree: [] },
});
