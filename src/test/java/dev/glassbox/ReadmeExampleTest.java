package dev.glassbox;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's complete Java example is the one .ci/consumer.sh compiles and runs against the
 * installed artifact; this keeps the two the same text.
 */
class ReadmeExampleTest {

    @Test
    void readmeShowsTheExampleTheConsumerProjectRuns() throws Exception {
        String example = Files.readString(Path.of(".ci/consumer/src/main/java/example/Example.java"));
        example = example.substring(example.indexOf("import ")); // the README leaves out the package line
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains("```java\n" + example + "```"), "README.md does not show .ci/consumer's Example.java verbatim");
        assertTrue(readme.contains("<groupId>dev.glassbox</groupId>") && readme.contains("<artifactId>glassbox</artifactId>"),
                "README.md shows the Maven coordinates");
    }
}
