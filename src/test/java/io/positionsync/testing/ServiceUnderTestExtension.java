package io.positionsync.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

import io.positionsync.boot.DatabaseLink;
import io.positionsync.ibkr.sim.GatewaySimulator;
import io.positionsync.ibkr.sim.SimulatorOptions;
import io.positionsync.store.TestDatabase;
import io.positionsync.testing.PositionSyncService.Lifecycle;
import io.positionsync.testing.PositionSyncService.Mode;
import io.positionsync.testing.PositionSyncService.Profile;

/**
 * Starts what {@link PositionSyncService} asks for before a test class (or each test method), hands it to the
 * test's fields and parameters by type, and closes it afterwards: the service first, then the simulator, the
 * database link and the database.
 */
public final class ServiceUnderTestExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ServiceUnderTestExtension.class);
    private static final String KEY = "started";
    private static final Set<Class<?>> TYPES = Set.of(ServiceUnderTest.class, TestDatabase.class, DataSource.class,
            GatewaySimulator.class, CamelContext.class, DatabaseLink.class);
    private static final Duration CHILD_STARTUP = Duration.ofSeconds(90);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Optional<PositionSyncService> annotation = classAnnotation(context);
        if (annotation.isPresent() && annotation.get().lifecycle() == Lifecycle.PER_CLASS) {
            Started started = Started.start(annotation.get());
            context.getStore(NAMESPACE).put(KEY, started);
            inject(context.getRequiredTestClass(), null, started, true);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        Optional<PositionSyncService> own = AnnotationSupport.findAnnotation(context.getRequiredTestMethod(),
                PositionSyncService.class);
        Optional<PositionSyncService> perMethod = own.isPresent() ? own
                : classAnnotation(context).filter(a -> a.lifecycle() == Lifecycle.PER_METHOD);
        Started started;
        if (perMethod.isPresent()) {
            started = Started.start(perMethod.get());
            context.getStore(NAMESPACE).put(KEY, started);
            inject(context.getRequiredTestClass(), null, started, true);
        } else {
            started = classStarted(context);
        }
        if (started != null) {
            inject(context.getRequiredTestClass(), context.getRequiredTestInstance(), started, false);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Started started = context.getStore(NAMESPACE).remove(KEY, Started.class);
        if (started != null) {
            try {
                started.close();
            } finally {
                // the class's own service, if it has one, is again the one its static fields name
                Started forClass = classStarted(context);
                inject(context.getRequiredTestClass(), null, forClass == null ? Started.NOTHING : forClass, true);
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Started started = context.getStore(NAMESPACE).remove(KEY, Started.class);
        if (started != null) {
            try {
                started.close();
            } finally {
                inject(context.getRequiredTestClass(), null, Started.NOTHING, true);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return TYPES.contains(parameter.getParameter().getType());
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Started started = context.getStore(NAMESPACE).get(KEY, Started.class);
        if (started == null) {
            started = classStarted(context);
        }
        if (started == null) {
            throw new ParameterResolutionException("no @PositionSyncService started for " + context.getDisplayName());
        }
        Object value = started.value(parameter.getParameter().getType());
        if (value == null) {
            throw new ParameterResolutionException("@PositionSyncService of " + context.getDisplayName()
                    + " has no " + parameter.getParameter().getType().getSimpleName());
        }
        return value;
    }

    private static Optional<PositionSyncService> classAnnotation(ExtensionContext context) {
        return AnnotationSupport.findAnnotation(context.getRequiredTestClass(), PositionSyncService.class);
    }

    private static Started classStarted(ExtensionContext context) {
        for (Optional<ExtensionContext> c = context.getParent(); c.isPresent(); c = c.get().getParent()) {
            if (c.get().getTestMethod().isEmpty()) {
                Started started = c.get().getStore(NAMESPACE).get(KEY, Started.class);
                if (started != null) {
                    return started;
                }
            }
        }
        return null;
    }

    /** Sets the test's fields of the handed-out types: static ones ({@code statics}) or the instance's. */
    private static void inject(Class<?> testClass, Object instance, Started started, boolean statics) throws IllegalAccessException {
        List<Field> fields = ReflectionSupport.findFields(testClass,
                f -> TYPES.contains(f.getType()) && Modifier.isStatic(f.getModifiers()) == statics
                        && !Modifier.isFinal(f.getModifiers()), HierarchyTraversalMode.TOP_DOWN);
        Set<Class<?>> seen = new HashSet<>();
        for (Field field : fields) {
            if (!seen.add(field.getType())) {
                throw new ExtensionConfigurationException(testClass.getName() + " has two fields of type "
                        + field.getType().getSimpleName() + ": @PositionSyncService cannot tell which to set");
            }
            field.setAccessible(true);
            field.set(instance, started.value(field.getType()));
        }
    }

    /** What one annotation started, closed last started first. */
    private record Started(ServiceUnderTest service, GatewaySimulator simulator, DatabaseLink link, TestDatabase db)
            implements AutoCloseable {
        static final Started NOTHING = new Started(null, null, null, null);

        static Started start(PositionSyncService options) throws Exception {
            TestDatabase db = null;
            DatabaseLink link = null;
            GatewaySimulator simulator = null;
            try {
                if (options.profile() != Profile.DEMO && options.database()) {
                    db = TestDatabase.create();
                    if (options.databaseLink()) {
                        link = new DatabaseLink(db.jdbcUrl());
                    }
                }
                if (options.profile() != Profile.DEMO) {
                    simulator = switch (options.gateway()) {
                        case DEMO -> GatewaySimulator.startDemo();
                        case BOOK -> new GatewaySimulator(SyncBook.state(), SimulatorOptions.defaults()).start();
                        case NONE -> null;
                    };
                }
                ServiceUnderTest service = startService(options, db, link, simulator);
                return new Started(service, simulator, link, db);
            } catch (Exception | Error e) {
                ServiceUnderTest.closeAll(simulator, link, db);
                throw e;
            }
        }

        private static ServiceUnderTest startService(PositionSyncService options, TestDatabase db, DatabaseLink link,
                GatewaySimulator simulator) throws Exception {
            Map<String, String> properties = new LinkedHashMap<>();
            if (link != null) {
                properties.put("psync.db.url", link.url(db.jdbcUrl()));
            }
            for (String property : options.properties()) {
                int equals = property.indexOf('=');
                if (equals < 1) {
                    throw new ExtensionConfigurationException("not name=value: " + property);
                }
                properties.put(property.substring(0, equals).trim(), property.substring(equals + 1).trim());
            }
            ServiceUnderTest service;
            if (options.profile() == Profile.NONE) {
                return null;
            } else if (options.mode() == Mode.CHILD_PROCESS) {
                if (options.profile() != Profile.API) {
                    throw new ExtensionConfigurationException("a child process runs the whole service (Profile.API)");
                }
                Map<String, String> env = new LinkedHashMap<>();
                properties.forEach((name, value) -> env.put(ServiceUnderTest.variable(name), value));
                service = ServiceUnderTest.startProcess(db, simulator, env);
                if (options.awaitFirstRun()) {
                    try {
                        service.awaitStartupRun(CHILD_STARTUP);
                    } catch (RuntimeException | Error e) {
                        service.close();
                        throw e;
                    }
                }
                return service;
            } else if (options.profile() == Profile.DEMO) {
                service = ServiceUnderTest.startDemo(Files.createTempDirectory(Path.of("target"), "demo-"), properties);
            } else {
                Map<String, String> all = options.profile() == Profile.PIPELINE
                        ? ServiceUnderTest.pipelineDefaults(db, simulator)
                        : ServiceUnderTest.defaults(db, simulator);
                all.putAll(properties);
                service = ServiceUnderTest.start(db, simulator, all);
            }
            if (options.awaitFirstRun()) {
                try {
                    service.awaitFirstSuccessfulRun();
                } catch (RuntimeException | Error e) {
                    service.close();
                    throw e;
                }
            }
            return service;
        }

        Object value(Class<?> type) {
            if (type == ServiceUnderTest.class) {
                return service;
            } else if (type == TestDatabase.class) {
                return db;
            } else if (type == DataSource.class) {
                return db == null ? null : db.dataSource();
            } else if (type == GatewaySimulator.class) {
                return simulator != null ? simulator : service == null ? null : service.simulator();
            } else if (type == CamelContext.class) {
                return service == null || service.context == null ? null : service.context;
            } else if (type == DatabaseLink.class) {
                return link;
            }
            throw new IllegalArgumentException(type.getName());
        }

        @Override
        public void close() {
            ServiceUnderTest.closeAll(service, simulator, link, db);
        }
    }
}
