"""glassbox against transformers, interleaved in one run: the ratios README "Performance" quotes.

Machines of this project's type vary from day to day and even minute to minute (other tenants
share the memory bus), so an absolute figure says little and two figures measured minutes apart
are not comparable. This script alternates the two programs, round after round, on the same
checkpoint and thread count, and reports each round's ratio and the median of the ratios:

    python bench/side_by_side.py --model DIR [--rounds 3] [--threads 2] [--runs 3] [--warmup 10]
           [--glassbox "--quantize int8"] [--json]

Each round runs `python bench/hf_reference.py` (transformers, eager attention, float32) and then
`bin/glassbox bench --json` with the extra options given. Needs torch and transformers; not part of
the build or the tests.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=10, help="untimed runs before each figure, on both sides")
    ap.add_argument("--glassbox", default="", help="extra options for glassbox bench, e.g. '--quantize int8'")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    hf_cmd = [sys.executable, os.path.join(HERE, "hf_reference.py"), "--model", a.model,
              "--threads", str(a.threads), "--runs", str(a.runs), "--warmup", str(a.warmup)]
    gb_cmd = [os.path.join(ROOT, "bin", "glassbox"), "bench", "--model", a.model, "--threads", str(a.threads),
              "--runs", str(a.runs), "--warmup", str(a.warmup), "--json", "--quiet"] + shlex.split(a.glassbox)
    rounds = []
    for i in range(a.rounds):
        hf = run_json(hf_cmd)
        gb = run_json(gb_cmd)
        r = {
            "hf_decode_tokens_per_s": hf["decode_tokens_per_s"],
            "glassbox_decode_tokens_per_s": gb["decode_tokens_per_s"],
            "decode_ratio": gb["decode_tokens_per_s"] / hf["decode_tokens_per_s"],
            "hf_prefill_ms_128": hf["prefill_ms_128"],
            "glassbox_prefill_ms_128": gb["prefill_full_logits_ms_128"],
            "hf_prefill_ms_512": hf["prefill_ms_512"],
            "glassbox_prefill_ms_512": gb["prefill_full_logits_ms_512"],
        }
        # prefill as generation runs it (last-position logits), and as a plain forward (every position)
        r["hf_prefill_last_ms_128"] = hf["prefill_last_ms_128"]
        r["glassbox_prefill_last_ms_128"] = gb["prefill_ms_128"]
        r["hf_prefill_last_ms_512"] = hf["prefill_last_ms_512"]
        r["glassbox_prefill_last_ms_512"] = gb["prefill_ms_512"]
        for n in (128, 512):  # time ratios: < 1 means glassbox is faster
            r[f"prefill_ratio_{n}"] = r[f"glassbox_prefill_ms_{n}"] / r[f"hf_prefill_ms_{n}"]
            r[f"prefill_last_ratio_{n}"] = r[f"glassbox_prefill_last_ms_{n}"] / r[f"hf_prefill_last_ms_{n}"]
        rounds.append(r)
        if not a.json:
            print(f"round {i + 1}: decode {r['glassbox_decode_tokens_per_s']:.1f} vs {r['hf_decode_tokens_per_s']:.1f} tok/s "
                  f"({r['decode_ratio']:.2f}x); prefill last-logit 128 {r['glassbox_prefill_last_ms_128']:.0f} vs "
                  f"{r['hf_prefill_last_ms_128']:.0f} ms, 512 {r['glassbox_prefill_last_ms_512']:.0f} vs {r['hf_prefill_last_ms_512']:.0f} ms; "
                  f"all-logits 128 {r['glassbox_prefill_ms_128']:.0f} vs {r['hf_prefill_ms_128']:.0f} ms, "
                  f"512 {r['glassbox_prefill_ms_512']:.0f} vs {r['hf_prefill_ms_512']:.0f} ms", flush=True)
    summary = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    summary.update(model=a.model, threads=a.threads, runs=a.runs, rounds=a.rounds, glassbox_options=a.glassbox,
                   torch=hf.get("torch"), transformers=hf.get("transformers"), round_results=rounds)
    if a.json:
        print(json.dumps(summary))
    else:
        print(f"median decode ratio {summary['decode_ratio']:.2f}x; median prefill time ratios (glassbox/transformers): "
              f"last-logit {summary['prefill_last_ratio_128']:.2f} (128), {summary['prefill_last_ratio_512']:.2f} (512); "
              f"all-logits {summary['prefill_ratio_128']:.2f} (128), {summary['prefill_ratio_512']:.2f} (512)")


if __name__ == "__main__":
    main()
