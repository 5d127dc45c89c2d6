package io.positionsync.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A Server-Sent Events client over {@link HttpClient}: the stream's lines are read on a thread of their own as they
 * arrive, and the test takes whole events (or comment lines) from them, waiting with a deadline.
 */
final class EventStreamClient implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String END = "\u0000end";

    /** One event as the stream framed it; {@code comments} are the comment lines before it. */
    record Event(String id, String event, String data, List<String> comments) {
    }

    private final HttpResponse<Stream<String>> response;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    /** Completes when the stream ends: normally (the last chunk came) or with the failure that ended it. */
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final List<String> comments = new ArrayList<>();

    private EventStreamClient(HttpResponse<Stream<String>> response) {
        this.response = response;
        Thread reader = new Thread(() -> {
            try (Stream<String> body = response.body()) {
                body.forEach(lines::add);
                ended.complete(null);
            } catch (RuntimeException e) {
                ended.completeExceptionally(e.getCause() != null ? e.getCause() : e);
            } finally {
                lines.add(END);
            }
        }, "event-stream-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** {@code GET url} with {@code headers} (name, value pairs); answers once the response's head arrived. */
    static EventStreamClient open(String url, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return new EventStreamClient(CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
    }

    int status() {
        return response.statusCode();
    }

    String header(String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** The body of an answer that is not a stream (an error), read to its end. */
    String body(Duration atMost) throws InterruptedException {
        StringBuilder body = new StringBuilder();
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("the answer did not end within " + atMost + ": " + body);
            }
            if (line.equals(END)) {
                lines.add(END);
                return body.toString();
            }
            body.append(line);
        }
    }

    /** The next event, or null when none came within {@code atMost} (or the stream ended). */
    Event next(Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        String id = null;
        String event = null;
        StringBuilder data = null;
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                return null;
            }
            if (line.equals(END)) {
                lines.add(END);
                return null;
            }
            if (line.isEmpty()) {
                if (data != null) {
                    Event complete = new Event(id, event == null ? "message" : event, data.toString(), List.copyOf(comments));
                    comments.clear();
                    return complete;
                }
                continue;
            }
            if (line.startsWith(":")) {
                comments.add(line.substring(1).trim());
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "id" -> id = value;
                case "event" -> event = value;
                case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                default -> { } // retry
            }
        }
    }

    /** The first event {@code wanted} accepts within {@code atMost}, skipping others; fails when none comes. */
    Event await(Predicate<Event> wanted, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline) {
            Event event = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (event != null && wanted.test(event)) {
                return event;
            }
            if (event == null && ended.isDone()) {
                break;
            }
        }
        throw new AssertionError("no such event within " + atMost + (ended.isDone() ? " (the stream ended)" : ""));
    }

    /** Waits until a comment line equal to {@code text} arrived; fails when none comes within {@code atMost}. */
    void awaitComment(String text, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline) {
            if (comments.contains(text)) {
                return;
            }
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                break;
            }
            if (line.startsWith(":")) {
                comments.add(line.substring(1).trim());
            }
        }
        throw new AssertionError("no comment '" + text + "' within " + atMost + "; comments: " + comments);
    }

    @Override
    public void close() {
        response.body().close();
    }
}
