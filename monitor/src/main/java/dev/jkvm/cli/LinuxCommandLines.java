package dev.jkvm.cli;

import dev.jkvm.util.UsageException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Splits the --cmdline options into the text each VM's kernel command line gets appended. */
final class LinuxCommandLines {
    private static final Pattern PER_VM = Pattern.compile("vm(\\d{1,9})=(.*)", Pattern.DOTALL);

    private LinuxCommandLines() {}

    /** For each of {@code vms} VMs: the common texts, then its own (vmI=TEXT), joined by spaces ("" when none). */
    static List<String> perVm(List<String> options, int vms) {
        List<String> common = new ArrayList<>();
        List<List<String>> own = new ArrayList<>(Collections.nCopies(vms, null));
        for (String o : options) {
            Matcher m = PER_VM.matcher(o);
            if (m.matches()) {
                int vm = Integer.parseInt(m.group(1));
                if (vm >= vms) throw new UsageException("--cmdline names vm" + vm + " but the run has vm0..vm" + (vms - 1));
                if (own.get(vm) == null) own.set(vm, new ArrayList<>());
                own.get(vm).add(m.group(2).strip());
            } else {
                common.add(o.strip());
            }
        }
        List<String> result = new ArrayList<>();
        for (int i = 0; i < vms; i++) {
            List<String> parts = new ArrayList<>(common);
            if (own.get(i) != null) parts.addAll(own.get(i));
            parts.removeIf(String::isEmpty);
            result.add(String.join(" ", parts));
        }
        return result;
    }
}
