package dev.jkvm.cli;

import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.util.Sizes;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** `jkvm guests`: the built-in guests with their mode and what they do. */
@Command(name = "guests", mixinStandardHelpOptions = true,
        description = "List the built-in guests (use a name with 'jkvm run --guest NAME', or give a path to your own image).")
final class GuestsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<GuestManifest> guests = GuestCatalog.builtIns();
        int nameWidth = guests.stream().mapToInt(g -> g.name().length()).max().orElse(4);
        var out = spec.commandLine().getOut();
        out.printf("%-" + nameWidth + "s  %-9s  %-7s  %s%n", "NAME", "MODE", "MEMORY", "DESCRIPTION");
        for (GuestManifest g : guests) {
            out.printf("%-" + nameWidth + "s  %-9s  %-7s  %s%n", g.name(), g.mode().displayName(),
                    Sizes.format(g.memory()).replace(" ", ""), g.description());
        }
        return ExitCodes.OK;
    }
}
