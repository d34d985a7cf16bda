package dev.glassbox.tokenizer;

/** The text &lt;-&gt; ids engine behind a {@link TextTokenizer}; ids are already validated. */
interface Codec extends AutoCloseable {

    long[] encode(String text, boolean addSpecialTokens);

    String decode(long[] ids, boolean skipSpecialTokens);

    @Override
    void close();
}
