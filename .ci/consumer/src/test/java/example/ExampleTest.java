package example;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** glassbox as a library dependency: the README's example runs, the CLI's dependencies are absent. */
class ExampleTest {

    @Test
    void readmeExampleContinuesGenesis() {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            Example.main(new String[] {System.getProperty("glassbox.model")});
        } finally {
            System.setOut(out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        out.println("Example printed: " + text.strip());
        // the bundled model's greedy answer (model-zoo/kjv-gpt2/README.md)
        assertTrue(text.startsWith(" light"), text);
    }

    @Test
    void commandLineDependenciesStayOut() {
        for (String cls : new String[] {"picocli.CommandLine", "me.tongfei.progressbar.ProgressBar", "org.slf4j.simple.SimpleLogger"}) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(cls), cls + " is on a library user's classpath");
        }
    }
}
