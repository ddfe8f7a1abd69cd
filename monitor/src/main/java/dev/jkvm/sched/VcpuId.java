package dev.jkvm.sched;

/** A vCPU as the recorder knows it: its VM's name, its index, and the kernel TID of its thread. */
public record VcpuId(String vm, int vcpu, int tid) {
    @Override
    public String toString() {
        return vm + "/vcpu" + vcpu + " (TID " + tid + ")";
    }
}
