package dev.glassbox.inspect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.glassbox.GlassboxException;

/**
 * The journey as one JSON object, for programs. Field names are the snake_case names of the
 * {@link JourneyReport} record components and are stable within {@code "format":
 * "glassbox.journey/1"}:
 *
 * <pre>
 * format                 "glassbox.journey/1"
 * model                  {name, path, model_type, vocab_size, hidden_size, layers, heads, kv_heads,
 *                         head_dim, mlp_width, norm, activation, gated_mlp, positions ("learned"|"rotary"),
 *                         rope_theta (null if learned), tied_embeddings, context_length, embedding_scale,
 *                         tokenizer (bool)}
 * prompt                 the text, or null when ids were given
 * prompt_tokens[]        {position, id, text, string}
 * position               the position the first step explains (the input is cut after it)
 * sampling               {greedy, temperature, top_k, top_p, min_p, seed}
 * steps[]                one per generated token:
 *   step, position, context_ids[]
 *   embedding            {token_id, token, ids_shape [T], shape [T, D], row[8] (E[id], first values),
 *                         row_norm, position_kind, position_row[8] | null, position_norm | null,
 *                         position_note, sum[8] (residual entering layer 0), sum_norm,
 *                         nearest[] {id, text, dot, cosine}}
 *   layers[]             {layer, resid_in_norm, norm, q_shape [T,H,d], k_shape [T,K,d], v_shape [T,K,d],
 *                         head (shown), scores_shape [T,T], scores[] (q·k/√d over positions 0..position;
 *                         masked entries are the string "-Infinity"), probs[] (softmax of scores),
 *                         sources[] and sources_averaged[] {position, token_id, token, weight},
 *                         z_norm, wo_shape [D, H·d], attn_out_norm, resid_mid_norm, mlp_width,
 *                         activation, gated, mlp_active_fraction, top_neuron, top_neuron_value,
 *                         mlp_out_norm, resid_out_norm, lens {id, text, logit, prob, logprob, rank}}
 *   output               {norm, final_norm_norm, logits_shape [T, V], top[] {id, text, logit, prob,
 *                         logprob, rank}, temperature, top_probs_at_temperature[], entropy (nats)}
 *   attribution          {target_id, target, logit, top[] {name, kind, layer, head, value}}
 *                         (direct logit attribution of the chosen token, largest |value| first)
 *   decoding             {greedy, temperature, top_k, top_p, min_p, seed, survivors[] {id, text, prob,
 *                         raw_prob, processed_logit}, kept_count, greedy_id, greedy_text, chosen_id,
 *                         chosen_text, chosen_prob, chosen_raw_prob}
 *   actual_next          the input's own next token {id, text, logit, prob, logprob, rank} or null
 *   appended             {position, id, text, string}
 *   attention, lens      this step's attention patterns and logit-lens grid (fields as below)
 * generated_ids[], generated_text
 * stop_reason            "steps" | "eos" | "context_full"
 * attention              {first, tokens[], patterns[layer][head][query][key]} (last step's pass)
 * lens                   {stages[] ("embed", "L0", …), first, tokens[], top[stage][position]
 *                         {id, text, logit, prob, logprob, rank}, target_id, target,
 *                         target_probs[stage], target_ranks[stage]}
 * cache_bytes            activation memory cached by the largest step
 * </pre>
 *
 * Probabilities are in [0, 1], log-probs and entropies in nats, ranks start at 1, positions and
 * layers at 0.
 */
public final class JourneyJson {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .build();

    private JourneyJson() {}

    /** The report as a JSON document (indented when {@code pretty}). */
    public static String render(JourneyReport r, boolean pretty) {
        try {
            return pretty ? MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(r) : MAPPER.writeValueAsString(r);
        } catch (JsonProcessingException e) {
            throw new GlassboxException("cannot write the journey as JSON: " + e.getMessage(), e);
        }
    }
}
