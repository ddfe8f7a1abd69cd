package dev.jkvm.cli;

import picocli.CommandLine.IVersionProvider;

/** `jkvm --version`: the jkvm version from the jar manifest, and the JVM it runs on. */
final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {
            "jkvm " + (v == null ? "(development build)" : v),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
        };
    }
}
