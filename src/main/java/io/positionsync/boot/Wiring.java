package io.positionsync.boot;

import java.util.ArrayDeque;
import java.util.Deque;

import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the configuration classes share: the beans one area binds and the next one takes from the registry, and the
 * resources they start, closed with the CamelContext.
 */
final class Wiring {
    private static final Logger LOG = LoggerFactory.getLogger(Wiring.class);

    private Wiring() {
    }

    /** The bean an earlier configuration class bound under {@code name}. */
    static <T> T bean(CamelContext context, String name, Class<T> type) {
        T bean = context.getRegistry().lookupByNameAndType(name, type);
        if (bean == null) {
            throw new IllegalStateException("no bean " + name + " (" + type.getSimpleName() + ") in the registry: "
                    + "camel.main.configuration-classes lists the configuration classes out of order");
        }
        return bean;
    }

    /** The closer of what the configuration started, registered with the context by the first class that asks. */
    static synchronized Resources resources(CamelContext context) throws Exception {
        Resources resources = context.hasService(Resources.class);
        if (resources == null) {
            resources = new Resources();
            context.addService(resources, true, true);
        }
        return resources;
    }

    /** Closes what the configuration started, last started first, when the CamelContext stops. */
    static final class Resources extends ServiceSupport {
        private final Deque<AutoCloseable> started = new ArrayDeque<>();

        synchronized <T extends AutoCloseable> T add(T resource) {
            started.push(resource);
            return resource;
        }

        @Override
        protected synchronized void doStop() {
            while (!started.isEmpty()) {
                AutoCloseable resource = started.pop();
                try {
                    resource.close();
                } catch (Exception e) {
                    LOG.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.getMessage());
                }
            }
        }
    }
}
