package io.positionsync.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.positionsync.store.RunListener;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/events}: committed runs as Server-Sent Events. Each run a {@code LISTEN} session hears
 * ({@link io.positionsync.store.RunListener}, fed to {@link #publish}) goes to every open stream as
 * <pre>
 * id: 42
 * event: run
 * data: {"runId":42,"trigger":"TIMER",...}      (the NOTIFY payload as it is)
 * </pre>
 * and a comment line ({@code : keep-alive}) goes out every {@link EventStreamSettings#heartbeat()}, so proxies keep
 * the stream open. After the session was lost and listens again, every stream gets {@code event: resync} (commits in
 * between were not heard: re-read the state).
 *
 * <p>Why not a route of {@code routes/api.camel.yaml}: a platform-http consumer answers once, when its exchange ends,
 * and a stream that never ends would hold an exchange and, for a rest verb, a Vert.x worker thread for as long as
 * the client stays. So the stream is answered on the event loop, by {@link RequestGuards} (the one handler the
 * service puts on the router) once the guards held: the {@code Host} check, the probe places and the token rule of
 * the other reads apply to it unchanged, and nothing blocks.
 *
 * <p>Bounded: at most {@link EventStreamSettings#maxStreams()} streams (one more gets a JSON 503); a client that does
 * not read lets at most {@link EventStreamSettings#maxQueued()} events wait for it (beyond Vert.x's own write buffer)
 * before its stream is closed, and the others never wait for it (each stream is written on its own connection's
 * event loop); {@link #close()} (the service stopping) ends every stream and answers new ones 503.
 *
 * <p>{@code Last-Event-ID} (a reconnecting {@code EventSource} sends it): best effort. The last
 * {@link #REPLAY} run events this instance heard are kept; those after the given run id are sent first. When the
 * id is older than all of them (or none is kept, after a restart), some runs may be missing: {@code event: resync}
 * is sent instead.
 */
public final class RunEvents implements AutoCloseable {
    /** The path of the stream. */
    public static final String PATH = "/api/events";
    /** Run events kept for {@code Last-Event-ID}. */
    static final int REPLAY = 100;
    /** How long an {@code EventSource} waits before it reconnects (ms): sent once per stream. */
    static final int RETRY_MILLIS = 5000;
    private static final Logger LOG = LoggerFactory.getLogger(RunEvents.class);
    private static final Buffer HEARTBEAT = Buffer.buffer(": keep-alive\n\n");

    private final HttpResponses responses;
    private final ObjectMapper json;
    private final EventStreamSettings settings;
    /** Why there are no events (the channel is off), or null. */
    private final String off;
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    /** The last run events, oldest first; guarded by itself, as is every hand-over to the streams. */
    private final Deque<Event> history = new ArrayDeque<>();
    private volatile boolean closed;

    private record Event(long runId, Buffer frame) {
    }

    /**
     * @param off why no event will ever come (the notify channel is empty), answered 503 to every request; null when
     *            runs are announced
     */
    public RunEvents(HttpResponses responses, ObjectMapper json, EventStreamSettings settings, String off) {
        this.responses = Objects.requireNonNull(responses, "responses");
        this.json = Objects.requireNonNull(json, "json");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.off = off;
    }

    /** {@code psync_events_streams_open}, {@code psync_events_sent_total}, {@code psync_events_streams_dropped_total}. */
    public void bindMetrics(MeterRegistry meters) {
        Gauge.builder("psync.events.streams.open", open, AtomicInteger::get).strongReference(true)
                .description("Open GET /api/events streams").register(meters);
        FunctionCounter.builder("psync.events.sent", sent, AtomicLong::get)
                .description("Run events written to GET /api/events streams (one per stream)").register(meters);
        FunctionCounter.builder("psync.events.streams.dropped", dropped, AtomicLong::get)
                .description("Event streams closed because their client did not keep up").register(meters);
    }

    /**
     * {@code psync_events_listen_up} (1 while the LISTEN session listens) and
     * {@code psync_events_listen_reconnects_total} (sessions opened again after a loss).
     */
    public static void bindListenerMetrics(MeterRegistry meters, RunListener listener) {
        Gauge.builder("psync.events.listen.up", listener, l -> l.listening() ? 1 : 0).strongReference(true)
                .description("1 while the session that hears committed runs (LISTEN) is connected").register(meters);
        FunctionCounter.builder("psync.events.listen.reconnects", listener, RunListener::reconnects)
                .description("LISTEN sessions opened again after the database connection was lost").register(meters);
    }

    /** Streams open now. */
    public int openStreams() {
        return open.get();
    }

    /** Run events written to streams since the start (one per stream). */
    public long eventsSent() {
        return sent.get();
    }

    /** Streams closed because their client did not read. */
    public long droppedStreams() {
        return dropped.get();
    }

    /** Whether this request is one for the stream. */
    static boolean handles(RoutingContext ctx) {
        return PATH.equals(ctx.normalizedPath());
    }

    /** Answers a request for {@link #PATH} (the guards held): the stream, or why not. */
    void handle(RoutingContext ctx) {
        HttpMethod method = ctx.request().method();
        HttpServerResponse response = ctx.response();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            refuse(response, ApiException.methodNotAllowed(method.name(), PATH, List.of("GET", "HEAD")));
            return;
        }
        if (off != null) {
            refuse(response, new ApiException(503, off));
            return;
        }
        if (closed) {
            refuse(response, new ApiException(503, "the service is shutting down"));
            return;
        }
        if (method == HttpMethod.HEAD) {
            streamHeaders(response).end();
            return;
        }
        if (open.incrementAndGet() > settings.maxStreams()) {
            open.decrementAndGet();
            refuse(response, new ApiException(503, "too many event streams open (" + settings.maxStreams()
                    + ", PSYNC_API_EVENTS_MAX_STREAMS): poll GET /api/sync/status instead, or try again later",
                    Map.of("Retry-After", "30")));
            return;
        }
        Vertx vertx = ctx.vertx();
        Stream stream = new Stream(vertx, vertx.getOrCreateContext(), response);
        streamHeaders(response).setChunked(true);
        response.closeHandler(v -> stream.finish());
        response.endHandler(v -> stream.finish());
        response.exceptionHandler(e -> stream.finish());
        response.write(Buffer.buffer("retry: " + RETRY_MILLIS + "\n: committed runs of position-sync\n\n"));
        long timer = vertx.setPeriodic(settings.heartbeat().toMillis(), id -> stream.heartbeat());
        stream.heartbeat = timer;
        if (stream.finished.get()) {
            vertx.cancelTimer(timer); // the client went away already
        }
        synchronized (history) {
            if (closed) {
                stream.end();
                return;
            }
            String lastEventId = ctx.request().getHeader("Last-Event-ID");
            if (lastEventId != null && !lastEventId.isBlank()) {
                for (Buffer frame : replay(lastEventId.trim())) {
                    stream.offer(frame);
                }
            }
            streams.add(stream);
        }
    }

    /** What a stream that says it saw {@code lastEventId} gets first: the later runs, or a resync. */
    private List<Buffer> replay(String lastEventId) {
        long seen;
        try {
            seen = Long.parseLong(lastEventId);
        } catch (NumberFormatException e) {
            return List.of(resyncFrame("Last-Event-ID " + quoteless(lastEventId) + " is not a run id"));
        }
        if (history.isEmpty() || seen < history.peekFirst().runId()) {
            return List.of(resyncFrame("the runs after " + seen + " are not all kept here: re-read the state"));
        }
        List<Buffer> later = new ArrayList<>();
        for (Event event : history) {
            if (event.runId() > seen) {
                later.add(event.frame());
            }
        }
        return later;
    }

    private static String quoteless(String text) {
        String shown = text.length() > 40 ? text.substring(0, 40) : text;
        return shown.replaceAll("[^\\x21-\\x7E]", "?").replace('"', '?').replace('\\', '?');
    }

    private static HttpServerResponse streamHeaders(HttpServerResponse response) {
        return response.setStatusCode(200)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                // nginx and the like would otherwise buffer the stream
                .putHeader("X-Accel-Buffering", "no");
    }

    private void refuse(HttpServerResponse response, ApiException refusal) {
        responses.send(response, HttpResponses.errorResponse(refusal));
    }

    /**
     * One committed run's NOTIFY payload: sent to every open stream as {@code event: run} with the run's id. A payload
     * that is not a JSON object with a {@code runId} (something else notified on the channel) is left out.
     */
    public void publish(String payload) {
        long runId;
        try {
            JsonNode node = payload == null ? null : json.readTree(payload);
            if (node == null || !node.path("runId").canConvertToLong() || !node.path("runId").isIntegralNumber()) {
                LOG.debug("a notification without a run id is not sent as an event");
                return;
            }
            runId = node.get("runId").asLong();
        } catch (java.io.IOException e) {
            LOG.debug("a notification that is not JSON is not sent as an event");
            return;
        }
        StringBuilder frame = new StringBuilder(payload.length() + 40).append("id: ").append(runId)
                .append("\nevent: run\n");
        for (String line : payload.split("\r\n|\r|\n", -1)) {
            frame.append("data: ").append(line).append('\n');
        }
        Buffer buffer = Buffer.buffer(frame.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        synchronized (history) {
            history.addLast(new Event(runId, buffer));
            while (history.size() > REPLAY) {
                history.removeFirst();
            }
            for (Stream stream : streams) {
                stream.offer(buffer);
            }
        }
    }

    /** Tells every open stream to re-read the state: runs may have been committed unheard ({@code reason} says why). */
    public void resync(String reason) {
        Buffer frame = resyncFrame(reason);
        synchronized (history) {
            for (Stream stream : streams) {
                stream.offer(frame);
            }
        }
    }

    private Buffer resyncFrame(String reason) {
        String data;
        try {
            data = json.writeValueAsString(Map.of("reason", reason));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            data = "{}";
        }
        return Buffer.buffer("event: resync\ndata: " + data + "\n\n");
    }

    /** Ends every open stream (the service stops); new requests get 503. Idempotent. */
    @Override
    public void close() {
        closed = true;
        List<Stream> open;
        synchronized (history) {
            open = List.copyOf(streams);
        }
        for (Stream stream : open) {
            stream.end();
        }
    }

    /** One open stream: written only on its connection's context. */
    private final class Stream {
        private final Vertx vertx;
        private final Context context;
        private final HttpServerResponse response;
        /** Events handed over and not yet given to the response (any thread). */
        private final AtomicInteger queued = new AtomicInteger();
        /** Only on {@link #context}. */
        private final Deque<Buffer> pending = new ArrayDeque<>();
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile long heartbeat = -1;

        Stream(Vertx vertx, Context context, HttpServerResponse response) {
            this.vertx = vertx;
            this.context = context;
            this.response = response;
        }

        /** Hands a frame over without waiting; a stream with too many waiting is closed instead. */
        void offer(Buffer frame) {
            if (finished.get()) {
                return;
            }
            if (queued.incrementAndGet() > settings.maxQueued()) {
                drop();
                return;
            }
            context.runOnContext(v -> {
                pending.addLast(frame);
                drain();
            });
        }

        private void drain() {
            while (!pending.isEmpty() && !finished.get()) {
                if (response.writeQueueFull()) {
                    response.drainHandler(v -> drain());
                    return;
                }
                Buffer frame = pending.removeFirst();
                queued.decrementAndGet();
                response.write(frame);
                if (frame.length() > 3 && frame.getByte(0) == 'i') {
                    sent.incrementAndGet(); // a run event (an "id:" line first), not a resync
                }
            }
        }

        void heartbeat() {
            if (!finished.get() && pending.isEmpty() && !response.writeQueueFull()) {
                response.write(HEARTBEAT);
            }
        }

        /** The client does not read: close its connection, count it. */
        private void drop() {
            if (finish()) {
                dropped.incrementAndGet();
                LOG.info("closed an event stream whose client did not read ({} events waiting)", settings.maxQueued());
                context.runOnContext(v -> response.close());
            }
        }

        /** Ends the stream cleanly (the last chunk), on its context. */
        void end() {
            if (finish()) {
                context.runOnContext(v -> {
                    if (!response.ended() && !response.closed()) {
                        response.end();
                    }
                });
            }
        }

        /** Forgets the stream; true the first time. */
        boolean finish() {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            streams.remove(this);
            open.decrementAndGet();
            long timer = heartbeat;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            return true;
        }
    }
}
