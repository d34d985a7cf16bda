package dev.glassbox.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The causal / sliding-window mask, filled by runs, against its definition value by value. */
class CausalMaskTest {

    /** 0 where position j is visible from row i (position past + i), −∞ elsewhere. */
    private static float[] byDefinition(int past, int t, Integer window) {
        int s = past + t;
        float[] mask = new float[t * s];
        for (int i = 0; i < t; i++) {
            int qpos = past + i;
            for (int j = 0; j < s; j++) {
                boolean visible = j <= qpos && (window == null || qpos - j < window);
                mask[i * s + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return mask;
    }

    @Test
    void everyShapeAndWindowMatchesTheDefinition() {
        Integer[] windows = {null, 1, 2, 3, 5, 8, 40, 1000};
        for (int past : new int[] {0, 1, 3, 17}) {
            for (int t : new int[] {1, 2, 5, 13, 64}) {
                for (Integer w : windows) {
                    assertArrayEquals(byDefinition(past, t, w), TransformerLM.causalMaskValues(past, t, w),
                            "past " + past + ", t " + t + ", window " + w);
                }
            }
        }
    }
}
