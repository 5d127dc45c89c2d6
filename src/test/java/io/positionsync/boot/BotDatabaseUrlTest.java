package io.positionsync.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import io.positionsync.store.DatabaseUrl;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.CommandProcess;
import io.positionsync.testing.PositionSyncService;

/**
 * The database URL written as the bot's own configuration writes it (libpq's {@code postgresql://user:pw@host/db},
 * SQLAlchemy's {@code postgresql+psycopg2://...}, or a JDBC URL with user and password inside) reaches the database
 * (a child JVM running {@code migrate} on a real PostgreSQL), never shows the password, and a URL of another kind is
 * refused with the form to write.
 */
@Tag("process")
@PositionSyncService(profile = PositionSyncService.Profile.NONE, gateway = PositionSyncService.Gateway.NONE)
class BotDatabaseUrlTest {
    static TestDatabase db;
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory(Path.of("target"), "db-url-");
    }

    /** The test database's URL in another scheme with user and password inside ("hunter2" when it has none). */
    private static String written(String scheme) {
        String password = db.password().isEmpty() ? "hunter2" : db.password();
        String rest = db.jdbcUrl().substring("jdbc:postgresql://".length());
        return scheme + "://" + URLEncoder.encode(db.user(), StandardCharsets.UTF_8) + ":"
                + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@" + rest;
    }

    @Test
    void theBotsOwnUrlFormsReachTheDatabase() throws Exception {
        for (String scheme : new String[] {"postgresql+psycopg2", "postgresql", "postgres", "jdbc:postgresql"}) {
            String url = written(scheme);
            CommandProcess.Result result = CommandProcess.run(Map.of("PSYNC_DB_URL", url,
                    "PSYNC_DATA_DIR", work.resolve("never-created").toString()), "migrate");

            assertThat(result.exitCode()).as(scheme + ": " + result.stderr()).isZero();
            String host = db.jdbcUrl().substring(0, db.jdbcUrl().indexOf('?'));
            assertThat(result.stdout()).as(scheme).startsWith("schema is up to date at version ").contains("(" + host + ")");
            assertThat(result.stdout() + result.stderr()).doesNotContain("hunter2");
        }
        assertThat(work.resolve("never-created")).doesNotExist();
    }

    @Test
    void anotherKindOfUrlIsRefusedWithTheFormToWrite() throws Exception {
        CommandProcess.Result result = CommandProcess.run(Map.of("PSYNC_DB_URL", "mysql://bot:hunter2@db.example:3306/bot",
                "PSYNC_DATA_DIR", work.resolve("never-created").toString()), "migrate");

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.errorLines()).containsExactly("error: PSYNC_DB_URL must be a PostgreSQL URL such as "
                + "jdbc:postgresql://HOST:5432/DB or postgresql://USER:PASSWORD@HOST:5432/DB, got 'mysql://db.example:3306/bot'");
        assertThat(work.resolve("never-created")).doesNotExist();
    }

    @Test
    void parsesTheFormsAndKeepsTheParameters() {
        DatabaseUrl url = DatabaseUrl.parse("postgresql+asyncpg://bot:p%40ss%3Aword@db.internal:6432/trading?sslmode=require");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6432/trading?sslmode=require");
        assertThat(url.user()).contains("bot");
        assertThat(url.password()).contains("p@ss:word");
        assertThat(url.toString()).doesNotContain("p@ss");

        DatabaseUrl jdbc = DatabaseUrl.parse("jdbc:postgresql://db.internal/trading");
        assertThat(jdbc.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal/trading");
        assertThat(jdbc.user()).isEqualTo(Optional.empty());
        assertThat(DatabaseUrl.parse("postgres://bot@[::1]:5432/trading").jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5432/trading");

        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql:///trading?host=/run/postgresql"))
                .hasMessageStartingWith("names no host (a Unix-socket URL?)");
    }
}
