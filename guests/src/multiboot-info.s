# multiboot-info.s - a Multiboot v1 kernel that prints what its boot loader and
# the fw_cfg device told it, then halts.  Built as an ELF32 executable with a
# Multiboot header (flags: page-aligned modules, memory information), loaded at
# 1 MiB and entered in 32-bit protected mode with EAX = 0x2BADB002 and EBX = the
# Multiboot information structure.  Prints exactly (N = what jkvm gave):
#   multiboot: magic ok, mem_lower N KiB, mem_upper N KiB
#   multiboot: cmdline 'S', loader 'S', N modules
#   multiboot: mmap N entries, N KiB available
#   fw_cfg: signature S, ram N KiB, cpus N
# With a wrong EAX it prints "multiboot: bad magic" and writes 1 to port 0xf4.

        .code32
        .set MB_HEADER_MAGIC, 0x1badb002
        .set MB_FLAGS,        0x00000003
        .set MB_BOOT_MAGIC,   0x2badb002
        .set COM1_THR, 0x3f8
        .set COM1_LSR, 0x3fd
        .set FW_CFG_SEL, 0x510
        .set FW_CFG_DATA, 0x511
        .set DEBUG_EXIT_PORT, 0xf4

        .section .multiboot, "a"
        .balign 4
        .long MB_HEADER_MAGIC, MB_FLAGS, -(MB_HEADER_MAGIC + MB_FLAGS)

        .text
        .globl _start
_start:
        cli
        movl $stack_top, %esp
        cmpl $MB_BOOT_MAGIC, %eax
        jne bad_magic
        movl %ebx, %ebp                     # %ebp = Multiboot information

        movl $s_magic, %esi
        call puts
        movl 4(%ebp), %eax                  # mem_lower
        call putdec
        movl $s_upper, %esi
        call puts
        movl 8(%ebp), %eax                  # mem_upper
        call putdec
        movl $s_kib_nl, %esi
        call puts

        movl $s_cmdline, %esi
        call puts
        movl 16(%ebp), %esi                 # cmdline
        call puts
        movl $s_loader, %esi
        call puts
        movl 64(%ebp), %esi                 # boot_loader_name
        call puts
        movl $s_quote_comma, %esi
        call puts
        movl 20(%ebp), %eax                 # mods_count
        call putdec
        movl $s_modules, %esi
        call puts

        # Walk the memory map: entries are {u32 size, u64 base, u64 length, u32 type}, each size + 4 bytes.
        movl 48(%ebp), %ebx                 # mmap_addr
        movl %ebx, %edi
        addl 44(%ebp), %edi                 # end
        xorl %ecx, %ecx                     # entries
        xorl %edx, %edx                     # available KiB
1:      cmpl %edi, %ebx
        jae 2f
        incl %ecx
        cmpl $1, 20(%ebx)
        jne 3f
        movl 12(%ebx), %eax                 # length, low half (jkvm's RAM is below 4 GiB)
        shrl $10, %eax
        addl %eax, %edx
3:      addl (%ebx), %ebx
        addl $4, %ebx
        jmp 1b
2:      pushl %edx
        movl $s_mmap, %esi
        call puts
        movl %ecx, %eax
        call putdec
        movl $s_entries, %esi
        call puts
        popl %eax
        call putdec
        movl $s_available, %esi
        call puts

        # fw_cfg: select an item with a 16-bit write, read it a byte at a time.
        movl $s_fwcfg, %esi
        call puts
        movw $0x00, %ax                     # FW_CFG_SIGNATURE
        call fw_select
        movl $4, %ecx
4:      call fw_byte
        call putc
        loop 4b
        movl $s_ram, %esi
        call puts
        movw $0x03, %ax                     # FW_CFG_RAM_SIZE, u64 little endian
        call fw_select
        call fw_u32
        shrl $10, %eax
        call putdec
        movl $s_cpus, %esi
        call puts
        movw $0x05, %ax                     # FW_CFG_NB_CPUS, u16
        call fw_select
        call fw_u32
        andl $0xffff, %eax
        call putdec
        movb $'\n', %al
        call putc

done:   cli
        hlt
        jmp done

bad_magic:
        movl $s_bad, %esi
        call puts
        movl $1, %eax
        movw $DEBUG_EXIT_PORT, %dx
        outl %eax, %dx
        jmp done

# fw_select: select item %ax.  Clobbers %dx.
fw_select:
        movw $FW_CFG_SEL, %dx
        outw %ax, %dx
        ret
# fw_byte: next byte of the item in %al (upper bits of %eax kept).  Clobbers %dx.
fw_byte:
        movw $FW_CFG_DATA, %dx
        inb %dx, %al
        ret
# fw_u32: next four bytes, little endian, in %eax.  Clobbers %ecx, %edx.
fw_u32:
        xorl %ecx, %ecx
        movl $4, %edx
5:      pushl %edx
        movw $FW_CFG_DATA, %dx
        inb %dx, %al
        popl %edx
        movzbl %al, %eax
        rorl $8, %ecx
        andl $0x00ffffff, %ecx
        shll $24, %eax
        orl %eax, %ecx
        decl %edx
        jnz 5b
        movl %ecx, %eax
        ret

# putc: %al to COM1, waiting for THR empty.  Keeps every register but flags.
putc:
        pushl %edx
        pushl %eax
        movw $COM1_LSR, %dx
6:      inb %dx, %al
        testb $0x20, %al
        jz 6b
        popl %eax
        movw $COM1_THR, %dx
        outb %al, %dx
        popl %edx
        ret

# puts: the NUL-terminated string at %esi.  Clobbers %esi, %eax.
puts:
        cld
7:      lodsb
        testb %al, %al
        jz 8f
        call putc
        jmp 7b
8:      ret

# putdec: %eax in decimal.  Keeps every register but %eax and flags.
putdec:
        pushl %ecx
        pushl %edx
        pushl %ebx
        movl $10, %ebx
        xorl %ecx, %ecx
9:      xorl %edx, %edx
        divl %ebx
        pushl %edx
        incl %ecx
        testl %eax, %eax
        jnz 9b
10:     popl %eax
        addb $'0', %al
        call putc
        loop 10b
        popl %ebx
        popl %edx
        popl %ecx
        ret

        .section .rodata
s_magic:       .asciz "multiboot: magic ok, mem_lower "
s_upper:       .asciz " KiB, mem_upper "
s_kib_nl:      .asciz " KiB\n"
s_cmdline:     .asciz "multiboot: cmdline '"
s_loader:      .asciz "', loader '"
s_quote_comma: .asciz "', "
s_modules:     .asciz " modules\n"
s_mmap:        .asciz "multiboot: mmap "
s_entries:     .asciz " entries, "
s_available:   .asciz " KiB available\n"
s_fwcfg:       .asciz "fw_cfg: signature "
s_ram:         .asciz ", ram "
s_cpus:        .asciz " KiB, cpus "
s_bad:         .asciz "multiboot: bad magic\n"

        .bss
        .balign 16
        .skip 4096
stack_top:
