package dev.jkvm.devices;

/**
 * Just enough of a 16550 UART at COM1 (0x3F8–0x3FF). The transmit register passes bytes to a
 * {@link SerialSink} and the byte is gone at once, so the line status register always says the
 * transmitter is empty and a driver that polls LSR bit 5 never waits.
 *
 * <p>Interrupts, for guests that enable them in IER: the UART's interrupt output is the level of
 * "an enabled condition is pending", driven on an {@link InterruptLine} (ISA IRQ 4 on the in-kernel
 * irqchip; nowhere without one). THRE is pending after IER enables it and after every THR write
 * (the byte left at once), and cleared by reading IIR while IIR reports it or by writing THR — so
 * each transmitted byte gives the PIC/IOAPIC a fresh edge, as on a real 16550. RDA would be pending
 * while received data waits, but jkvm forwards no input, so LSR.DR stays 0 and RDA never fires.
 * With LCR.DLAB set, ports +0/+1 are the divisor latch (stored, otherwise ignored), so a driver
 * programming the baud rate prints nothing.
 */
public final class Com1Serial implements PortDevice {
    public static final int BASE = 0x3F8;
    public static final int LAST = 0x3FF;
    /** The ISA IRQ of COM1. */
    public static final int IRQ = 4;
    private static final int THR = BASE, IER = BASE + 1, IIR = BASE + 2, LCR = BASE + 3, MCR = BASE + 4, LSR = BASE + 5, SCR = BASE + 7;
    /** THR empty (bit 5) and transmitter empty (bit 6). */
    static final int LSR_READY = 0x60;
    static final int IER_RDA = 0x01, IER_THRE = 0x02;
    static final int IIR_NONE = 0x01, IIR_THRE = 0x02, IIR_RDA = 0x04;
    private static final int LCR_DLAB = 0x80;

    private final SerialSink sink;
    private final InterruptLine irq;
    private long bytesWritten;
    private int ier, lcr, mcr, scr, dll, dlm;
    private boolean threPending;

    public Com1Serial(SerialSink sink) {
        this(sink, InterruptLine.NONE);
    }

    public Com1Serial(SerialSink sink, InterruptLine irq) {
        this.sink = sink;
        this.irq = irq;
    }

    @Override
    public int read(int port, int size) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch (port) {
            case THR -> dlab ? dll : 0; // no received data
            case IER -> dlab ? dlm : ier;
            case IIR -> {
                int iir = interruptId();
                if (iir == IIR_THRE) {
                    threPending = false; // reading IIR that names THRE acknowledges it
                    update();
                }
                yield iir;
            }
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> LSR_READY;
            case SCR -> scr;
            default -> 0;
        };
    }

    @Override
    public long write(int port, int size, int value) {
        int v = value & 0xFF;
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (port) {
            case THR -> {
                if (dlab) {
                    dll = v;
                } else {
                    sink.write((byte) value);
                    bytesWritten++;
                    // Writing THR clears THRE; the byte leaves at once, so THR is empty again: a new edge.
                    threPending = false;
                    update();
                    threPending = true;
                }
            }
            case IER -> {
                if (dlab) {
                    dlm = v;
                } else {
                    boolean threNewlyEnabled = (v & IER_THRE) != 0 && (ier & IER_THRE) == 0;
                    ier = v & 0x0F;
                    if (threNewlyEnabled) threPending = true; // THR is empty, so THRE is pending at once
                }
            }
            case LCR -> lcr = v;
            case MCR -> mcr = v & 0x1F;
            case SCR -> scr = v;
            default -> { }
        }
        update();
        return CONTINUE;
    }

    /** IIR's value: the highest-priority pending enabled interrupt (RDA would outrank THRE). */
    private int interruptId() {
        if (threPending && (ier & IER_THRE) != 0) return IIR_THRE;
        return IIR_NONE;
    }

    private void update() {
        irq.set(interruptId() != IIR_NONE);
    }

    public long bytesWritten() {
        return bytesWritten;
    }
}
