package dev.glassbox.cli;

import dev.glassbox.LanguageModel;
import dev.glassbox.explore.ExplorerApi;
import dev.glassbox.explore.ExplorerServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code glassbox explore}: a local web app on 127.0.0.1 where a person types a prompt and sees its
 * journey live (tokens, the next-token distribution under sampling sliders, attention per layer and
 * head, the logit lens, direct logit attribution, activation patching between two prompts), over a JSON API other tools can call (README,
 * "Explorer"). Runs until interrupted.
 */
@Command(name = "explore", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve an interactive explorer of the model on http://127.0.0.1:PORT/ (this machine only): tokens, "
                + "next-token distribution with sampling sliders, attention, logit lens, logit attribution, patching; and its JSON API.")
public final class ExploreCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Option(names = "--port", paramLabel = "P", defaultValue = "8740",
            description = "Port on 127.0.0.1 (0: any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Override
    public Integer call() throws InterruptedException {
        ExplorerServer.checkPort(port); // a taken port is reported before the model loads
        LanguageModel model = modelOptions.load();
        ExplorerServer server;
        try {
            server = ExplorerServer.start(new ExplorerApi(model), port);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            model.close();
            stopped.countDown();
        }, "glassbox-explore-stop"));
        System.out.println("glassbox explore: " + model.dir().getFileName() + " at " + server.url());
        System.out.flush();
        System.err.println("serving on 127.0.0.1 only; the JSON API is under " + server.url() + "api/ (README, \"Explorer\"). Ctrl-C stops.");
        stopped.await();
        return 0;
    }
}
