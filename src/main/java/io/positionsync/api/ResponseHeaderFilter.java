package io.positionsync.api;

import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * Camel's HTTP header filter, except that a {@code Cache-Control} set by the API reaches the response
 * (the default treats it as a transport header and drops it). Request headers never reach a response:
 * {@link HttpResponses} removes them all before it sets its own.
 */
public final class ResponseHeaderFilter extends HttpHeaderFilterStrategy {
    public ResponseHeaderFilter() {
        getOutFilter().remove("cache-control");
    }
}
