package dev.jkvm.jfr.timeline;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmc.common.IMCThread;
import org.openjdk.jmc.common.item.IAccessorKey;
import org.openjdk.jmc.common.item.IItem;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.item.IItemIterable;
import org.openjdk.jmc.common.item.IMemberAccessor;
import org.openjdk.jmc.common.item.IType;
import org.openjdk.jmc.common.unit.ContentType;
import org.openjdk.jmc.common.unit.IQuantity;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.flightrecorder.JfrAttributes;
import org.openjdk.jmc.flightrecorder.JfrLoaderToolkit;

/** A recording as JDK Mission Control's own parser reads it: per event type, each event's times and thread. */
public final class JmcView {
    /**
     * One event: start and end in epoch nanoseconds, the named field (or null): a timestamp in epoch
     * nanoseconds, a plain number as it is; its thread (or null).
     */
    public record Item(long start, long end, Long time, IMCThread thread) {}

    private final Map<String, List<Item>> items = new HashMap<>();
    private final Map<String, Map<String, ContentType<?>>> contentTypes = new HashMap<>();

    private JmcView() {}

    @SuppressWarnings("unchecked")
    public static JmcView load(File file, String timeField) throws Exception {
        JmcView v = new JmcView();
        IItemCollection all = JfrLoaderToolkit.loadEvents(file);
        for (IItemIterable it : all) {
            IType<IItem> type = it.getType();
            IMemberAccessor<IQuantity, IItem> start = JfrAttributes.START_TIME.getAccessor(type);
            IMemberAccessor<IQuantity, IItem> end = JfrAttributes.END_TIME.getAccessor(type);
            IMemberAccessor<IMCThread, IItem> thread = JfrAttributes.EVENT_THREAD.getAccessor(type);
            IMemberAccessor<?, IItem> time = null;
            Map<String, ContentType<?>> kinds = v.contentTypes.computeIfAbsent(type.getIdentifier(), k -> new HashMap<>());
            for (IAccessorKey<?> key : type.getAccessorKeys().keySet()) {
                kinds.put(key.getIdentifier(), key.getContentType());
                if (key.getIdentifier().equals(timeField)) time = type.getAccessor(key);
            }
            List<Item> list = v.items.computeIfAbsent(type.getIdentifier(), k -> new ArrayList<>());
            for (IItem i : it) {
                Object t = time == null ? null : time.getMember(i);
                list.add(new Item(start.getMember(i).clampedLongValueIn(UnitLookup.EPOCH_NS),
                        end.getMember(i).clampedLongValueIn(UnitLookup.EPOCH_NS),
                        value(t),
                        thread == null ? null : thread.getMember(i)));
            }
        }
        return v;
    }

    /** A timestamp in epoch nanoseconds, another quantity or number as it is, anything else null. */
    private static Long value(Object v) {
        if (v instanceof IQuantity q) {
            return q.getUnit().getContentType() == UnitLookup.TIMESTAMP ? q.clampedLongValueIn(UnitLookup.EPOCH_NS) : q.longValue();
        }
        return v instanceof Number n ? n.longValue() : null;
    }

    /** The values of string field {@code field} of every event of {@code type}, as JMC's parser reads them (file order). */
    @SuppressWarnings("unchecked")
    public static List<String> strings(File file, String type, String field) throws Exception {
        List<String> out = new ArrayList<>();
        for (IItemIterable it : JfrLoaderToolkit.loadEvents(file)) {
            if (!it.getType().getIdentifier().equals(type)) continue;
            IMemberAccessor<String, IItem> values = null;
            for (IAccessorKey<?> key : it.getType().getAccessorKeys().keySet()) {
                if (key.getIdentifier().equals(field)) values = it.getType().getAccessor((IAccessorKey<String>) key);
            }
            if (values == null) throw new AssertionError("JMC sees no field " + field + " in " + type);
            for (IItem i : it) out.add(values.getMember(i));
        }
        return out;
    }

    public List<Item> of(String type) {
        return items.getOrDefault(type, List.of());
    }

    /** The content type JMC gives a field (TIMESTAMP, TIMESPAN, …), or null when the type or field is unknown. */
    public ContentType<?> contentType(String type, String field) {
        return contentTypes.getOrDefault(type, Map.of()).get(field);
    }
}
