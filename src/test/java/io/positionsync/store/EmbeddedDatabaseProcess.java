package io.positionsync.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

/**
 * Run as a separate JVM by {@link DatabaseTest}: starts the embedded database on {@code args[0]}, writes a row,
 * prints {@code ready}, then waits until it is killed.
 */
public final class EmbeddedDatabaseProcess {
    private EmbeddedDatabaseProcess() {
    }

    public static void main(String[] args) throws Exception {
        Database database = Database.start(DatabaseTest.embeddedConfig(Path.of(args[0])));
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS marks (note text)");
            statement.execute("INSERT INTO marks VALUES ('written by the child process')");
        }
        System.out.println("ready");
        System.out.flush();
        System.in.read(); // killed before anything arrives
        database.close();
    }

}
