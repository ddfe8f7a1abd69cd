package dev.jkvm.jfr.timeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metadata event of a timeline chunk: every type the chunk uses, as a tree of elements over a
 * string table (the layout the JDK's MetadataReader and JMC's parser read). Type and annotation
 * names match the JDK's own ({@code java.lang.Thread}, {@code jdk.types.ThreadGroup},
 * {@code jdk.jfr.Label} …): readers turn values into their thread, timestamp and unit objects by
 * these names, and a mismatch is what made other writers' chunks fail in {@code jfr print}.
 */
final class ChunkMetadata {
    static final long METADATA_TYPE_ID = 0, CONSTANT_POOL_TYPE_ID = 1;
    private static final long METADATA_ID = 0x6A6B_766D_0000_0001L; // "jkvm"

    private final TypeIds ids;

    private ChunkMetadata(TypeIds ids) {
        this.ids = ids;
    }

    private long label() {
        return ids.id("jdk.jfr.Label");
    }

    private long description() {
        return ids.id("jdk.jfr.Description");
    }


    /** One node of the metadata tree. */
    private static final class Element {
        final String name;
        final Map<String, String> attributes = new LinkedHashMap<>();
        final List<Element> children = new ArrayList<>();

        Element(String name) {
            this.name = name;
        }

        Element attr(String key, Object value) {
            attributes.put(key, String.valueOf(value));
            return this;
        }

        Element child(Element e) {
            children.add(e);
            return e;
        }
    }

    /** The body of the metadata event (after its size): type id, time, id, string table and tree. */
    static Bytes event(List<TimelineType> types, TypeIds ids, long startTicks) {
        return new ChunkMetadata(ids).write(types, startTicks);
    }

    private Bytes write(List<TimelineType> types, long startTicks) {
        Element root = new Element("root");
        Element metadata = root.child(new Element("metadata"));
        for (Element c : builtinClasses()) metadata.child(c);
        for (TimelineType t : types) metadata.child(eventClass(t, ids.id(t.name())));
        root.child(new Element("region").attr("locale", "en_US").attr("gmtOffset", 0));

        Map<String, Integer> strings = new LinkedHashMap<>();
        collect(root, strings);
        Bytes b = new Bytes(16 * 1024);
        b.writeLong(METADATA_TYPE_ID);
        b.writeLong(startTicks);
        b.writeLong(0);
        // The JDK's parser reuses the previous chunk's metadata when the id repeats; the JVM counts its
        // ids up from 1, so ours lies far from them.
        b.writeLong(METADATA_ID);
        b.writeInt(strings.size());
        for (String s : strings.keySet()) b.writeString(s);
        write(root, strings, b);
        return b;
    }

    private static void collect(Element e, Map<String, Integer> strings) {
        intern(e.name, strings);
        e.attributes.forEach((k, v) -> {
            intern(k, strings);
            intern(v, strings);
        });
        for (Element c : e.children) collect(c, strings);
    }

    private static void intern(String s, Map<String, Integer> strings) {
        strings.putIfAbsent(s, strings.size());
    }

    private static void write(Element e, Map<String, Integer> strings, Bytes b) {
        b.writeInt(strings.get(e.name));
        b.writeInt(e.attributes.size());
        e.attributes.forEach((k, v) -> {
            b.writeInt(strings.get(k));
            b.writeInt(strings.get(v));
        });
        b.writeInt(e.children.size());
        for (Element c : e.children) write(c, strings, b);
    }

    private Element type(String name, long id) {
        return new Element("class").attr("name", name).attr("id", id);
    }

    private Element field(Element owner, String name, long typeId) {
        return owner.child(new Element("field").attr("name", name).attr("class", typeId));
    }

    private Element annotation(Element owner, long typeId, String value) {
        Element a = owner.child(new Element("annotation").attr("class", typeId));
        if (value != null) a.attr("value", value);
        return a;
    }

    private Element annotationType(String name, long id, boolean withValue, boolean array) {
        Element t = type(name, id).attr("superType", "java.lang.annotation.Annotation");
        if (withValue) {
            Element f = field(t, "value", ids.id("java.lang.String"));
            if (array) f.attr("dimension", 1);
        }
        return t;
    }

    private List<Element> builtinClasses() {
        List<Element> out = new ArrayList<>();
        out.add(type("long", ids.id("long")));
        out.add(type("int", ids.id("int")));
        out.add(type("boolean", ids.id("boolean")));
        out.add(type("java.lang.String", ids.id("java.lang.String")));
        out.add(annotationType("jdk.jfr.Label", label(), true, false));
        out.add(annotationType("jdk.jfr.Description", description(), true, false));
        out.add(annotationType("jdk.jfr.Category", ids.id("jdk.jfr.Category"), true, true));
        out.add(annotationType("jdk.jfr.Timestamp", ids.id("jdk.jfr.Timestamp"), true, false));
        out.add(annotationType("jdk.jfr.Timespan", ids.id("jdk.jfr.Timespan"), true, false));
        out.add(annotationType("jdk.jfr.Frequency", ids.id("jdk.jfr.Frequency"), false, false));
        Element kernelTime = annotationType("dev.jkvm.jfr.KernelTime", ids.id("dev.jkvm.jfr.KernelTime"), false, false);
        annotation(kernelTime, label(), "Kernel Time");
        out.add(kernelTime);

        // The JDK's thread types, field for field, so readers build their own thread objects from them.
        Element group = type("jdk.types.ThreadGroup", ids.id("jdk.types.ThreadGroup"));
        annotation(group, label(), "Thread Group");
        annotation(field(group, "parent", ids.id("jdk.types.ThreadGroup")).attr("constantPool", true), label(), "Parent");
        annotation(field(group, "name", ids.id("java.lang.String")), label(), "Name");
        out.add(group);
        Element thread = type("java.lang.Thread", ids.id("java.lang.Thread"));
        annotation(thread, label(), "Thread");
        annotation(field(thread, "osName", ids.id("java.lang.String")), label(), "OS Thread Name");
        annotation(field(thread, "osThreadId", ids.id("long")), label(), "OS Thread Id");
        annotation(field(thread, "javaName", ids.id("java.lang.String")), label(), "Java Thread Name");
        annotation(field(thread, "javaThreadId", ids.id("long")), label(), "Java Thread Id");
        annotation(field(thread, "group", ids.id("jdk.types.ThreadGroup")).attr("constantPool", true), label(), "Java Thread Group");
        annotation(field(thread, "virtual", ids.id("boolean")), label(), "Virtual Thread");
        out.add(thread);
        return out;
    }

    private Element eventClass(TimelineType t, long id) {
        Element e = type(t.name(), id).attr("superType", "jdk.jfr.Event");
        annotation(e, label(), t.label());
        annotation(e, description(), t.description());
        if (!t.category().isEmpty()) {
            Element c = annotation(e, ids.id("jdk.jfr.Category"), null);
            for (int i = 0; i < t.category().size(); i++) c.attr("value-" + i, t.category().get(i));
        }
        Element start = field(e, "startTime", ids.id("long"));
        annotation(start, label(), "Start Time");
        annotation(start, ids.id("jdk.jfr.Timestamp"), "TICKS");
        Element duration = field(e, "duration", ids.id("long"));
        annotation(duration, label(), "Duration");
        annotation(duration, ids.id("jdk.jfr.Timespan"), "TICKS");
        if (t.onThread()) annotation(field(e, "eventThread", ids.id("java.lang.Thread")).attr("constantPool", true), label(), "Event Thread");
        for (TimelineType.Field f : t.fields()) {
            Element fe = field(e, f.name(), switch (f.kind()) {
                case STRING -> ids.id("java.lang.String");
                case INT -> ids.id("int");
                case BOOLEAN -> ids.id("boolean");
                case LONG, KERNEL_TIME, NANOS, HERTZ -> ids.id("long");
            });
            annotation(fe, label(), f.label());
            annotation(fe, description(), f.description());
            switch (f.kind()) {
                case KERNEL_TIME -> {
                    annotation(fe, ids.id("jdk.jfr.Timestamp"), "TICKS");
                    annotation(fe, ids.id("dev.jkvm.jfr.KernelTime"), null);
                }
                case NANOS -> annotation(fe, ids.id("jdk.jfr.Timespan"), "NANOSECONDS");
                case HERTZ -> annotation(fe, ids.id("jdk.jfr.Frequency"), null);
                default -> { }
            }
        }
        return e;
    }
}
