package io.positionsync.boot;

import javax.sql.DataSource;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import io.positionsync.api.DatabaseHealthCheck;
import io.positionsync.store.Adoption;
import io.positionsync.store.BreakRepository;
import io.positionsync.store.Database;
import io.positionsync.store.ExecutionRepository;
import io.positionsync.store.Migrations;
import io.positionsync.store.PositionProjection;
import io.positionsync.store.PositionRepository;

/**
 * The database area: the PostgreSQL (external, or embedded when no URL is set) migrated before any route starts, the
 * repositories (the runs' own in {@link SyncConfiguration}), the projection onto an adopted bot's table, and the database's readiness check.
 */
public class DatabaseConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PositionSyncSettings settings = Wiring.bean(context, SettingsConfiguration.SETTINGS, PositionSyncSettings.class);
        DatabaseSettings db = settings.database();
        Wiring.Resources resources = Wiring.resources(context);
        Database database = resources.add(Database.start(db.connection(), db.adoption()));
        DataSource dataSource = database.dataSource();
        int schemaVersion = Migrations.migrate(dataSource).toVersion();

        ExecutionRepository executions = new ExecutionRepository(dataSource, db.writeChunkSize());
        PositionRepository positions = new PositionRepository(dataSource, executions, db.writeChunkSize());
        PositionProjection projection = Adoption.projection(database, db.adoption(), db.projection());

        Registry registry = context.getRegistry();
        registry.bind("database", database);
        registry.bind("dataSource", dataSource);
        registry.bind("executionRepository", executions);
        registry.bind("positionRepository", positions);
        registry.bind("breakRepository", new BreakRepository(dataSource));
        registry.bind("positionProjection", projection);
        registry.bind("databaseHealthCheck", new DatabaseHealthCheck(dataSource, settings.http().api().dbHealthTimeout(),
                schemaVersion));
    }

    /**
     * The database as a command starts it: every configured value checked first (a wrong one is named by its
     * variable before anything starts), then the service's own schema of an adopted database.
     */
    public static Database start(ConfigurationValues values) {
        ConfigurationCheck.validate(values);
        DatabaseSettings db = ConfigurationBinder.database(values);
        return Database.start(db.connection(), db.adoption());
    }
}
