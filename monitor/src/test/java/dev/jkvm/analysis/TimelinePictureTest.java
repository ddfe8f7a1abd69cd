package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The picture of a synthetic schedule in a real browser (Debian's headless chromium): the page loads
 * without console messages or script errors, draws one lane per vCPU with the right number of on-CPU
 * segments (as the page reports them and as counted in the screenshot's pixels), and the SVG holds
 * the same segments. With CI=true a missing chromium fails the test instead of skipping it.
 */
class TimelinePictureTest {
    static final int ON_CPU_RGB = 0x2e7d32;

    /** vm0: 6 slices, vm1: 6, vm2: 3 (it blocks between them): wide enough to count in pixels. */
    static SyntheticSchedule schedule() {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0).vm("vm2", 0);
        for (int i = 0; i < 6; i++) {
            s.run("vm0", 3_000_000).run("vm1", 2_000_000);
            if (i % 2 == 0) s.run("vm2", 1_500_000, false);
        }
        return s;
    }

    static Path chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "chromium");
            if (Files.isExecutable(p)) return p;
        }
        if ("true".equals(System.getenv("CI"))) fail("chromium is not installed; CI must run the browser test (apt-get install chromium)");
        Assumptions.abort("chromium is not installed");
        return null;
    }

    /** Runs headless chromium on a page; returns stdout, stderr in err[0]. */
    static String browse(Path chromium, Path dir, String[] err, String... args) throws Exception {
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("chromium.out"), errFile = dir.resolve("chromium.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(errFile.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 90 s: " + cmd);
        }
        err[0] = Files.readString(errFile);
        assertEquals(0, p.exitValue(), "chromium failed: " + err[0]);
        return Files.readString(out);
    }

    @Test
    void thePageDrawsEveryOnCpuSliceInARealBrowser(@TempDir Path dir) throws Exception {
        Path chromium = chromium();
        SyntheticSchedule s = schedule();
        Path jfr = s.write(dir.resolve("three.jfr"), 1);
        Path page = dir.resolve("timeline.html"), svg = dir.resolve("timeline.svg");
        String[] cli = new String[1];
        assertEquals(0, RecordingAnalysisTest.cli(cli, "analyze", "--html", page.toString(), "--svg", svg.toString(), jfr.toString()), cli[0]);
        String html = Files.readString(page);
        assertTrue(!html.contains("http://") && !html.contains("https://") && !html.contains("src="), "the page refers to something outside itself");

        int[] expected = {s.slicesOf("vm0").size(), s.slicesOf("vm1").size(), s.slicesOf("vm2").size()};
        String[] err = new String[1];
        // The window the screenshot below has: the page reports where it drew, and that depends on the
        // width (a narrower window wraps the legend onto a second line and moves the lanes down).
        String dom = browse(chromium, dir, err, "--window-size=1300,700", "--dump-dom", page.toUri().toString());
        List<String> console = err[0].lines().filter(l -> l.contains(":CONSOLE")).toList();
        assertTrue(console.isEmpty(), "the page wrote to the console: " + console);
        Matcher m = Pattern.compile("<pre id=\"drawn\" hidden=\"\">(.*?)</pre>").matcher(dom);
        assertTrue(m.find(), "the page reported nothing drawn: " + dom.substring(0, Math.min(2000, dom.length())));
        String drawn = m.group(1).replace("&quot;", "\"");
        assertTrue(!drawn.startsWith("ERROR"), drawn);
        assertTrue(drawn.contains("\"lanes\":3"), drawn);
        assertTrue(drawn.contains("\"onCpu\":[" + expected[0] + "," + expected[1] + "," + expected[2] + "]"), drawn);

        // The screenshot, counted in pixels: along each lane's middle row, runs of the on-CPU colour.
        Path shot = dir.resolve("timeline.png");
        browse(chromium, dir, err, "--window-size=1300,700", "--screenshot=" + shot, page.toUri().toString());
        BufferedImage image = ImageIO.read(shot.toFile());
        assertTrue(image != null && image.getWidth() >= 1200, "no usable screenshot at " + shot);
        int left = number(drawn, "canvasLeft"), top = number(drawn, "canvasTop");
        int plotLeft = number(drawn, "plotLeft"), plotRight = number(drawn, "plotRight");
        List<Integer> centers = numbers(drawn, "laneCenterY");
        for (int lane = 0; lane < 3; lane++) {
            int y = top + centers.get(lane), runs = 0;
            boolean inRun = false;
            for (int x = left + plotLeft; x < left + plotRight; x++) {
                boolean on = (image.getRGB(x, y) & 0xffffff) == ON_CPU_RGB;
                if (on && !inRun) runs++;
                inRun = on;
            }
            assertEquals(expected[lane], runs, "on-CPU segments of lane " + lane + " in the screenshot " + shot);
        }

        // The SVG: well-formed XML with the same on-CPU segments per lane.
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        NodeList rects = doc.getElementsByTagName("rect");
        int[] onCpu = new int[3];
        for (int i = 0; i < rects.getLength(); i++) {
            Element r = (Element) rects.item(i);
            if (r.getAttribute("class").equals("on") && !r.getAttribute("data-lane").isEmpty()) onCpu[Integer.parseInt(r.getAttribute("data-lane"))]++;
        }
        assertEquals(List.of(expected[0], expected[1], expected[2]), List.of(onCpu[0], onCpu[1], onCpu[2]), "on-CPU rects in the SVG");
    }

    /** The SVG's time axis over a 2 s window: plain milliseconds ("1.50e+03 ms" before), the last label kept inside the picture. */
    @Test
    void theSvgAxisOfASecondsLongRunReadsInPlainMilliseconds(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 4; i++) s.run("vm0", 250_000_000L).run("vm1", 250_000_000L);
        Path jfr = s.write(dir.resolve("long.jfr"), 1), svg = dir.resolve("long.svg");
        String[] cli = new String[1];
        assertEquals(0, RecordingAnalysisTest.cli(cli, "analyze", "--svg", svg.toString(), jfr.toString()), cli[0]);
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        NodeList texts = doc.getElementsByTagName("text");
        List<Element> labels = new java.util.ArrayList<>();
        for (int i = 0; i < texts.getLength(); i++) {
            Element t = (Element) texts.item(i);
            if (t.getTextContent().endsWith(" ms")) labels.add(t);
        }
        assertTrue(labels.size() >= 4, "axis labels: " + labels.size());
        for (Element t : labels) assertTrue(t.getTextContent().matches("\\d+ ms"), "axis label '" + t.getTextContent() + "'");
        assertEquals("2000 ms", labels.get(labels.size() - 1).getTextContent().replace(",", ""));
        assertEquals("end", labels.get(labels.size() - 1).getAttribute("text-anchor"), "the last label would be cut off at the edge");
    }

    /**
     * The pictures name lanes and marks as the tables do: an SMP VM's vCPUs vm1/cpu0 and vm1/cpu1 (the
     * lanes said vm1/0), a one-vCPU VM vm0/0; the grey sched-in mark has its legend entry (it had none).
     */
    @Test
    void lanesAndMarksAreNamedAsTheTablesNameThem(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 3; i++) s.run("vm0", 1_000_000).run("vm1/cpu0", 1_000_000).run("vm1/cpu1", 1_000_000);
        Path jfr = s.write(dir.resolve("smp.jfr"), 1), svg = dir.resolve("smp.svg"), page = dir.resolve("smp.html");
        String[] cli = new String[1];
        assertEquals(0, RecordingAnalysisTest.cli(cli, "analyze", "--svg", svg.toString(), "--html", page.toString(), jfr.toString()), cli[0]);
        String picture = Files.readString(svg), html = Files.readString(page);
        for (String lane : List.of(">vm0/0<", ">vm1/cpu0<", ">vm1/cpu1<")) assertTrue(picture.contains(lane), lane + " in\n" + picture);
        assertTrue(!picture.contains(">vm1/0<"), picture);
        assertTrue(picture.contains("unclassified (outside KVM_RUN)") && html.contains("unclassified (outside KVM_RUN)"), "the grey mark's legend");
        assertTrue(html.contains("\"vm1/cpu1\""), "the page's lanes");
    }

    @Test
    void aLargeRunIsBinnedSoThePageStaysSmall(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 30_000; i++) s.run("vm0", 200_000).run("vm1", 200_000);
        dev.jkvm.analysis.picture.Timeline t = new dev.jkvm.analysis.picture.Timeline(dev.jkvm.analysis.picture.Timeline.DEFAULT_MAX_SEGMENTS);
        RunSummary r = RecordingAnalysis.analyze(s.write(dir.resolve("big.jfr"), 1), t);
        assertTrue(!t.exact(), "60 000 slices should be binned");
        double on = 0;
        for (double v : t.occupancy(0, 0)) on += v;
        assertEquals(vcpu(r).runNanos(), on, 1.0, "the bins hold all of vm0's time on CPU");
        String html = dev.jkvm.analysis.picture.TimelineHtml.render(r, t);
        assertTrue(html.length() < 400_000, "page of " + html.length() + " bytes");
    }

    static RunSummary.VcpuSummary vcpu(RunSummary r) {
        return r.vcpus().get(0);
    }

    static int number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.]+)").matcher(json);
        assertTrue(m.find(), key + " missing in " + json);
        return (int) Math.round(Double.parseDouble(m.group(1)));
    }

    static List<Integer> numbers(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\[([^\\]]*)\\]").matcher(json);
        assertTrue(m.find(), key + " missing in " + json);
        List<Integer> out = new ArrayList<>();
        for (String v : m.group(1).split(",")) out.add((int) Math.round(Double.parseDouble(v)));
        return out;
    }
}
