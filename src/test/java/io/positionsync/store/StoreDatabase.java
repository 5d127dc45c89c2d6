package io.positionsync.store;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The store tests' PostgreSQL, registered on a static field ({@code @RegisterExtension}): one embedded database for
 * the test class, started before its {@code @BeforeAll} methods, every table emptied before each test.
 */
final class StoreDatabase implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {
    private TestDatabase db;

    @Override
    public void beforeAll(ExtensionContext context) {
        db = TestDatabase.create();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (db != null) {
            db.close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws SQLException {
        StoreTables.truncate(db);
    }

    TestDatabase database() {
        return db;
    }

    DataSource dataSource() {
        return db.dataSource();
    }

    Connection connection() throws SQLException {
        return db.connection();
    }

    /** {@code SELECT count(*) <sqlFromWhere>}. */
    long count(String sqlFromWhere) throws SQLException {
        return StoreTables.count(db, sqlFromWhere);
    }
}
