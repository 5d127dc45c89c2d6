package io.positionsync.boot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.positionsync.testing.ServiceUnderTest;

/**
 * The examples of {@code docs/api.md}, taken from the running demo: each is a block of shell commands as a user
 * types them against the default address and the answers the service really gave, written between
 * {@code <!-- example: NAME -->} and {@code <!-- /example -->} markers. {@link #rewrite} puts fresh ones into the
 * document; {@link #shapeDifferences} tells where the document's examples no longer have the fields the service
 * answers with (values differ from run to run, names must not).
 */
final class ApiExamples {
    /** The token the documented commands use. */
    static final String TOKEN = "change-me";
    private static final String BASE = "http://127.0.0.1:8080/";
    private static final Pattern BLOCK = Pattern.compile(
            "(<!-- example: ([a-z-]+) -->\\n```\\n)(.*?)(```\\n<!-- /example -->)", Pattern.DOTALL);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("    ", "\n"))
            .withArrayIndenter(new DefaultIndenter("    ", "\n")));

    /** One example block: its name and its text (commands and answers). */
    record Example(String name, String text) {
    }

    private ApiExamples() {
    }

    /**
     * Takes every example from the demo as it stands, in an order that keeps them consistent (the trigger first,
     * the gateway-down answers last: they stop the built-in simulator).
     */
    static List<Example> capture(ServiceUnderTest service, long historyPositionId) {
        List<Example> examples = new ArrayList<>();
        String key = "nightly-" + LocalDate.now(ZoneOffset.UTC);
        HttpResponse<String> first = service.post("api/sync/positions", "Authorization", "Bearer " + TOKEN,
                "Idempotency-Key", key);
        HttpResponse<String> replay = service.post("api/sync/positions", "Authorization", "Bearer " + TOKEN,
                "Idempotency-Key", key);
        HttpResponse<String> noToken = service.post("api/sync/positions");
        examples.add(new Example("sync-trigger", String.join("\n",
                "$ curl -s -X POST " + BASE + "api/sync/positions \\",
                "    -H 'Authorization: Bearer " + TOKEN + "' -H 'Idempotency-Key: " + key + "'",
                compact(first.body()),
                "",
                "$ curl -si -X POST " + BASE + "api/sync/positions \\",
                "    -H 'Authorization: Bearer " + TOKEN + "' -H 'Idempotency-Key: " + key + "'",
                statusLine(replay), header(replay, "Idempotent-Replayed"), compact(replay.body()),
                "",
                "$ curl -si -X POST " + BASE + "api/sync/positions",
                statusLine(noToken), header(noToken, "WWW-Authenticate"), compact(noToken.body()))));
        examples.add(get(service, "sync-status", "api/sync/status"));
        examples.add(get(service, "scheduler-status", "api/scheduler/status"));
        examples.add(get(service, "sync-runs", "api/sync/runs?limit=2"));
        examples.add(new Example("positions", String.join("\n",
                command("api/positions?status=closed&limit=2"), pretty(service.get("api/positions?status=closed&limit=2")),
                "",
                command("api/positions?stale_minutes=30"), compact(service.get("api/positions?stale_minutes=30").body()))));
        examples.add(get(service, "position-history", "api/positions/" + historyPositionId + "/history"));
        examples.add(get(service, "portfolio-summary", "api/portfolio/summary"));
        // No fixed dates: the last 30 days up to today, whatever day the reader tries it.
        examples.add(get(service, "pnl-daily", "api/pnl/daily"));
        examples.add(get(service, "breaks-resolved", "api/breaks?status=resolved&limit=1"));

        examples.add(new Example("metrics", "$ curl -s " + BASE + "observe/metrics | grep '^psync_' | grep -v _bucket\n"
                + service.get("observe/metrics").body().lines()
                        .filter(line -> line.startsWith("psync_") && !line.contains("_bucket"))
                        .reduce((a, b) -> a + "\n" + b).orElse("")));

        service.simulator().stop();
        HttpResponse<String> failed = service.post("api/sync/positions", "Authorization", "Bearer " + TOKEN);
        examples.add(new Example("sync-gateway-down", String.join("\n",
                "$ curl -s -X POST " + BASE + "api/sync/positions -H 'Authorization: Bearer " + TOKEN + "'",
                compact(failed.body()))));
        examples.add(get(service, "portfolio-summary-gateway-down", "api/portfolio/summary"));
        JsonNode ready = ServiceUnderTest.json(service.get("observe/health/ready?data=true").body());
        // One check per route and per consumer follows; they all read alike.
        ((ArrayNode) ready.get("checks")).removeIf(check -> check.get("name").asText().contains(":"));
        examples.add(new Example("health", String.join("\n",
                "$ curl -s '" + BASE + "observe/health/ready?data=true'      # gateway stopped; route:* and consumer:* checks left out",
                pretty(ready),
                "$ curl -s " + BASE + "observe/health/live",
                compact(service.get("observe/health/live").body()))));
        return examples;
    }

    /** {@code doc} with every marked block replaced by the example of that name; every example must be marked. */
    static String rewrite(String doc, List<Example> examples) {
        String result = doc;
        for (Example example : examples) {
            Matcher m = block(result, example.name());
            result = result.substring(0, m.start(3)) + example.text() + "\n" + result.substring(m.end(3));
        }
        return result;
    }

    /**
     * Where the documented examples do not have the fields of the fresh ones: per example, the JSON answers are
     * compared in order, field names only (recursively where both sides hold an object, or a non-empty list of
     * them). Empty when the document is still true to the service.
     */
    static List<String> shapeDifferences(String doc, List<Example> examples) {
        List<String> differences = new ArrayList<>();
        for (Example example : examples) {
            List<JsonNode> documented = jsonAnswers(block(doc, example.name()).group(3));
            List<JsonNode> actual = jsonAnswers(example.text());
            if (documented.size() != actual.size()) {
                differences.add(example.name() + ": " + documented.size() + " JSON answers documented, "
                        + actual.size() + " now");
                continue;
            }
            for (int i = 0; i < actual.size(); i++) {
                compare(example.name() + "[" + i + "]", documented.get(i), actual.get(i), differences);
            }
        }
        return differences;
    }

    private static void compare(String path, JsonNode documented, JsonNode actual, List<String> differences) {
        if (documented.isObject() && actual.isObject()) {
            TreeSet<String> was = names(documented);
            TreeSet<String> now = names(actual);
            if (!was.equals(now)) {
                TreeSet<String> gone = new TreeSet<>(was);
                gone.removeAll(now);
                TreeSet<String> added = new TreeSet<>(now);
                added.removeAll(was);
                differences.add(path + ": documented but no longer answered " + gone + ", answered but not documented "
                        + added);
                return;
            }
            for (String name : now) {
                compare(path + "." + name, documented.get(name), actual.get(name), differences);
            }
        } else if (documented.isArray() && actual.isArray() && !documented.isEmpty() && !actual.isEmpty()) {
            compare(path + "[0]", documented.get(0), actual.get(0), differences);
        }
    }

    private static TreeSet<String> names(JsonNode object) {
        TreeSet<String> names = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            names.add(it.next().getKey());
        }
        return names;
    }

    /** The JSON documents of a block: each starts on a line beginning with '{' and runs until it parses. */
    static List<JsonNode> jsonAnswers(String block) {
        List<JsonNode> answers = new ArrayList<>();
        List<String> lines = block.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("{")) {
                continue;
            }
            StringBuilder text = new StringBuilder();
            for (int j = i; j < lines.size(); j++) {
                text.append(lines.get(j)).append('\n');
                JsonNode parsed = tryParse(text.toString());
                if (parsed != null) {
                    answers.add(parsed);
                    i = j;
                    break;
                }
            }
        }
        return answers;
    }

    private static JsonNode tryParse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static Matcher block(String doc, String name) {
        Matcher m = BLOCK.matcher(doc);
        while (m.find()) {
            if (m.group(2).equals(name)) {
                return m;
            }
        }
        throw new IllegalStateException("docs/api.md has no block <!-- example: " + name + " -->");
    }

    private static Example get(ServiceUnderTest service, String name, String path) {
        return new Example(name, command(path) + "\n" + pretty(service.get(path)));
    }

    private static String command(String path) {
        return path.contains("?") ? "$ curl -s '" + BASE + path + "'" : "$ curl -s " + BASE + path;
    }

    private static String statusLine(HttpResponse<String> response) {
        String reason = switch (response.statusCode()) {
            case 200 -> "OK";
            case 202 -> "Accepted";
            case 401 -> "Unauthorized";
            default -> "";
        };
        return "HTTP/1.1 " + response.statusCode() + " " + reason;
    }

    private static String header(HttpResponse<String> response, String name) {
        return name + ": " + response.headers().firstValue(name)
                .orElseThrow(() -> new IllegalStateException("no " + name + " header in " + response));
    }

    private static String pretty(HttpResponse<String> response) {
        return pretty(ServiceUnderTest.json(response.body()));
    }

    private static String pretty(JsonNode json) {
        try {
            return PRETTY.writeValueAsString(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String compact(String body) {
        try {
            return JSON.writeValueAsString(JSON.readTree(body));
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }
}
