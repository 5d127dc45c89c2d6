package io.positionsync.boot;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one summary line a reliability test group prints when it ends: cases run, faults injected, and
 * invariant violations (cases that started but did not reach their last assertion). A case calls
 * {@link #begin} first and {@link #held} after its last assertion. Registered on the test class
 * ({@code @RegisterExtension static final GroupSummary SUMMARY = ...}), it prints the line after the last test.
 */
public final class GroupSummary implements AfterAllCallback {
    private final String group;
    private final AtomicInteger cases = new AtomicInteger();
    private final AtomicInteger faults = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();

    public GroupSummary(String group) {
        this.group = group;
    }

    /** A case starts and injects {@code injected} faults. */
    public void begin(int injected) {
        cases.incrementAndGet();
        faults.addAndGet(injected);
    }

    /** The case reached its end with every invariant holding. */
    public void held() {
        held.incrementAndGet();
    }

    /** Adds faults injected by a case already begun (e.g. fuzzed frames). */
    public void injected(int count) {
        faults.addAndGet(count);
    }

    public String line() {
        return group + ": cases=" + cases.get() + ", faults injected=" + faults.get() + ", invariant violations="
                + (cases.get() - held.get());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        print();
    }

    /** Prints {@link #line()} to standard output. */
    public void print() {
        System.out.println(line());
    }
}
