package io.positionsync.boot;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.positionsync.sync.BrokerPosition;
import io.positionsync.sync.BrokerSnapshot;
import io.positionsync.ibkr.TwsBrokerGateway;
import io.positionsync.store.Adoption;
import io.positionsync.store.AdoptionSettings;
import io.positionsync.store.BotTable;
import io.positionsync.store.Database;
import io.positionsync.sync.BotRowMatching;

/**
 * {@code adopt [--dry-run]}: makes the service keep an existing trading bot's positions table in step (see
 * {@link Adoption}). The dry run changes nothing and says what adoption would do, how each open bot row would be
 * matched to what the broker holds (with a reachable gateway), and what blocks it; it exits 0 only if adoption can
 * proceed. Without {@code --dry-run} it adopts, in one transaction.
 */
final class AdoptCommand {
    private static final String USAGE = "usage: adopt [--dry-run]";

    private AdoptCommand() {
    }

    static int run(String[] args) {
        return run(args, ConfigurationValues.load(), System.out, System.err);
    }

    static int run(String[] args, ConfigurationValues values, PrintStream out, PrintStream err) {
        boolean dryRun;
        if (args.length == 0) {
            dryRun = false;
        } else if (args.length == 1 && "--dry-run".equals(args[0])) {
            dryRun = true;
        } else {
            err.println("error: unexpected arguments (" + USAGE + ")");
            return 2;
        }
        return run(dryRun, values, out, err);
    }

    /** The command line's entry. */
    static int run(boolean dryRun) {
        return run(dryRun, ConfigurationValues.load(), System.out, System.err);
    }

    static int run(boolean dryRun, ConfigurationValues values, PrintStream out, PrintStream err) {
        AdoptionSettings adoption = ConfigurationBinder.adoption(values);
        try (Database database = DatabaseConfiguration.start(values);
                io.positionsync.store.ServiceLock.Exclusive exclusive = dryRun ? io.positionsync.store.ServiceLock.Exclusive.NONE
                        : io.positionsync.store.ServiceLock.exclusive(database, "adopt")) {
            if (database.serviceSchema().isPresent()) {
                try (Connection connection = database.dataSource().getConnection()) {
                    Adoption.Adopted adopted = Adoption.adopted(connection, database.serviceSchema().get()).orElseThrow();
                    err.println("error: already adopted: " + adopted.botSchema() + "." + adopted.botTable() + " is kept in step "
                            + "since " + adopted.adoptedAt() + ", the service's tables are in schema "
                            + adopted.serviceSchema() + " (`rollback --to 0` undoes it)");
                }
                return 1;
            }
            Adoption.Plan plan;
            if (dryRun) {
                out.println("adopt --dry-run: nothing is changed (" + database.displayUrl() + ")");
                plan = Adoption.plan(database.dataSource(), adoption);
            } else {
                plan = Adoption.adopt(database.dataSource(), adoption,
                        Clock.systemUTC().instant().truncatedTo(ChronoUnit.MICROS));
            }
            printPlan(plan, dryRun, out);
            if (dryRun && plan.table() != null) {
                printMatching(database, plan, adoption, values, out);
            }
            if (!plan.canProceed()) {
                out.println("blocked:");
                plan.blockers().forEach(b -> out.println("  - " + b));
                err.println("error: adoption is blocked (" + plan.blockers().size() + "): " + plan.blockers().get(0)
                        + (dryRun ? "" : "; nothing was changed"));
                return 1;
            }
            out.println(dryRun ? "nothing blocks adoption: run `adopt` to do it"
                    : "adopted: every sync run now keeps " + plan.table().displayName() + " in step");
            return 0;
        } catch (RuntimeException | SQLException e) {
            err.println("error: " + oneLine(e));
            return 1;
        }
    }

    private static void printPlan(Adoption.Plan plan, boolean dryRun, PrintStream out) {
        BotTable table = plan.table();
        if (table == null) {
            return;
        }
        String would = dryRun ? "would " : "";
        out.println("bot table " + table.displayName()
                + (plan.alembicRevision() == null ? "" : " (Alembic revision " + plan.alembicRevision() + ")") + ": "
                + plan.rows() + " rows; status values in use: " + (plan.statusValues().isEmpty() ? "none"
                        : plan.statusValues().entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")")
                                .collect(Collectors.joining(", ")))
                + "; written as " + plan.statusOpen() + " / " + plan.statusClosed());
        out.println("  columns: " + table.columns().stream().map(BotTable.Column::describe).collect(Collectors.joining(", ")));
        plan.notes().forEach(note -> out.println("  note: " + note));
        List<String> changes = new ArrayList<>();
        plan.columnsToAdd().forEach(c -> changes.add("column " + c + " (nullable)"));
        if (plan.indexToAdd() != null) {
            changes.add("index " + plan.indexToAdd());
        }
        out.println(would + (dryRun ? "add" : "added") + " to " + table.displayName() + ": "
                + (changes.isEmpty() ? "nothing" : String.join(", ", changes)));
        if (!plan.columnsUsedAsTheyAre().isEmpty()) {
            out.println((dryRun ? "would use" : "used") + " as they are: " + String.join(", ", plan.columnsUsedAsTheyAre()));
        }
        if (!plan.serviceTables().isEmpty()) {
            out.println(would + (dryRun ? "create" : "created") + " schema " + plan.serviceSchema() + " with: "
                    + String.join(", ", plan.serviceTables()));
        }
        out.println(would + (dryRun ? "leave" : "left") + " alone: every other table of " + table.schema()
                + (plan.alembicRevision() == null ? "" : " (alembic_version included)")
                + " and the bot's rows (sync runs update them from then on)");
    }

    /** How each open row would be matched, from one snapshot of the configured gateway. */
    private static void printMatching(Database database, Adoption.Plan plan, AdoptionSettings adoption, ConfigurationValues values,
            PrintStream out) throws SQLException {
        List<String> missing = java.util.stream.Stream.of(adoption.columns().id(), adoption.columns().symbol(),
                adoption.columns().status()).filter(c -> plan.table().column(c).isEmpty()).toList();
        if (!missing.isEmpty()) {
            out.println("matching of the open rows: not previewed, the bot's table has no column "
                    + String.join(", ", missing) + " (see blocked)");
            return;
        }
        List<BotRowMatching.BotRow> rows;
        try (Connection connection = database.dataSource().getConnection()) {
            rows = Adoption.openRows(connection, plan.table(), adoption.columns(), plan.statusOpen());
        }
        GatewaySettings gateway = ConfigurationBinder.gateway(values);
        Optional<String> host = gateway.host();
        if (host.isEmpty() || gateway.simulatorNamed()) {
            out.println("matching of the " + rows.size() + " open rows: not previewed, no gateway configured "
                    + "(set PSYNC_IBKR_HOST and PSYNC_IBKR_PORT to the bot's TWS / IB Gateway to see it)");
            return;
        }
        int port = gateway.port();
        BrokerSnapshot snapshot;
        try (TwsBrokerGateway client = new TwsBrokerGateway(gateway.client(), gateway.limits(), Clock.systemUTC())) {
            snapshot = client.snapshot();
        } catch (Exception e) {
            out.println("matching of the " + rows.size() + " open rows: not previewed, the gateway at " + host.get() + ":"
                    + port + " could not be reached (" + oneLine(e) + ")");
            return;
        }
        if (!snapshot.complete()) {
            out.println("matching of the " + rows.size() + " open rows: not previewed, the gateway's snapshot was "
                    + "incomplete (" + snapshot.incompleteReason() + ")");
            return;
        }
        List<BrokerPosition> held = snapshot.positions().stream().filter(p -> p.position().signum() != 0).toList();
        List<BotRowMatching.Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < held.size(); i++) {
            BrokerPosition p = held.get(i);
            candidates.add(new BotRowMatching.Candidate(i, p.account(), p.symbol(), p.secType(), p.currency()));
        }
        out.println("matching of the " + rows.size() + " open rows with the " + held.size() + " positions the gateway at "
                + host.get() + ":" + port + " reports:");
        Set<Long> spoken = new HashSet<>();
        for (BotRowMatching.Match match : BotRowMatching.match(rows, candidates)) {
            match.candidates().forEach(c -> spoken.add(c.id()));
            if (match.linked()) {
                BrokerPosition p = held.get((int) match.candidates().get(0).id());
                out.println("  row " + match.row().id() + " " + match.row().symbol() + ": links to " + describe(p));
            } else {
                out.println("  " + match.describe() + " (break BOT_ROW_UNMATCHED)");
            }
        }
        for (int i = 0; i < held.size(); i++) {
            if (!spoken.contains((long) i)) {
                out.println("  " + describe(held.get(i)) + ": no open row; the first sync run adds one");
            }
        }
    }

    private static String describe(BrokerPosition p) {
        return p.account() + " " + p.symbol() + " " + p.secType() + " " + p.currency() + " (conId " + p.conId()
                + "), quantity " + p.position().stripTrailingZeros().toPlainString();
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }
}
