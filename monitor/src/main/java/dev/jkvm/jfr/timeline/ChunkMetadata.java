package dev.jkvm.jfr.timeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.AnnotationElement;
import jdk.jfr.ValueDescriptor;

/**
 * The metadata event of a timeline chunk: every type the chunk uses, as a tree of elements over a
 * string table (the layout the JDK's MetadataReader and JMC's parser read). Event types mirror the
 * JVM's declarations of the same classes, annotations included; the thread and stack trace types
 * are the JDK's by name ({@code java.lang.Thread}, {@code jdk.types.StackTrace} …), which is how
 * readers recognise them: a stack trace field of another type is what made another writer's chunk
 * fail in {@code jfr print}.
 */
final class ChunkMetadata {
    static final long METADATA_TYPE_ID = 0, CONSTANT_POOL_TYPE_ID = 1;
    private static final long METADATA_ID = 0x6A6B_766D_0000_0001L; // "jkvm"
    /** The pool barrier's metadata (no event types): another id, so the chunks after it read theirs again. */
    private static final long BARRIER_METADATA_ID = METADATA_ID - 1;

    private final TypeIds ids;
    /**
     * Annotation types used, by name, each with one use of it (its value fields and its own
     * annotations, such as {@code @ContentType} on {@code @Timestamp}, which readers need to know a
     * field's unit); declared after the uses are known.
     */
    private final Map<String, AnnotationElement> annotationTypes = new LinkedHashMap<>();
    private final Map<String, Boolean> simpleTypes = new LinkedHashMap<>();

    private ChunkMetadata(TypeIds ids) {
        this.ids = ids;
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
        return new ChunkMetadata(ids).write(types, startTicks, METADATA_ID);
    }

    /** The metadata event of the pool barrier chunk: the JDK's thread types only. */
    static Bytes barrier(TypeIds ids, long startTicks) {
        return new ChunkMetadata(ids).write(List.of(), startTicks, BARRIER_METADATA_ID);
    }

    private Bytes write(List<TimelineType> types, long startTicks, long metadataId) {
        Element root = new Element("root");
        Element metadata = root.child(new Element("metadata"));
        for (TimelineType t : types) metadata.child(eventClass(t));
        for (Element e : jdkTypes()) metadata.child(e);
        List<String> declared = new ArrayList<>();
        while (declared.size() < annotationTypes.size()) { // declaring one may bring the types of its own annotations
            for (String name : List.copyOf(annotationTypes.keySet())) {
                if (declared.contains(name)) continue;
                metadata.child(annotationClass(name, annotationTypes.get(name)));
                declared.add(name);
            }
        }
        for (String s : simpleTypes.keySet()) metadata.child(type(s));
        root.child(new Element("region").attr("locale", "en_US").attr("gmtOffset", 0));

        Map<String, Integer> strings = new LinkedHashMap<>();
        collect(root, strings);
        Bytes b = new Bytes(16 * 1024);
        b.writeLong(METADATA_TYPE_ID);
        b.writeLong(startTicks);
        b.writeLong(0);
        // The JDK's parser reuses the previous chunk's metadata when the id repeats; the JVM counts its
        // ids up from 1, so ours lies far from them.
        b.writeLong(metadataId);
        b.writeInt(strings.size());
        for (String s : strings.keySet()) b.writeString(s);
        write(root, strings, b);
        return b;
    }

    private static void collect(Element e, Map<String, Integer> strings) {
        strings.putIfAbsent(e.name, strings.size());
        e.attributes.forEach((k, v) -> {
            strings.putIfAbsent(k, strings.size());
            strings.putIfAbsent(v, strings.size());
        });
        for (Element c : e.children) collect(c, strings);
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

    private Element type(String name) {
        return new Element("class").attr("name", name).attr("id", ids.id(name));
    }

    /** A field of a type named {@code typeName}; primitives and String are declared on the way. */
    private Element field(Element owner, String name, String typeName) {
        if (!typeName.contains(".") || typeName.equals("java.lang.String")) simpleTypes.putIfAbsent(typeName, true);
        return owner.child(new Element("field").attr("name", name).attr("class", ids.id(typeName)));
    }

    private void annotate(Element owner, List<AnnotationElement> annotations) {
        for (AnnotationElement a : annotations) {
            Element e = owner.child(new Element("annotation").attr("class", ids.id(a.getTypeName())));
            if (annotationTypes.get(a.getTypeName()) == null) annotationTypes.put(a.getTypeName(), a);
            List<ValueDescriptor> vs = a.getValueDescriptors();
            List<Object> values = a.getValues();
            for (int i = 0; i < vs.size(); i++) {
                Object v = values.get(i);
                if (v == null) continue;
                if (v.getClass().isArray()) {
                    for (int j = 0; j < java.lang.reflect.Array.getLength(v); j++) {
                        e.attr(vs.get(i).getName() + "-" + j, java.lang.reflect.Array.get(v, j));
                    }
                } else {
                    e.attr(vs.get(i).getName(), v);
                }
            }
        }
    }

    private void label(Element owner, String label) {
        owner.child(new Element("annotation").attr("class", ids.id("jdk.jfr.Label")).attr("value", label));
        annotationTypes.putIfAbsent("jdk.jfr.Label", null);
    }

    private Element annotationClass(String name, AnnotationElement use) {
        Element t = type(name).attr("superType", "java.lang.annotation.Annotation");
        if (use == null) {
            field(t, "value", "java.lang.String"); // jdk.jfr.Label, when only the thread types used it
            return t;
        }
        for (ValueDescriptor v : use.getValueDescriptors()) {
            Element f = field(t, v.getName(), v.getTypeName());
            if (v.isArray()) f.attr("dimension", 1);
        }
        annotate(t, use.getAnnotationElements());
        return t;
    }

    /** The JDK's own types for the implicit fields, field for field where values are written. */
    private List<Element> jdkTypes() {
        List<Element> out = new ArrayList<>();
        Element group = type("jdk.types.ThreadGroup");
        label(group, "Thread Group");
        label(field(group, "parent", "jdk.types.ThreadGroup").attr("constantPool", true), "Parent");
        label(field(group, "name", "java.lang.String"), "Name");
        out.add(group);
        Element thread = type("java.lang.Thread");
        label(thread, "Thread");
        label(field(thread, "osName", "java.lang.String"), "OS Thread Name");
        label(field(thread, "osThreadId", "long"), "OS Thread Id");
        label(field(thread, "javaName", "java.lang.String"), "Java Thread Name");
        label(field(thread, "javaThreadId", "long"), "Java Thread Id");
        label(field(thread, "group", "jdk.types.ThreadGroup").attr("constantPool", true), "Java Thread Group");
        label(field(thread, "virtual", "boolean"), "Virtual Thread");
        out.add(thread);
        // Never given a value here (every stack trace reference is 0, null), so its frames are left out.
        Element stack = type("jdk.types.StackTrace");
        label(stack, "Stacktrace");
        label(field(stack, "truncated", "boolean"), "Truncated");
        out.add(stack);
        return out;
    }

    private Element eventClass(TimelineType t) {
        Element e = type(t.name()).attr("superType", "jdk.jfr.Event");
        annotate(e, t.eventType().getAnnotationElements());
        for (ValueDescriptor v : t.eventType().getFields()) {
            Element f = field(e, v.getName(), v.getTypeName());
            if (v.getTypeName().equals("java.lang.Thread") || v.getTypeName().equals("jdk.types.StackTrace")) {
                f.attr("constantPool", true);
            }
            annotate(f, v.getAnnotationElements());
        }
        return e;
    }
}
