package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The boot_params and set-up header offsets jkvm writes, against gcc's view of the kernel's own
 * {@code <asm/bootparam.h>} (linux-libc-dev): an independent source for every number in
 * {@link BzImage} and {@link LinuxBoot}.
 */
class BootParamsLayoutTest {
    private static final Map<String, Long> JKVM = new LinkedHashMap<>();

    static {
        JKVM.put("offsetof(struct boot_params, hdr)", (long) BzImage.SETUP_SECTS);
        JKVM.put("offsetof(struct boot_params, hdr.setup_sects)", (long) BzImage.SETUP_SECTS);
        JKVM.put("offsetof(struct boot_params, hdr.vid_mode)", (long) BzImage.VID_MODE);
        JKVM.put("offsetof(struct boot_params, hdr.boot_flag)", (long) BzImage.BOOT_FLAG);
        JKVM.put("offsetof(struct boot_params, hdr.jump)", (long) BzImage.JUMP);
        JKVM.put("offsetof(struct boot_params, hdr.header)", (long) BzImage.HEADER);
        JKVM.put("offsetof(struct boot_params, hdr.version)", (long) BzImage.VERSION);
        JKVM.put("offsetof(struct boot_params, hdr.type_of_loader)", (long) BzImage.TYPE_OF_LOADER);
        JKVM.put("offsetof(struct boot_params, hdr.loadflags)", (long) BzImage.LOADFLAGS);
        JKVM.put("offsetof(struct boot_params, hdr.code32_start)", (long) BzImage.CODE32_START);
        JKVM.put("offsetof(struct boot_params, hdr.ramdisk_image)", (long) BzImage.RAMDISK_IMAGE);
        JKVM.put("offsetof(struct boot_params, hdr.ramdisk_size)", (long) BzImage.RAMDISK_SIZE);
        JKVM.put("offsetof(struct boot_params, hdr.heap_end_ptr)", (long) BzImage.HEAP_END_PTR);
        JKVM.put("offsetof(struct boot_params, hdr.cmd_line_ptr)", (long) BzImage.CMD_LINE_PTR);
        JKVM.put("offsetof(struct boot_params, hdr.initrd_addr_max)", (long) BzImage.INITRD_ADDR_MAX);
        JKVM.put("offsetof(struct boot_params, hdr.kernel_alignment)", (long) BzImage.KERNEL_ALIGNMENT);
        JKVM.put("offsetof(struct boot_params, hdr.relocatable_kernel)", (long) BzImage.RELOCATABLE_KERNEL);
        JKVM.put("offsetof(struct boot_params, hdr.xloadflags)", (long) BzImage.XLOADFLAGS);
        JKVM.put("offsetof(struct boot_params, hdr.cmdline_size)", (long) BzImage.CMDLINE_SIZE);
        JKVM.put("offsetof(struct boot_params, hdr.pref_address)", (long) BzImage.PREF_ADDRESS);
        JKVM.put("offsetof(struct boot_params, hdr.init_size)", (long) BzImage.INIT_SIZE);
        JKVM.put("offsetof(struct boot_params, hdr.syssize)", 0x1f4L);
        JKVM.put("offsetof(struct boot_params, ext_ramdisk_image)", (long) LinuxBoot.EXT_RAMDISK_IMAGE);
        JKVM.put("offsetof(struct boot_params, ext_ramdisk_size)", (long) LinuxBoot.EXT_RAMDISK_SIZE);
        JKVM.put("offsetof(struct boot_params, ext_cmd_line_ptr)", (long) LinuxBoot.EXT_CMD_LINE_PTR);
        JKVM.put("offsetof(struct boot_params, e820_entries)", (long) LinuxBoot.E820_ENTRIES);
        JKVM.put("offsetof(struct boot_params, e820_table)", (long) LinuxBoot.E820_TABLE);
        JKVM.put("sizeof(struct boot_e820_entry)", (long) LinuxBoot.E820_ENTRY_SIZE);
        JKVM.put("sizeof(struct boot_params)", (long) LinuxBoot.ZERO_PAGE_SIZE);
        JKVM.put("XLF_KERNEL_64", (long) BzImage.XLF_KERNEL_64);
        JKVM.put("LOADED_HIGH", (long) BzImage.LOADED_HIGH);
        JKVM.put("E820_TYPE_RAM_FROM_HEADER", (long) LinuxBoot.E820_RAM);
    }

    @Test
    void everyOffsetJkvmWritesIsTheKernelHeadersOne() throws Exception {
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <asm/bootparam.h>\nint main(void) {\n");
        for (String expr : JKVM.keySet()) {
            String e = expr.equals("E820_TYPE_RAM_FROM_HEADER") ? "1" : expr; // e820 types are not in the uapi header; boot.rst: 1 = RAM
            c.append("  printf(\"%lu\\n\", (unsigned long) (").append(e).append("));\n");
        }
        c.append("  return 0;\n}\n");
        Path dir = Files.createTempDirectory("jkvm-bootparams-");
        try {
            Files.writeString(dir.resolve("bp.c"), c);
            exec(dir, List.of(System.getenv().getOrDefault("CC", "gcc"), "-o", "bp", "bp.c"));
            String[] values = exec(dir, List.of(dir.resolve("bp").toString())).strip().split("\n");
            int i = 0;
            for (Map.Entry<String, Long> e : JKVM.entrySet()) {
                assertEquals(Long.parseLong(values[i++].strip()), e.getValue(), e.getKey() + " (gcc vs jkvm)");
            }
        } finally {
            for (String f : List.of("bp.c", "bp")) Files.deleteIfExists(dir.resolve(f));
            Files.deleteIfExists(dir);
        }
    }

    private static String exec(Path dir, List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError(command + " failed:\n" + out);
        return out;
    }
}
