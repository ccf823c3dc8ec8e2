// Package source owns the connector contract: a [Source] turns some system
// (a feed URL, the demo generator, a tracker's API) into canonical events, and
// a [Cache] fetches every source of one data source instance, merges what they
// return and keeps the result for a while.
//
// Connectors live in their own packages below this one and know nothing of
// frames or queries.
package source
