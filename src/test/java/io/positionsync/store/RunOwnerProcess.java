package io.positionsync.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.Properties;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import io.positionsync.sync.SyncTrigger;

/**
 * Run as a separate JVM by {@link RunOwnershipTest}: a process mid-run. It becomes a run owner on the database
 * {@code args[0]} (user {@code args[1]}, password {@code args[2]} or none), commits a RUNNING run as the service
 * does, prints {@code run <id>}, then waits until it is killed.
 */
public final class RunOwnerProcess {
    private RunOwnerProcess() {
    }

    public static void main(String[] args) throws Exception {
        Properties credentials = new Properties();
        credentials.setProperty("user", args[1]);
        if (args.length > 2 && !args[2].isEmpty()) {
            credentials.setProperty("password", args[2]);
        }
        RunOwner owner = RunOwner.acquire(DriverManager.getConnection(args[0], credentials));
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setDataSourceProperties(credentials);
        config.setMaximumPoolSize(1);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            SyncRunRepository runs = new SyncRunRepository(pool, owner);
            long id;
            try (Connection connection = pool.getConnection()) {
                id = runs.insertStarted(connection, SyncTrigger.TIMER, Instant.now(), null);
            }
            System.out.println("run " + id);
            System.out.flush();
            System.in.read(); // killed before anything arrives
        }
        owner.close();
    }
}
