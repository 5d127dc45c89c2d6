package io.positionsync.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The service under test for a test class (or one test method): a real PostgreSQL schema, the gateway simulator on
 * a real socket, and the service itself, in this JVM or as a child process, started before the tests and stopped
 * after them by {@link ServiceUnderTestExtension}. Tests receive what they need by type, as fields (static ones for
 * a class-wide service) or as parameters: {@link ServiceUnderTest} (HTTP client, token, Camel context, process),
 * {@link io.positionsync.store.TestDatabase}, {@link javax.sql.DataSource}, {@link io.positionsync.ibkr.sim.GatewaySimulator},
 * {@link org.apache.camel.CamelContext}, {@link io.positionsync.boot.DatabaseLink}.
 *
 * <pre>{@code
 * @PositionSyncService(awaitFirstRun = true)
 * class StatusTest {
 *     static ServiceUnderTest service;   // injected
 *     static GatewaySimulator sim;       // injected
 *     @Test void ... { service.getJson("api/sync/status") ... }
 * }
 * }</pre>
 *
 * On a test method it replaces the class's for that method, with a service of the method's own.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
@ExtendWith(ServiceUnderTestExtension.class)
public @interface PositionSyncService {

    /** What is started. */
    enum Profile {
        /** The whole service: every route file, the HTTP API on a free loopback port with {@link ServiceUnderTest#TOKEN}. */
        API,
        /** The sync pipeline only ({@code routes/sync.camel.yaml}): no HTTP server, no timer; runs are triggered by the test. */
        PIPELINE,
        /** The zero-config default a new user starts: embedded PostgreSQL in a fresh data directory, the built-in demo. */
        DEMO,
        /** No service: only the database and the gateway, for tests that start services themselves. */
        NONE
    }

    /** The broker behind the simulator. */
    enum Gateway {
        /** {@link io.positionsync.ibkr.sim.GatewaySimulator#startDemo()}. */
        DEMO,
        /** {@link SyncBook}: two empty accounts and a few priced instruments. */
        BOOK,
        /** No simulator. */
        NONE
    }

    enum Mode {
        /** camel-main in this JVM: the Camel context and its registry are at hand. */
        IN_PROCESS,
        /** The real {@code Application} main in a child JVM, configured by {@code PSYNC_*} variables: for signals and kill -9. */
        CHILD_PROCESS
    }

    enum Lifecycle {
        /** One service for the whole class (static fields). */
        PER_CLASS,
        /** A fresh service, database and gateway for each test method. */
        PER_METHOD
    }

    Profile profile() default Profile.API;

    Gateway gateway() default Gateway.DEMO;

    /** A fresh schema on the test PostgreSQL, migrated to the latest version (ignored by {@link Profile#DEMO}). */
    boolean database() default true;

    /** The service reaches the database through a {@link io.positionsync.boot.DatabaseLink} the test can cut. */
    boolean databaseLink() default false;

    Mode mode() default Mode.IN_PROCESS;

    /** {@code name=value} settings over the profile's ({@code psync.http.idle-timeout-ms=1000}). */
    String[] properties() default {};

    /** Waits until the start-up run has succeeded before the first test. */
    boolean awaitFirstRun() default false;

    Lifecycle lifecycle() default Lifecycle.PER_CLASS;
}
