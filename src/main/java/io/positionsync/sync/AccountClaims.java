package io.positionsync.sync;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a gateway's claim on the accounts of its complete snapshot found: the accounts of the snapshot that another
 * gateway reports too, and the accounts the claim released that no two gateways report any more. An account two
 * gateways report is an {@link BreakKind#ACCOUNT_CONFLICT}: a run of either leaves it out as if its snapshot did not
 * hold it ({@link BrokerSnapshot#without}), so neither opens, changes or closes anything of it, until one of them no
 * longer reports it.
 *
 * @param gateway     the gateway that claimed
 * @param conflicting each account of the snapshot another gateway reports too -> those other gateways
 * @param settled     accounts this gateway no longer reports (a run of every account released them) that at most one
 *                    gateway still reports: any conflict of theirs is over
 */
public record AccountClaims(String gateway, Map<String, SortedSet<String>> conflicting, Set<String> settled) {

    /** One conflicting account and every gateway that reports it (this one included), in order. */
    public record Conflict(String account, SortedSet<String> gateways) {
        public Conflict {
            Objects.requireNonNull(account, "account");
            gateways = Collections.unmodifiableSortedSet(new TreeSet<>(gateways));
        }

        /** What the break says: {@code "account DU1 is reported by gateways default and g2: ..."}. */
        public String note() {
            return "account " + account + " is reported by gateways " + names(gateways)
                    + ": no run reconciles it until only one of them reports it";
        }
    }

    public AccountClaims {
        Objects.requireNonNull(gateway, "gateway");
        Map<String, SortedSet<String>> copy = new TreeMap<>();
        conflicting.forEach((account, others) -> copy.put(account,
                Collections.unmodifiableSortedSet(new TreeSet<>(others))));
        conflicting = Collections.unmodifiableMap(copy);
        settled = Collections.unmodifiableSet(new TreeSet<>(settled));
    }

    /** No account of the snapshot is reported by another gateway, and nothing was released. */
    public static AccountClaims none(String gateway) {
        return new AccountClaims(gateway, Map.of(), Set.of());
    }

    /** The accounts the run leaves out: reported by another gateway too. */
    public Set<String> leftOut() {
        return conflicting.keySet();
    }

    /** One {@link BreakKind#ACCOUNT_CONFLICT} per account left out (raised unless one is open already). */
    public List<Conflict> conflicts() {
        List<Conflict> conflicts = new ArrayList<>();
        conflicting.forEach((account, others) -> {
            SortedSet<String> all = new TreeSet<>(others);
            all.add(gateway);
            conflicts.add(new Conflict(account, all));
        });
        return conflicts;
    }

    /**
     * The accounts whose open {@link BreakKind#ACCOUNT_CONFLICT} the run resolves: those of its snapshot
     * ({@code reported}, the conflicting ones left out already or not) that no other gateway reports, and the
     * settled ones.
     */
    public Set<String> resolvedAmong(Collection<String> reported) {
        Set<String> resolved = new TreeSet<>();
        for (String account : reported) {
            if (!conflicting.containsKey(account)) {
                resolved.add(account);
            }
        }
        resolved.addAll(settled);
        return resolved;
    }

    /** {@code "DU1 (also reported by gateway g2)"}, accounts separated by {@code "; "}. */
    public String describe() {
        return conflicting.entrySet().stream()
                .map(e -> e.getKey() + " (also reported by gateway" + (e.getValue().size() == 1 ? " " : "s ")
                        + names(e.getValue()) + ")")
                .collect(Collectors.joining("; "));
    }

    /** {@code "a"}, {@code "a and b"}, {@code "a, b and c"}. */
    static String names(Collection<String> names) {
        List<String> list = new ArrayList<>(new LinkedHashSet<>(names));
        if (list.size() <= 1) {
            return String.join("", list);
        }
        return String.join(", ", list.subList(0, list.size() - 1)) + " and " + list.get(list.size() - 1);
    }
}
