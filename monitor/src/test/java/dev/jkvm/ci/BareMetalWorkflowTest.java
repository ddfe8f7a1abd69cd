package dev.jkvm.ci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.HostAndHygieneAnalysisTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The bare-metal workflow is a thin shell around .ci/bare-metal: its YAML parses with a real YAML
 * parser and has the matrix, the labels, the manual trigger, the one script call and the uploads;
 * the script itself runs here with the real `jkvm check --runner` and `jkvm analyze` (this machine is
 * unfit: no isolated CPU) and a stand-in for `jkvm regress`, which is built on another branch.
 */
class BareMetalWorkflowTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path WORKFLOW = ROOT.resolve(".github/workflows/bare-metal.yml");
    private static final Path SCRIPT = ROOT.resolve(".ci/bare-metal");

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, String... path) {
        Object o = node;
        for (String key : path) {
            assertInstanceOf(Map.class, o, "no mapping at " + key + " of " + String.join(".", path));
            o = ((Map<?, ?>) o).get(key);
        }
        return (T) o;
    }

    @Test
    void theWorkflowIsValidYamlWithTheMatrixTriggerScriptCallAndUploads() throws IOException {
        Map<String, Object> wf = new Yaml().load(Files.readString(WORKFLOW));
        // YAML 1.1 (SnakeYAML, like GitHub's parser of old) reads an unquoted `on` key as true.
        Object on = wf.containsKey("on") ? wf.get("on") : wf.get(Boolean.TRUE);
        Map<String, Object> kernel = at(on, "workflow_dispatch", "inputs", "kernel");
        assertEquals(true, kernel.get("required"));

        Map<String, Object> regress = at(wf, "jobs", "regress");
        assertEquals(List.of("intel", "amd"), at(regress, "strategy", "matrix", "cpu"));
        List<String> runsOn = at(regress, "runs-on");
        assertTrue(runsOn.containsAll(List.of("self-hosted", "kvm", "${{ matrix.cpu }}", "${{ inputs.kernel }}")), runsOn.toString());

        List<Map<String, Object>> steps = at(regress, "steps");
        List<String> runs = steps.stream().map(s -> (String) s.get("run")).filter(r -> r != null).toList();
        assertEquals(2, runs.size(), "thin: a build and one script call, got " + runs);
        assertTrue(runs.get(0).startsWith("mvn ") && runs.get(0).contains("install -DskipTests"), runs.get(0));
        assertTrue(runs.get(1).startsWith(".ci/bare-metal --out bare-metal-out"), runs.get(1));
        Map<String, Object> upload = steps.stream().filter(s -> String.valueOf(s.get("uses")).startsWith("actions/upload-artifact@"))
                .findFirst().orElseThrow();
        assertEquals("always()", upload.get("if"), "the evidence is uploaded when the suite fails too");
        assertEquals("bare-metal-out/", at(upload, "with", "path"));
        String artifact = at(upload, "with", "name");
        assertTrue(artifact.contains("${{ matrix.cpu }}"), "one artifact per runner: " + artifact);

        Map<String, Object> compare = at(wf, "jobs", "compare");
        assertEquals("regress", compare.get("needs"));
        List<Map<String, Object>> compareSteps = at(compare, "steps");
        assertTrue(compareSteps.stream().anyMatch(s -> String.valueOf(s.get("run")).startsWith(".ci/bare-metal --compare results")));
        assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " is not executable");
    }

    private record Result(int code, String output) {}

    /** A `jkvm` for the script: the real one (this test's classes), except `regress`, which copies a recording and exits with REGRESS_EXIT. */
    private static Path jkvm(Path dir, Path log, Path recording, int regressExit) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path cp = dir.resolve("classpath");
        Files.writeString(cp, System.getProperty("java.class.path"));
        Path launcher = dir.resolve("jkvm");
        Files.writeString(launcher, """
                #!/usr/bin/env bash
                echo "$*" >> '%s'
                if [[ "$1" == regress ]]; then
                  out=$4; mkdir -p "$out/two-spins" && cp '%s' "$out/two-spins/recording.jfr"; exit %d
                fi
                exec '%s' --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -cp "$(cat '%s')" dev.jkvm.cli.Main "$@"
                """.formatted(log, recording, regressExit, java, cp));
        launcher.toFile().setExecutable(true);
        return launcher;
    }

    private static Result script(Path jkvm, String... args) throws Exception {
        return script(null, jkvm, args);
    }

    /** The script run from {@code cwd} (null: this JVM's), where its relative paths are. */
    private static Result script(Path cwd, Path jkvm, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (cwd != null) pb.directory(cwd.toFile());
        pb.environment().put("JKVM", jkvm.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the script did not end: " + out);
        return new Result(p.exitValue(), out);
    }

    @Test
    void theScriptStopsOnAnUnfitRunnerUnlessAllowedAndCollectsTheResults(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("calls.log");
        Path recording = HostAndHygieneAnalysisTest.runnerRecording(dir.resolve("rec.jfr"), "6.12.0-test", "Test CPU");
        Path jkvm = jkvm(dir, log, recording, 5);
        Path out = dir.resolve("out");

        Result strict = script(jkvm, "--out", out.toString(), "--label", "here");
        String check = Files.readString(out.resolve("runner-check.txt"));
        boolean fit = check.contains("runner: fit for regression runs");
        if (!fit) {
            // The usual case here (no isolated CPU): exit 6, and the suite never started.
            assertEquals(6, strict.code(), strict.output());
            assertTrue(strict.output().contains("bare-metal: [here] not fit for regression runs"), strict.output());
            assertFalse(Files.readString(log).contains("regress"), Files.readString(log));
        }

        Files.deleteIfExists(log);
        Result allowed = script(jkvm, "--out", out.toString(), "--label", "here", "--allow-unfit");
        assertEquals(5, allowed.code(), "the suite's exit code is the script's: " + allowed.output());
        List<String> calls = Files.readAllLines(log);
        assertEquals(List.of("check --runner", "check", "regress experiments --out " + out.resolve("regress")), calls.subList(0, 3));
        String summary = Files.readString(out.resolve("summary.txt"));
        assertTrue(summary.contains("recording.jfr") && summary.contains("6.12.0-test"), summary);
        assertTrue(Files.readString(out.resolve("summary.json")).contains("\"kernelRelease\": \"6.12.0-test\""));
        String props = Files.readString(out.resolve("runner.properties"));
        assertTrue(props.contains("label=here") && props.contains("regress.exit=5"), props);
        if (!fit) assertTrue(allowed.output().contains("continuing because of --allow-unfit"), allowed.output());
    }

    /**
     * Runners' results as the workflow downloads them (RUNNER/regress/NAME/recording.jfr): one table per
     * experiment, its columns titled by runner. (Since regress named every recording recording.jfr,
     * all of them had gone into one table of columns all titled "recording.jfr".) Relative paths are
     * the caller's, and a recording that cannot be analyzed fails the comparison (exit 1, said).
     */
    @Test
    void compareGivesOneTablePerExperimentWithAColumnPerRunner(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("results");
        for (String runner : List.of("bare-metal-intel", "bare-metal-amd")) {
            for (String experiment : List.of("two-spins", "nice-0-vs-5")) {
                Files.createDirectories(results.resolve(runner + "/regress/" + experiment));
                HostAndHygieneAnalysisTest.runnerRecording(results.resolve(runner + "/regress/" + experiment + "/recording.jfr"),
                        "6.12.0-" + runner.substring(11), runner.endsWith("intel") ? "Xeon" : "EPYC");
            }
        }
        Result r = script(dir, jkvm(dir, dir.resolve("log"), dir.resolve("none"), 0), "--compare", "results", "--out", "comparison");
        assertEquals(0, r.code(), r.output());
        Path out = dir.resolve("comparison");
        for (String experiment : List.of("two-spins", "nice-0-vs-5")) {
            String table = Files.readString(out.resolve("compare-" + experiment + ".txt"));
            String kernels = String.join(" ", table.lines().filter(l -> l.startsWith("  kernel ")).toList());
            assertTrue(kernels.indexOf("6.12.0-amd") >= 0 && kernels.indexOf("6.12.0-intel") > kernels.indexOf("6.12.0-amd"),
                    "one column per runner, in path order: " + table);
            String titles = table.lines().filter(l -> l.startsWith("recording ")).findFirst().orElseThrow();
            assertTrue(titles.matches("recording\\s+bare-metal-amd\\s+bare-metal-intel"), titles);
        }
        assertTrue(Files.readString(out.resolve("compare.txt")).contains("== two-spins: "));

        Path cut = results.resolve("bare-metal-amd/regress/two-spins/recording.jfr");
        byte[] whole = Files.readAllBytes(cut);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        Result broken = script(dir, jkvm(dir, dir.resolve("log"), dir.resolve("none"), 0), "--compare", "results", "--out", "comparison");
        assertEquals(1, broken.code(), broken.output());
        assertTrue(broken.output().contains("bare-metal: two-spins: jkvm analyze failed"), broken.output());
    }

    @Test
    void aWrongArgumentIsAUsageError(@TempDir Path dir) throws Exception {
        Result r = script(dir.resolve("no-jkvm"), "--bogus");
        assertEquals(2, r.code(), r.output());
        assertTrue(r.output().contains("bare-metal: unknown argument '--bogus'"), r.output());
        Result c = script(dir.resolve("no-jkvm"), "--compare", dir.resolve("missing").toString(), "--out", dir.resolve("o").toString());
        assertEquals(2, c.code(), c.output());
    }
}
