/**
 * {@code glassbox explore}: a local web app and JSON API over the library's analyses. {@link
 * dev.glassbox.explore.ExplorerServer} serves the page and the API on 127.0.0.1; {@link
 * dev.glassbox.explore.ExplorerApi} answers each endpoint with one of the {@code inspect} analyses;
 * {@link dev.glassbox.explore.ApiRequests} and {@link dev.glassbox.explore.ApiResponses} are the
 * request and response bodies (README, "Explorer").
 */
package dev.glassbox.explore;
