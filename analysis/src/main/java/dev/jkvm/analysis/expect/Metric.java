package dev.jkvm.analysis.expect;

import dev.jkvm.analysis.RunSummary;
import java.util.List;

/**
 * One quantity an expectation can name: its name, what it measures, the arguments it takes, a line
 * of help, and how it is read from a {@link RunSummary}. The catalogue is {@link Metrics}.
 */
public record Metric(String name, Dimension dimension, Params params, String help, Resolver resolver) {

    /** The arguments a metric takes in parentheses. */
    public enum Params {
        /** Run-wide only: {@code lost}. */
        NONE("", 0, 0),
        /** One VM (vm1, or vm1/0 for one vCPU): {@code share(vm1)}. */
        VM("(VM)", 1, 1),
        /** Run-wide, or one VM: {@code slice.p99}, {@code slice.p99(vm1)}. */
        OPTIONAL_VM("[(VM)]", 0, 1),
        /** Two VMs: {@code ratio(vm0, vm1)}. */
        TWO_VMS("(VM, VM)", 2, 2),
        /** Run-wide or one VM, all exits or one reason: {@code exits}, {@code exits(vm0)}, {@code exits(vm0, IO)}. */
        VM_AND_REASON("[(VM[, REASON])]", 0, 2);

        public final String usage;
        public final int min, max;

        Params(String usage, int min, int max) {
            this.usage = usage;
            this.min = min;
            this.max = max;
        }
    }

    /** Reads the metric from a summary; {@code args} are as written (VM names, an exit reason). */
    @FunctionalInterface
    public interface Resolver {
        Measured resolve(RunSummary run, List<String> args);
    }

    /** How it is written with its arguments, for help and errors: {@code slice.p99[(VM)]}. */
    public String usage() {
        return name + params.usage;
    }
}
