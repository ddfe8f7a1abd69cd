package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

@Name("jkvm.GuestProgress")
@Label("Guest Progress")
@Description("A guest's own progress counter (spin, steal-spin) read from guest memory: how much work it got done")
@Category({"jkvm", "Guest View"})
@StackTrace(false)
@Period("1 s")
public final class GuestProgress extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("Counter") @Description("The counter's value now")
    public long counter;

    @Label("Increase") @Description("How much it grew since the previous sample")
    public long delta;
}
