#!/usr/bin/env python3
"""Prints criterion results as a Markdown table: ns per element for every benchmark of the
groups given (default: all), one column per size, with the ratio to a baseline.

    cargo bench --features parallel --bench batch
    python3 scripts/bench-table.py batch_dispenser batch_taximeter --baseline copy_inputs

Reads target/criterion/<group>/<function>/<size>/new/{estimates,benchmark}.json (criterion's
own output: the point estimate of the mean time per iteration and the throughput in
elements), so it reports exactly what `cargo bench` printed, in a form fit for the README.
With `--stat min` it reports the fastest sample instead (sample.json: each sample's time
divided by its iterations): on a shared VM, where neighbours' memory traffic slows some
samples down, the best sample is the steadiest figure of what the code can do.
"""
import argparse
import json
import pathlib
import sys


def load(root: pathlib.Path, group: str, stat: str = "mean"):
    rows = {}
    for est in sorted((root / group).glob("*/*/new/estimates.json")):
        size_dir = est.parent.parent
        bench = json.loads((est.parent / "benchmark.json").read_text())
        thr = bench.get("throughput") or {}
        elems = thr.get("Elements")
        if not elems:
            continue
        if stat == "min":
            sample = json.loads((est.parent / "sample.json").read_text())
            ns = min(t / i for t, i in zip(sample["times"], sample["iters"]))
        else:
            ns = json.loads(est.read_text())["mean"]["point_estimate"]
        rows.setdefault(size_dir.parent.name, {})[int(size_dir.name)] = ns / elems
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("groups", nargs="*", help="criterion group directories (e.g. batch_dispenser)")
    ap.add_argument("--root", default="target/criterion")
    ap.add_argument("--baseline", default="copy_inputs", help="function to divide by")
    ap.add_argument("--stat", choices=["mean", "min"], default="mean",
                    help="criterion's mean (default) or the fastest sample")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    if not root.is_dir():
        print(f"no criterion output under {root}: run `cargo bench` first", file=sys.stderr)
        return 2
    groups = args.groups or sorted(p.name for p in root.iterdir() if p.is_dir() and p.name != "report")
    for group in groups:
        rows = load(root, group, args.stat)
        if not rows:
            print(f"{group}: no results", file=sys.stderr)
            continue
        sizes = sorted({s for r in rows.values() for s in r})
        base = rows.get(args.baseline, {})
        what = "fastest sample" if args.stat == "min" else "mean"
        print(f"\n{group} (ns per element, {what}; × = ratio to `{args.baseline}` at that size)\n")
        print("| path | " + " | ".join(f"{s:,}".replace(",", " ") for s in sizes) + " |")
        print("|---|" + "---:|" * len(sizes))
        for name, r in sorted(rows.items()):
            cells = []
            for s in sizes:
                if s not in r:
                    cells.append("")
                elif s in base and name != args.baseline:
                    cells.append(f"{r[s]:.2f} ({r[s] / base[s]:.2f}×)")
                else:
                    cells.append(f"{r[s]:.2f}")
            print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
