"""Example command step: adds up the parallel step's rows ("doc00.txt: 12 long words")."""
import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--scores", required=True)
parser.add_argument("--total", required=True)
args = parser.parse_args()

with open(os.path.join(args.scores, "parallel_run_step.txt"), encoding="utf-8") as f:
    counts = [int(line.split()[1]) for line in f if line.strip()]
os.makedirs(os.path.dirname(args.total), exist_ok=True)
with open(args.total, "w", encoding="utf-8") as f:
    f.write(f"{len(counts)} files, {sum(counts)} long words\n")
print(f"{len(counts)} files, {sum(counts)} long words")
