package io.positionsync.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The service's layering, with no exception listed:
 *
 * <pre>
 *   boot  (the commands, the configuration and wiring)
 *    |
 *   api   (HTTP)
 *    |
 *   run   (the sync pipeline's Camel glue)
 *    |        \
 *   store      ibkr (the TWS client)        ibkr.sim (the gateway simulator, the demo)
 *    |        /    \                          |
 *   sync (domain)  ibkr.wire (framing, fields) -+
 * </pre>
 *
 * Each layer may use only the layers below it; {@code sync} and {@code ibkr.wire} use nothing of ours, and no two
 * packages depend on each other in a cycle.
 */
class LayeringTest {
    private static JavaClasses service;

    @BeforeAll
    static void importTheServiceClasses() {
        service = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.positionsync");
    }

    @Test
    void layers() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("boot").definedBy("io.positionsync.boot..")
                .layer("api").definedBy("io.positionsync.api..")
                .layer("run").definedBy("io.positionsync.run..")
                .layer("store").definedBy("io.positionsync.store..")
                .layer("client").definedBy("io.positionsync.ibkr")
                .layer("simulator").definedBy("io.positionsync.ibkr.sim..")
                .layer("wire").definedBy("io.positionsync.ibkr.wire..")
                .layer("domain").definedBy("io.positionsync.sync..")
                .whereLayer("boot").mayNotBeAccessedByAnyLayer()
                .whereLayer("api").mayOnlyBeAccessedByLayers("boot")
                .whereLayer("run").mayOnlyBeAccessedByLayers("api", "boot")
                .whereLayer("store").mayOnlyBeAccessedByLayers("run", "api", "boot")
                .whereLayer("client").mayOnlyBeAccessedByLayers("run", "api", "boot")
                .whereLayer("simulator").mayOnlyBeAccessedByLayers("boot")
                .whereLayer("wire").mayOnlyBeAccessedByLayers("client", "simulator", "boot")
                .whereLayer("domain").mayOnlyBeAccessedByLayers("store", "client", "run", "api", "boot").check(service);
    }

    @Test
    void theDomainUsesOnlyTheJdk() {
        classes().that().resideInAPackage("io.positionsync.sync..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.positionsync.sync..", "java..").check(service);
    }

    @Test
    void theWireLayerUsesOnlyTheJdk() {
        classes().that().resideInAPackage("io.positionsync.ibkr.wire..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.positionsync.ibkr.wire..", "java..").check(service);
    }

    @Test
    void theStoreKnowsNoCamelRoute() {
        noClasses().that().resideInAPackage("io.positionsync.store..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.camel..").check(service);
    }

    @Test
    void noCycles() {
        slices().matching("io.positionsync.(**)").should().beFreeOfCycles().check(service);
    }
}
