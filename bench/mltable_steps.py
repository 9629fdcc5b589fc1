"""What an MLTable drop/keep/convert chain adds to a mini-batch's load (issue #16: at most
20%). Runs the workers' own code (python/mltable) on a 1 MB mini-batch of delimited rows:
the pandas parse the worker does for every tabular mini-batch, alone and with the chain
applied the way the worker applies it (leading drop/keep steps folded into the parse,
then the conversions). The C++ row read that precedes the parse is left out, which only
makes the share larger. Medians of 31 runs.

    /usr/bin/python3 bench/mltable_steps.py [--build build]
"""
import argparse
import os
import random
import statistics
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
parser.add_argument("--rows", type=int, default=20000)
args = parser.parse_args()
sys.path.insert(0, os.path.join(args.build, "python"))
from mltable import _read, _transform  # noqa: E402

random.seed(16)
names = ["id", "store", "brand", "week", "units", "price", "promo", "note"]
text = "".join(f"{i},{1000 + i % 83},b{i % 3},1990-06-{i % 28 + 1:02d},{i % 977},{random.random() * 4:.2f},"
               f"{'yes' if i % 2 else 'no'},some text {i % 101}\n" for i in range(args.rows)).encode()
options = {"delimiter": ","}
steps = [{"drop_columns": ["note"]}, {"keep_columns": ["id", "store", "units", "price", "promo"]},
         {"convert_column_types": [
             {"columns": "units", "column_type": "float"}, {"columns": ["id", "store"], "column_type": "int"},
             {"columns": "promo", "column_type": {"boolean": {"true_values": ["yes"], "false_values": ["no"]}}}]}]


def median_ms(f, runs=31):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def worker_load():
    usecols, _, rest = _transform.plan_read(options, steps, names)
    return _transform.apply_steps(_read.read_delimited_text(text, names, options, usecols), rest, "/data/f.csv")


plain = median_ms(lambda: _read.read_delimited_text(text, names, options))
chain = median_ms(worker_load)
unfolded = median_ms(lambda: _transform.apply_steps(_read.read_delimited_text(text, names, options), steps, "f"))
print(f"mini-batch: {len(text) / 1e6:.2f} MB, {args.rows} rows, {len(names)} columns")
print(f"parse alone              {plain:7.1f} ms")
print(f"parse + drop/keep/convert {chain:6.1f} ms  ({100 * (chain / plain - 1):+.0f}%)   target <= +20%")
print(f"  (steps not folded into the parse: {unfolded:.1f} ms, {100 * (unfolded / plain - 1):+.0f}%)")
