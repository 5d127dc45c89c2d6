package io.positionsync.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.positionsync.testing.ServiceUnderTest;

/**
 * The trading bot's database of {@code src/test/resources/bot/}: its table as the bot's Alembic revisions create it
 * (before or after revision 004) with rows in every state, in a {@link TestDatabase}'s schema.
 */
public final class BotFixture {
    private BotFixture() {
    }

    /** The bot before its revision 004 (statuses OPEN / CLOSED), and after it (statuses open / closed). */
    public enum Variant {
        ALEMBIC_003("OPEN", "CLOSED"),
        ALEMBIC_004("open", "closed");

        public final String open;
        public final String closed;

        Variant(String open, String closed) {
            this.open = open;
            this.closed = closed;
        }

        /** The bot's own SQL with its status spelling. */
        public String sql(String template) {
            return template.replace("{{OPEN}}", open).replace("{{CLOSED}}", closed);
        }
    }

    /** A fresh schema holding the bot's tables and rows. */
    public static TestDatabase create(Variant variant) throws SQLException {
        TestDatabase db = TestDatabase.createEmpty();
        try {
            load(db.dataSource(), variant);
            return db;
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    static void load(DataSource dataSource, Variant variant) throws SQLException {
        List<String> scripts = new ArrayList<>(List.of("bot/alembic-001-003.sql"));
        if (variant == Variant.ALEMBIC_004) {
            scripts.add("bot/alembic-004.sql");
        }
        scripts.add("bot/seed.sql");
        if (variant == Variant.ALEMBIC_004) {
            scripts.add("bot/seed-004.sql");
        }
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            for (String script : scripts) {
                statement.execute(variant.sql(resource(script)));
            }
        }
    }

    /** The service's schema for a test database: beside the bot's, dropped by {@link #dropServiceSchema}. */
    public static String serviceSchema(TestDatabase db) {
        return db.schema() + "_psync";
    }

    /** The adoption settings a test uses: the defaults, with the service's schema of its own. */
    public static AdoptionSettings settings(TestDatabase db) {
        return AdoptionSettings.defaults(serviceSchema(db));
    }

    public static void dropServiceSchema(TestDatabase db) throws SQLException {
        try (Connection connection = db.connection(); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + serviceSchema(db) + " CASCADE");
        }
    }

    /**
     * After a test that ran the service on the fixture: stops the service, drops the service's schema, closes the
     * service's simulator and the fixture; or, when the service never started, drops the schema and closes the fixture.
     */
    public static void close(ServiceUnderTest service, TestDatabase db) throws SQLException {
        if (service != null) {
            service.stop();
            dropServiceSchema(db);
            service.close();
        } else if (db != null) {
            dropServiceSchema(db);
            db.close();
        }
    }

    /** Adopts the fixture as {@code adopt} does; fails when something blocks it. */
    public static Adoption.Plan adopt(TestDatabase db) {
        Adoption.Plan plan = Adoption.adopt(db.dataSource(), settings(db), java.time.Instant.parse("2026-11-30T08:00:00Z"));
        if (!plan.canProceed()) {
            throw new AssertionError("adoption blocked: " + plan.blockers());
        }
        return plan;
    }

    /** Every row of every table and the state of every sequence in {@code schema}, as sorted text lines. */
    public static List<String> dataDump(DataSource dataSource, String schema) throws SQLException {
        List<String> lines = new ArrayList<>();
        try (Connection connection = dataSource.getConnection()) {
            List<String> tables = new ArrayList<>();
            List<String> sequences = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            + "WHERE n.nspname = ? AND c.relkind IN ('r', 'S') ORDER BY 1")) {
                statement.setString(1, schema);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        ("r".equals(rows.getString(2)) ? tables : sequences).add(rows.getString(1));
                    }
                }
            }
            try (Statement statement = connection.createStatement()) {
                for (String table : tables) {
                    try (ResultSet rows = statement.executeQuery("SELECT t::text FROM " + schema + "." + table + " t")) {
                        while (rows.next()) {
                            lines.add(table + " " + rows.getString(1));
                        }
                    }
                }
                for (String sequence : sequences) {
                    try (ResultSet rows = statement.executeQuery("SELECT last_value, is_called FROM " + schema + "."
                            + sequence)) {
                        rows.next();
                        lines.add("sequence " + sequence + " " + rows.getLong(1) + " " + rows.getBoolean(2));
                    }
                }
            }
        }
        return lines.stream().sorted().toList();
    }

    /** The catalog of {@code schema} (see {@link CatalogDump}). */
    public static List<String> catalog(DataSource dataSource, String schema) throws SQLException {
        return CatalogDump.of(dataSource, schema);
    }

    private static String resource(String name) {
        try (InputStream in = BotFixture.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
