package dev.jkvm.sandbox;

import java.nio.file.Path;

/** A child JVM for SandboxLifecycleTest: boots a sandbox, says "ready", and waits to be killed. */
public final class SandboxHookProbe {
    public static void main(String[] args) throws Exception {
        Sandbox sandbox = Sandbox.boot(SandboxConfig.defaults().withOutputDir(Path.of(args[0])).withProgress(l -> { }));
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(600_000);
        sandbox.close();
    }
}
