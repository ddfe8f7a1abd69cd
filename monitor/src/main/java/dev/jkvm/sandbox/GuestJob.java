package dev.jkvm.sandbox;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The small shell texts the host hands the guest through the read-only jkvmrun share: the boot
 * configuration the init script sources, and one script per job that the host's own /bin/sh runs
 * inside the chroot (cd, environment, exec). Everything from the caller is single-quoted, so no
 * argument, path or value is ever interpreted by a shell.
 */
final class GuestJob {
    /** Environment every job starts from; the caller's variables override it. */
    static final Map<String, String> BASE_ENV = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", "/root");
    /** A job whose working directory does not exist inside exits with this status (like env(1)'s 125). */
    static final int CWD_MISSING_STATUS = 125;
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private GuestJob() {}

    /** The configuration the init script sources at boot: mode and the read-write shares in mount order. */
    static String config(boolean interactive, List<Path> shares) {
        StringBuilder s = new StringBuilder();
        s.append("JKVM_MODE=").append(interactive ? "interactive" : "command").append('\n');
        s.append("JKVM_SHARES=").append(shares.size()).append('\n');
        for (int i = 0; i < shares.size(); i++) {
            s.append("JKVM_SHARE_").append(i).append('=').append(quote(shares.get(i).toString())).append('\n');
        }
        return s.toString();
    }

    /** A job that runs {@code command} (argv, no shell) in {@code cwd} with {@code env}. */
    static String commandScript(Path cwd, Map<String, String> env, List<String> command) {
        if (command.isEmpty()) throw new IllegalArgumentException("empty command");
        StringBuilder s = prologue(cwd, env);
        s.append("exec");
        for (String arg : command) s.append(' ').append(quote(arg));
        s.append('\n');
        return s.toString();
    }

    /** The interactive job: a shell on the console. */
    static String interactiveScript(Path cwd, Map<String, String> env, String shell) {
        StringBuilder s = prologue(cwd, env);
        s.append("exec ").append(quote(shell)).append(" -i\n");
        return s.toString();
    }

    private static StringBuilder prologue(Path cwd, Map<String, String> env) {
        StringBuilder s = new StringBuilder();
        String dir = quote(cwd.toString());
        s.append("cd ").append(dir).append(" 2>/dev/null || { echo \"jkvm sandbox: the working directory \"")
                .append(dir).append("\" is not visible inside the sandbox (is it under /tmp? share it with --share)\" >&2; exit ")
                .append(CWD_MISSING_STATUS).append("; }\n");
        for (Map.Entry<String, String> e : effectiveEnv(env).entrySet()) {
            s.append("export ").append(quote(e.getKey() + "=" + e.getValue())).append('\n');
        }
        return s;
    }

    /** The base environment overridden by the caller's, without names a shell cannot export. */
    static Map<String, String> effectiveEnv(Map<String, String> env) {
        Map<String, String> all = new LinkedHashMap<>(new java.util.TreeMap<>(BASE_ENV));
        new java.util.TreeMap<>(env).forEach((k, v) -> {
            if (NAME.matcher(k).matches() && !k.equals("_")) all.put(k, v);
        });
        return all;
    }

    /** POSIX shell single quoting: 'it'\''s'. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
