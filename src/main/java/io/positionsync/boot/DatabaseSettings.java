package io.positionsync.boot;

import java.util.Objects;

import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.DatabaseConfig;
import io.positionsync.store.ProjectionSettings;

/**
 * The database area: where it is, how runs write, and how an adopted bot database is laid out and written.
 *
 * @param connection     {@code psync.db.*} and {@code psync.data.dir}
 * @param writeChunkSize rows per set-based write statement ({@code psync.db.write-chunk-size})
 * @param adoption       {@code psync.adopt.*}: the schemas, the bot's table and columns
 * @param projection     {@code psync.adopt.*}: how runs write the bot's table
 */
public record DatabaseSettings(DatabaseConfig connection, int writeChunkSize, AdoptionSettings adoption,
        ProjectionSettings projection) {
    public DatabaseSettings {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(adoption, "adoption");
        Objects.requireNonNull(projection, "projection");
        if (writeChunkSize < 1) {
            throw new IllegalArgumentException("the write chunk size must be at least 1, was " + writeChunkSize);
        }
    }
}
