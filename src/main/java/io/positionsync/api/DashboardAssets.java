package io.positionsync.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * The dashboard's static files ({@code src/main/resources/web/} on the classpath), read once at start-up and
 * served with exact content types. Only the files listed here are served: a path never reaches the classpath.
 */
public final class DashboardAssets {
    /** The page's own policy, repeated as a header (the meta tag cannot set frame-ancestors). */
    static final String PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'none'; base-uri 'self'; frame-ancestors 'none'";

    private record Asset(byte[] content, String contentType) {
    }

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    /** The dashboard as packaged under {@code classpathDir}. */
    public DashboardAssets(String classpathDir) {
        add("/", classpathDir + "/index.html", "text/html; charset=utf-8");
        add("/dashboard.js", classpathDir + "/dashboard.js", "text/javascript; charset=utf-8");
        add("/dashboard.css", classpathDir + "/dashboard.css", "text/css; charset=utf-8");
        // The chart library, from its WebJar at whichever version the build packaged.
        String uplot = "META-INF/resources/webjars/uplot/" + webJarVersion("uplot") + "/dist/";
        add("/vendor/uplot.js", uplot + "uPlot.iife.min.js", "text/javascript; charset=utf-8");
        add("/vendor/uplot.css", uplot + "uPlot.min.css", "text/css; charset=utf-8");
    }

    private static String webJarVersion(String name) {
        String resource = "META-INF/maven/org.webjars.npm/" + name + "/pom.properties";
        try (InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("WebJar missing from the classpath: " + resource);
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** The file at the request path; 404 for any other path. */
    public ApiResponse serve(@Header(Exchange.HTTP_PATH) String path) {
        Asset asset = assets.get(path);
        if (asset == null) {
            throw ApiException.notFound("no such file: " + path);
        }
        Map<String, String> headers = asset.contentType().startsWith("text/html")
                ? Map.of("Content-Security-Policy", PAGE_POLICY) : Map.of();
        return new ApiResponse(200, asset.content(), asset.contentType(), headers);
    }

    private void add(String path, String resource, String contentType) {
        try (InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("dashboard file missing from the classpath: " + resource);
            }
            assets.put(path, new Asset(in.readAllBytes(), contentType));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
