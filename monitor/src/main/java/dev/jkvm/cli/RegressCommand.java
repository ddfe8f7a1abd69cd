package dev.jkvm.cli;

import dev.jkvm.analysis.BadRecordingException;
import dev.jkvm.analysis.JsonReport;
import dev.jkvm.analysis.RecordingAnalysis;
import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.SummaryJson;
import dev.jkvm.analysis.expect.Baseline;
import dev.jkvm.analysis.expect.Expectation;
import dev.jkvm.analysis.expect.JunitXml;
import dev.jkvm.analysis.expect.Verdict;
import dev.jkvm.analysis.picture.Timeline;
import dev.jkvm.analysis.picture.TimelineHtml;
import dev.jkvm.analysis.picture.TimelineSvg;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.util.OutputFile;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * `jkvm regress [DIR]`: every {@code *.args} experiment file of DIR run one after another, each judged
 * by its own --expect lines (and against a baseline run), with the evidence written per experiment.
 * Every file is read and every expectation parsed before the first experiment starts.
 */
@Command(name = "regress", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run every *.args experiment of DIR as a regression test, judged by its --expect lines.",
            "Each file of DIR (default: experiments) runs as 'jkvm run @FILE' would. Writes per experiment into OUT/NAME/: "
                    + "recording.jfr, analysis.json, timeline.html, timeline.svg, junit.xml and output.txt (what the run "
                    + "printed); OUT/junit.xml and OUT/summary.txt for all. With --baseline, each experiment's metrics are "
                    + "compared with an earlier output's analysis.json (rules: README)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every experiment ran cleanly and every expectation held (and nothing regressed)",
            "1:internal error in some experiment (e.g. its recording could not be written)",
            "2:usage error: no such directory, no *.args files, a bad option or expectation in a file (nothing was started)",
            "3:KVM unavailable (and the sandbox could not be used)",
            "4:a guest of some experiment faulted or exited non-zero, or an experiment without --duration did not end within --timeout",
            "5:an expectation failed or a metric regressed against the baseline",
            "130/143/129:stopped by SIGINT/SIGTERM/SIGHUP during an experiment; the remaining ones did not run"
        })
final class RegressCommand implements Callable<Integer> {
    /** Experiment files: what `jkvm run @FILE` reads. */
    static final String SUFFIX = ".args";

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", arity = "0..1", defaultValue = "experiments",
            description = "Directory of *.args experiment files (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "jkvm-out/regress",
            description = "Where each experiment's evidence goes (default: ${DEFAULT-VALUE}); files of earlier runs are replaced.")
    Path out;

    @Option(names = "--baseline", paramLabel = "DIR", description = "An earlier 'jkvm regress --out' directory to compare with.")
    Path baseline;

    @Option(names = "--cpu", paramLabel = "C",
            description = "Run every experiment on CPU C, whatever CPU its file names (a runner's isolated CPU, as 'jkvm check --runner' wants).")
    Integer cpu;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "10m",
            description = "How long an experiment without --duration may run (default: ${DEFAULT-VALUE}): its guests are then stopped "
                    + "and it fails, so a guest that never ends cannot hold the suite forever.")
    String timeout;

    @Mixin
    SandboxChoice sandbox;

    /** One experiment file, read and checked. */
    record Planned(String name, Path file, RunCommand run, List<Expectation> expectations, ExperimentSpec spec, RunSummary baseline,
            String baselineNote, String timeout) {}

    /** What one experiment came to. */
    record Result(String name, int code, long passed, long failed, long regressions, double seconds, String note, boolean stopped) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter term = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Planned> plan = plan();
        if (sandbox.shouldDelegate()) return sandbox.delegate(spec, term, List.of(out.toAbsolutePath()));
        // For the whole suite, not only while guests run: a signal during an experiment's analysis
        // ended the JVM and left an earlier run's green summary.txt and junit.xml in --out.
        try (StopSignals signals = StopSignals.install(err)) {
            signals.noteIgnored();
            return runSuite(plan, term, err, signals);
        }
    }

    private int runSuite(List<Planned> plan, PrintWriter term, PrintWriter err, StopSignals signals) throws Exception {
        List<Result> results = new ArrayList<>();
        List<JunitXml.Suite> suites = new ArrayList<>();
        long t0 = System.nanoTime();
        int signalled = 0, notRun = 0;
        List<String> stale = removeStaleEvidence(plan);
        if (!stale.isEmpty()) {
            term.println("regress: removed from " + out + " what an earlier run wrote for experiments not in " + dir + ": " + String.join(", ", stale));
        }
        // An earlier run's files of the whole suite go first: a run ended abruptly (a second signal)
        // leaves CI none to read rather than that run's.
        for (String f : OWN_FILES) Files.deleteIfExists(out.resolve(f));
        try {
            for (int i = 0; i < plan.size(); i++) {
                Planned p = plan.get(i);
                String tag = "regress: [" + (i + 1) + "/" + plan.size() + "] " + p.name();
                term.println(tag + " ...");
                term.flush();
                Result r = runOne(p, term, err, suites, signals);
                results.add(r);
                if (r.stopped()) {
                    term.printf(Locale.ROOT, "%s: stopped by a signal after %.1f s; the experiments after it did not run%n", tag, r.seconds());
                } else {
                    term.printf(Locale.ROOT, "%s: %s, %d passed, %d failed%s, %.1f s%n", tag, r.code() == ExitCodes.OK ? "ok" : "FAILED (exit " + r.code() + ")",
                            r.passed(), r.failed(), p.baseline() == null ? "" : ", " + r.regressions() + " regressions", r.seconds());
                    if (signals.received() != null) term.printf("%s: %s after its guests ended; the experiments after it did not run%n", tag, signals.received().name());
                }
                term.flush();
                if (signals.received() != null) {
                    signalled = ExitCodes.signalled(signals.received());
                    List<Planned> later = plan.subList(i + 1, plan.size());
                    for (Planned l : later) suites.add(notRun(l, "not run: " + signals.received().name() + " stopped the suite during " + p.name()));
                    notRun = later.size() + (r.stopped() ? 1 : 0);
                    break;
                }
            }
            // Also when a signal stopped the suite: what ran is reported, in the files CI reads too.
            ExpectOptions.writeJunit(out.resolve("junit.xml"), suites);
            String table = table(results, (System.nanoTime() - t0) / 1e9, signalled != 0);
            if (signalled != 0) table += "stopped by a signal: " + notRun + " of " + plan.size() + " experiments did not run to the end\n";
            List<String> unmatched = baselineOnly(plan);
            if (!unmatched.isEmpty()) table += "in the baseline, not in this run (not compared): " + String.join(", ", unmatched) + "\n";
            term.print(table);
            OutputFile.write(out.resolve("summary.txt"), table, "regress's summary");
        } catch (OutputFile.NotWritten e) {
            term.flush();
            err.println("jkvm: " + e.getMessage());
            err.flush();
            return signalled != 0 ? signalled : ExitCodes.INTERNAL;
        }
        term.flush();
        if (signalled != 0) return signalled;
        int worst = ExitCodes.OK;
        for (Result r : results) worst = worse(worst, r.code());
        return worst;
    }

    /**
     * An experiment a signal kept from running: its directory holds no earlier run's evidence (CI
     * globbing OUT/**{@literal /}junit.xml read a passing one), only output.txt saying so and a junit.xml
     * failing its cases, the same names a run gives them.
     */
    private JunitXml.Suite notRun(Planned p, String why) throws IOException {
        Path dirOut = out.resolve(p.name());
        Files.createDirectories(dirOut);
        clearEvidence(dirOut);
        OutputFile.write(dirOut.resolve("output.txt"), OUTPUT_HEADER + p.file() + "\n" + why + "\n", "regress's evidence");
        List<JunitXml.Case> cases = new ArrayList<>();
        cases.add(new JunitXml.Case("guests ended cleanly", why, why, "NotRun"));
        cases.addAll(ExpectOptions.notJudged(p.expectations(), why));
        JunitXml.Suite suite = new JunitXml.Suite(p.name(), 0, cases);
        ExpectOptions.writeJunit(dirOut.resolve("junit.xml"), List.of(suite));
        return suite;
    }

    /** Reads every experiment file and baseline; any mistake is a usage error before anything runs. */
    List<Planned> plan() {
        if (Files.isRegularFile(dir)) {
            throw new UsageException(dir + " is a file; regress takes the directory of *.args files (one experiment alone: jkvm run @" + dir + ")");
        }
        if (!Files.isDirectory(dir)) throw new UsageException("no such directory of experiments: " + dir + " (give a directory of *.args files)");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.getFileName().toString().endsWith(SUFFIX) && Files.isRegularFile(f)).sorted().toList();
        } catch (IOException e) {
            throw new UsageException("cannot list " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) throw new UsageException(dir + " has no *" + SUFFIX + " experiment files");
        try {
            dev.jkvm.util.Durations.parse(timeout); // checked here; each file without --duration gets it as text, as its own would be
        } catch (UsageException e) {
            throw new UsageException("--timeout " + timeout + ": " + e.getMessage());
        }
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UsageException("--out " + out + " is not a directory; give the directory for the evidence");
        for (Path f : files) {
            String name = f.getFileName().toString();
            name = name.substring(0, name.length() - SUFFIX.length());
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                throw new UsageException(f + ": an experiment needs a name before " + SUFFIX + ", other than . and .. (its evidence goes into --out/NAME); rename it");
            }
            if (OWN_FILES.contains(name)) {
                throw new UsageException(f + ": an experiment may not be named " + name + ", a file regress writes into --out itself; rename it");
            }
        }
        if (baseline != null) {
            if (!Files.isDirectory(baseline)) throw new UsageException("--baseline " + baseline + " is not a directory (give an earlier --out directory)");
            if (baseline.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize()) || sameDirectory(baseline, out)) {
                throw new UsageException("--baseline and --out are the same directory: the run would overwrite its baseline; give another --out");
            }
        }
        // Before the experiments' own checks, which would word it as their recording's (--jfr) problem.
        String outProblem = OutputFile.directoryProblem(out);
        if (outProblem != null) throw new UsageException("--out " + out + " takes no files (" + outProblem + "); give another directory for the evidence");
        List<Planned> plan = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            name = name.substring(0, name.length() - SUFFIX.length());
            RunCommand run = new RunCommand();
            CommandLine cli = new CommandLine(run);
            try {
                cli.parseArgs("@" + f);
            } catch (CommandLine.ParameterException e) {
                throw new UsageException(f + ": " + e.getMessage());
            }
            if (run.sandbox.force || run.sandbox.forbid) {
                throw new UsageException(f + ": --sandbox and --no-sandbox choose where the whole suite runs; give them to regress, not to one experiment");
            }
            if (cpu != null) run.cpu = cpu;
            // A file without --duration runs until its guests end: at most --timeout here, then it fails.
            String timedOut = null;
            if (run.duration == null) {
                run.duration = timeout;
                run.deadlineReason = "--timeout " + timeout + " elapsed";
                timedOut = timeout;
            }
            List<Expectation> expectations = new ArrayList<>();
            for (String t : run.expect.texts) expectations.add(ExpectOptions.parseOne(t, f.toString()));
            run.quiet = true;
            ExperimentSpec s;
            try {
                s = run.toSpec(out.resolve(name).resolve("recording.jfr"));
            } catch (UsageException e) {
                throw new UsageException(f + ": " + e.getMessage());
            }
            RunSummary base = null;
            String note = null;
            if (baseline != null) {
                Path json = baseline.resolve(name).resolve("analysis.json");
                if (Files.exists(json) && !Files.isRegularFile(json)) {
                    throw new UsageException("--baseline: " + json + " is not a file (an earlier --out directory has analysis.json files)");
                }
                if (!Files.isRegularFile(json)) {
                    note = "no baseline (" + json + " not found)";
                } else {
                    try {
                        List<RunSummary> runs = SummaryJson.read(json);
                        if (runs.size() != 1) throw new UsageException(json + " holds " + runs.size() + " recordings, not one");
                        base = runs.get(0);
                    } catch (BadRecordingException e) {
                        throw new UsageException("--baseline: " + e.getMessage());
                    }
                }
            }
            plan.add(new Planned(name, f, run, expectations, s, base, note, timedOut));
        }
        OutputFile.requireWritable(out.resolve("summary.txt"), "--out");
        return plan;
    }

    /** Whether both exist and are one directory (through a symbolic link, say). */
    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isDirectory(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** What regress writes into --out beside the experiments' directories. */
    private static final java.util.Set<String> OWN_FILES = java.util.Set.of("junit.xml", "summary.txt");
    /** What regress writes into each experiment's directory: an earlier run's are removed before it runs again. */
    private static final List<String> EVIDENCE = List.of("recording.jfr", "analysis.json", "timeline.html", "timeline.svg", "junit.xml", "output.txt");

    /**
     * Removes what an earlier run wrote for experiments this run does not have (renamed or deleted
     * files): left in --out, their junit.xml and recordings were read as this run's by CI. Only
     * regress's own files go, and their directory if nothing else is in it. Returns their names.
     */
    private List<String> removeStaleEvidence(List<Planned> plan) throws IOException {
        if (!Files.isDirectory(out)) return List.of();
        java.util.Set<String> names = names(plan);
        List<String> removed = new ArrayList<>();
        List<Path> dirs;
        try (Stream<Path> s = Files.list(out)) {
            dirs = s.filter(d -> Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        for (Path d : dirs) {
            String name = d.getFileName().toString();
            if (names.contains(name) || !wroteByRegress(d)) continue;
            clearEvidence(d);
            try (Stream<Path> left = Files.list(d)) {
                if (left.findAny().isEmpty()) Files.delete(d);
            }
            removed.add(name);
        }
        return removed;
    }

    /** The baseline's experiments (directories with an analysis.json) that this run does not have: renamed or removed. */
    private List<String> baselineOnly(List<Planned> plan) throws IOException {
        if (baseline == null) return List.of();
        java.util.Set<String> names = names(plan);
        try (Stream<Path> s = Files.list(baseline)) {
            return s.filter(d -> Files.isRegularFile(d.resolve("analysis.json"))).map(d -> d.getFileName().toString())
                    .filter(n -> !names.contains(n)).sorted().toList();
        }
    }

    private static java.util.Set<String> names(List<Planned> plan) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Planned p : plan) names.add(p.name());
        return names;
    }

    /** Whether regress wrote {@code d}: its output.txt starts as runOne starts it. */
    private static boolean wroteByRegress(Path d) {
        try (var r = Files.newBufferedReader(d.resolve("output.txt"), StandardCharsets.UTF_8)) {
            String first = r.readLine();
            return first != null && first.startsWith(OUTPUT_HEADER);
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // no such file, or not text: not regress's
        }
    }

    private static final String OUTPUT_HEADER = "jkvm regress: ";

    private static void clearEvidence(Path dirOut) throws IOException {
        for (String f : EVIDENCE) Files.deleteIfExists(dirOut.resolve(f));
    }

    /** Runs one experiment and writes its evidence. */
    private Result runOne(Planned p, PrintWriter term, PrintWriter err, List<JunitXml.Suite> suites, StopSignals signals) throws Exception {
        Path dirOut = out.resolve(p.name());
        Files.createDirectories(dirOut);
        clearEvidence(dirOut); // an earlier run's analysis must not outlive a run that writes none
        Path recording = p.spec().jfr();
        List<JunitXml.Case> cases = new ArrayList<>();
        RunCommand.Outcome outcome;
        boolean endedInTime = true;
        List<Verdict> verdicts;
        List<Baseline.Finding> regressions = new ArrayList<>();
        try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(dirOut.resolve("output.txt"), StandardCharsets.UTF_8))) {
            log.println(OUTPUT_HEADER + p.file());
            outcome = p.run().runHere(p.spec(), log, err, false, signals);
            if (outcome.stopped()) {
                // Failed where CI reads it: how it ended, and each expectation not judged.
                cases.addAll(ExpectOptions.endingCases(outcome));
                cases.addAll(ExpectOptions.notJudged(p.expectations(), "not judged: the experiment was stopped by a signal"));
                JunitXml.Suite suite = new JunitXml.Suite(p.name(), outcome.seconds(), cases);
                suites.add(suite);
                ExpectOptions.writeJunit(dirOut.resolve("junit.xml"), List.of(suite));
                return new Result(p.name(), outcome.code(), 0, 0, 0, outcome.seconds(), null, true);
            }
            // What ended each VM that did not end cleanly, where CI shows it (it was only in output.txt).
            cases.addAll(ExpectOptions.endingCases(outcome));
            for (String u : ExpectOptions.uncleanVms(outcome)) term.println("  " + u);
            if (p.timeout() != null) {
                List<String> running = outcome.report().vms().stream().filter(v -> v.result() instanceof dev.jkvm.exits.GuestResult.Stopped)
                        .map(VmReport::name).toList();
                endedInTime = running.isEmpty();
                String why = "did not end within --timeout " + p.timeout() + ": " + String.join(", ", running)
                        + " still running (give " + p.file().getFileName() + " a --duration, or a guest that ends)";
                cases.add(new JunitXml.Case("ended within --timeout", endedInTime ? null : why, endedInTime ? "ended" : why, "TimedOut"));
                if (!endedInTime) term.println("  " + why);
            }
            RunSummary summary = null;
            if (outcome.report().recordingProblem() == null) {
                try {
                    Timeline timeline = new Timeline(Timeline.DEFAULT_MAX_SEGMENTS);
                    summary = RecordingAnalysis.analyze(recording, timeline);
                    write(dirOut.resolve("analysis.json"), JsonReport.render(List.of(summary)));
                    write(dirOut.resolve("timeline.html"), TimelineHtml.render(summary, timeline));
                    write(dirOut.resolve("timeline.svg"), TimelineSvg.render(summary, timeline));
                } catch (BadRecordingException e) {
                    log.println("jkvm: " + e.getMessage());
                }
            }
            verdicts = summary != null ? ExpectOptions.judge(p.expectations(), summary)
                    : ExpectOptions.unreadable(p.expectations(), outcome.report().recordingProblem() != null ? outcome.report().recordingProblem() : "no analysis");
            ExpectOptions.print(log, verdicts);
            for (Verdict v : verdicts) {
                cases.add(JunitXml.Case.of(v));
                if (!v.passed()) term.println("  " + v.line());
            }
            if (p.baselineNote() != null) term.println("  " + p.baselineNote());
            if (p.baseline() != null) {
                List<Baseline.Finding> findings = summary == null ? List.of(new Baseline.Finding("analysis", "recorded", "recorded", "none", false))
                        : Baseline.compare(p.baseline(), summary);
                for (Baseline.Finding f : findings) {
                    log.println(f.line());
                    if (!f.held()) {
                        regressions.add(f);
                        term.println("  " + f.line());
                    }
                }
                cases.add(new JunitXml.Case("no regression against the baseline", regressions.isEmpty() ? null
                        : regressions.size() + " regression" + (regressions.size() == 1 ? "" : "s") + ": "
                                + String.join("; ", regressions.stream().map(Baseline.Finding::line).toList()),
                        String.join("\n", findings.stream().map(Baseline.Finding::line).toList())));
            }
        }
        JunitXml.Suite suite = new JunitXml.Suite(p.name(), outcome.seconds(), cases);
        suites.add(suite);
        ExpectOptions.writeJunit(dirOut.resolve("junit.xml"), List.of(suite));
        long failed = verdicts.stream().filter(v -> !v.passed()).count();
        int code = outcome.code();
        if (code == ExitCodes.OK && !endedInTime) code = ExitCodes.GUEST_FAULT;
        if (code == ExitCodes.OK && (failed > 0 || !regressions.isEmpty())) code = ExitCodes.EXPECTATION_FAILED;
        return new Result(p.name(), code, verdicts.size() - failed, failed, regressions.size(), outcome.seconds(), p.baselineNote(), false);
    }

    /** Internal errors outrank guest faults, which outrank failed expectations. */
    static int worse(int a, int b) {
        List<Integer> order = List.of(ExitCodes.OK, ExitCodes.EXPECTATION_FAILED, ExitCodes.GUEST_FAULT, ExitCodes.INTERNAL);
        int ia = order.indexOf(a), ib = order.indexOf(b);
        return (ib < 0 ? Integer.MAX_VALUE : ib) > (ia < 0 ? Integer.MAX_VALUE : ia) ? b : a;
    }

    /** The summary table; {@code stopped}: a signal stopped the suite, which is then no PASS whatever ran before it. */
    static String table(List<Result> results, double totalSeconds, boolean stopped) {
        int w = Math.max(10, results.stream().mapToInt(r -> r.name().length()).max().orElse(0));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n%-" + w + "s  %6s  %6s  %11s  %8s  %s%n", "experiment", "passed", "failed", "regressions", "wall", "result"));
        long passed = 0, failed = 0, regressions = 0;
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "%-" + w + "s  %6d  %6d  %11s  %6.1f s  %s%n", r.name(), r.passed(), r.failed(),
                    r.note() != null ? "-" : Long.toString(r.regressions()), r.seconds(),
                    r.stopped() ? "STOPPED (exit " + r.code() + ")" : r.code() == ExitCodes.OK ? "PASS" : "FAIL (exit " + r.code() + ")"));
            passed += r.passed();
            failed += r.failed();
            regressions += r.regressions();
        }
        sb.append(String.format(Locale.ROOT, "%-" + w + "s  %6d  %6d  %11d  %6.1f s  %s%n", "all (" + results.size() + ")", passed, failed, regressions,
                totalSeconds, !stopped && results.stream().allMatch(r -> r.code() == ExitCodes.OK) ? "PASS" : "FAIL"));
        return sb.toString();
    }

    private static void write(Path file, String text) throws OutputFile.NotWritten {
        OutputFile.write(file, text, "regress's evidence");
    }
}
