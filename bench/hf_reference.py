"""The reference side of `glassbox bench`: HuggingFace transformers on PyTorch CPU, same shapes.

Not part of the build or the tests. It needs torch and transformers (e.g. in a venv) and measures,
on the machine at hand, what ../shared/README.md quotes for its reference machine, so that the
two can be compared in one run (absolute times drift between machines):

    python bench/hf_reference.py --model DIR [--threads 2] [--runs 5] [--warmup 10]

prefill: one forward over 128 / 512 random ids (median of --runs after --warmup untimed runs, as
`glassbox bench`, whose JIT needs them; here the first run is the only slow one), with logits at
every position (prefill_ms_*, what model(ids) computes) and at the last only (prefill_last_ms_*,
what generate() computes for a prompt);
decode: greedy generation of 64 new tokens after a 16-token prompt with the KV cache, new tokens
per second after the first (median of --runs). Prints one JSON object.
"""
import argparse
import json
import statistics
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(0)

    def ids(n):
        return torch.randint(0, vocab, (1, n), generator=g)

    out = {}
    with torch.inference_mode():
        for n in (128, 512):
            x = ids(n)
            for _ in range(max(1, a.warmup)):
                model(x)
            times = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t0) * 1000)
            out[f"prefill_ms_{n}"] = statistics.median(times)
            # the prefill generate() runs: logits for the last position only
            for _ in range(max(1, a.warmup)):
                model(x, logits_to_keep=1)
            times = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                model(x, logits_to_keep=1)
                times.append((time.perf_counter() - t0) * 1000)
            out[f"prefill_last_ms_{n}"] = statistics.median(times)
        rates = []
        prompt = ids(16)
        for _ in range(max(1, a.warmup)):
            model.generate(prompt, max_new_tokens=8, do_sample=False, min_new_tokens=8)
        for _ in range(a.runs):
            # time to the first new token, then the 63 after it
            t0 = time.perf_counter()
            model.generate(prompt, max_new_tokens=1, do_sample=False, min_new_tokens=1)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            model.generate(prompt, max_new_tokens=64, do_sample=False, min_new_tokens=64)
            total = time.perf_counter() - t0
            rates.append(63 / (total - first))
        out["decode_tokens_per_s"] = statistics.median(rates)
    out.update(threads=a.threads, runs=a.runs, warmup=a.warmup, torch=torch.__version__,
               transformers=__import__("transformers").__version__, model=a.model)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
