package dev.jkvm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A task's /proc stat line as the tests read it: the fields after the command name (whose
 * parentheses may hold spaces), and whether a process has ended.
 */
public final class TaskStat {
    private TaskStat() {}

    /** The fields of {@code stat} from field 3 (the state letter) on: index i is field i + 3 of proc(5). */
    public static String[] fields(Path stat) throws IOException {
        String s = Files.readString(stat);
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    /** Whether process {@code pid} has ended: gone from /proc, or a zombie its parent has not reaped yet. */
    public static boolean ended(long pid) {
        try {
            return fields(Path.of("/proc/" + pid + "/stat"))[0].equals("Z");
        } catch (IOException e) {
            return true;
        }
    }
}
