package dev.jkvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which directory the sandbox shares so a working directory hidden by its /tmp stays visible. */
class VisibleCheckoutTest {
    @Test
    void aModuleOfACheckoutUnderTmpSharesTheCheckout() throws Exception {
        Path checkout = Files.createTempDirectory(Path.of("/tmp"), "jkvm-vc-").toRealPath();
        try {
            Files.createDirectories(checkout.resolve(".git"));
            Path module = Files.createDirectories(checkout.resolve("monitor/src"));
            assertEquals(Optional.of(checkout), VisibleCheckout.shareFor(module));
            assertEquals(Optional.of(checkout), VisibleCheckout.shareFor(checkout));
        } finally {
            SandboxAssets.deleteTree(checkout);
        }
    }

    @Test
    void aWorktreeWhoseGitIsAFileCountsAsACheckout() throws Exception {
        Path checkout = Files.createTempDirectory(Path.of("/tmp"), "jkvm-vc-").toRealPath();
        try {
            Files.writeString(checkout.resolve(".git"), "gitdir: /elsewhere\n");
            Path module = Files.createDirectories(checkout.resolve("bindings"));
            assertEquals(Optional.of(checkout), VisibleCheckout.shareFor(module));
        } finally {
            SandboxAssets.deleteTree(checkout);
        }
    }

    @Test
    void outsideACheckoutOnlyTheWorkingDirectoryIsShared() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jkvm-vc-").toRealPath();
        try {
            Path sub = Files.createDirectories(dir.resolve("a/b"));
            assertEquals(Optional.of(sub), VisibleCheckout.shareFor(sub));
        } finally {
            SandboxAssets.deleteTree(dir);
        }
    }

    @Test
    void directoriesTheGuestDoesNotHideNeedNothing() throws Exception {
        assertEquals(Optional.empty(), VisibleCheckout.shareFor(Path.of("/usr/lib")));
        assertEquals(Optional.empty(), VisibleCheckout.shareFor(Path.of("/tmp")), "/tmp itself is never shared");
        assertEquals(Optional.empty(), VisibleCheckout.shareFor(Path.of("/no/such/dir")));
    }
}
