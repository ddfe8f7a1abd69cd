package dev.jkvm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reads the JUnit XML reports (the console launcher's legacy "TEST-*.xml" format) of a KVM suite
 * run into counts and the failing tests.
 */
final class KvmReports {

    /** A failed (or errored) test: its class, name and the failure's message. */
    record Failure(String testClass, String name, String message) {}

    /** The outcome of the suite. Errors count as failures. */
    record Summary(int passed, int failed, int skipped, List<Failure> failures, List<String> skippedTests) {
        int total() {
            return passed + failed + skipped;
        }

        /** The closing line, exactly "KVM-tests: N passed, N failed, N skipped" (one word before the colon, so CI reads it as a test count). */
        String line() {
            return "KVM-tests: " + passed + " passed, " + failed + " failed, " + skipped + " skipped";
        }
    }

    private KvmReports() {}

    static Summary read(Path reportsDir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.exists(reportsDir) ? Files.list(reportsDir) : Stream.empty()) {
            files = s.filter(p -> p.getFileName().toString().startsWith("TEST-") && p.toString().endsWith(".xml")).sorted().toList();
        }
        int passed = 0;
        int skipped = 0;
        List<Failure> failures = new ArrayList<>();
        List<String> skippedTests = new ArrayList<>();
        for (Path file : files) {
            Document doc = parse(file);
            NodeList cases = doc.getElementsByTagName("testcase");
            for (int i = 0; i < cases.getLength(); i++) {
                Element c = (Element) cases.item(i);
                String cls = c.getAttribute("classname");
                String name = c.getAttribute("name");
                Element failure = first(c, "failure");
                if (failure == null) failure = first(c, "error");
                if (failure != null) {
                    String message = failure.getAttribute("message");
                    if (message.isBlank()) message = failure.getAttribute("type");
                    failures.add(new Failure(cls, name, message));
                } else if (first(c, "skipped") != null) {
                    skipped++;
                    Element s = first(c, "skipped");
                    String why = s.getAttribute("message");
                    skippedTests.add(cls + "." + name + (why.isBlank() ? "" : ": " + why));
                } else {
                    passed++;
                }
            }
        }
        return new Summary(passed, failures.size(), skipped, failures, skippedTests);
    }

    private static Element first(Element parent, String tag) {
        NodeList l = parent.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : (Element) l.item(0);
    }

    private static Document parse(Path file) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(file.toFile());
        } catch (Exception e) {
            throw new IOException("cannot read the test report " + file + ": " + e.getMessage(), e);
        }
    }
}
