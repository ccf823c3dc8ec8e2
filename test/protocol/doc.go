// Package protocol tests the plugin binary the way Grafana runs it: built
// from ./pkg, started through hashicorp/go-plugin with Grafana's handshake,
// and spoken to over gRPC with the SDK's pluginv2 messages, as Grafana's
// panels, health check and alerting send them.
//
// Its tests assert on the numbers that come back over the wire, so they
// also prove that the handlers, the engine and the feed source agree once
// they are linked into one binary. The package holds no code outside its
// tests.
//
// TestMain builds ./pkg once per run. To test another binary, such as one
// that scripts/build-backend.sh put in dist/, name it in
// FOURKEYS_PLUGIN_BINARY.
package protocol
