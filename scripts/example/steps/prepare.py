"""Example command step: copies the text files it is given into its output folder, one
lower-cased file each, as a data-preparation step of an Azure ML pipeline would."""
import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--raw_data", required=True)
parser.add_argument("--prepared_data", required=True)
args = parser.parse_args()

count = 0
for folder, _, files in os.walk(args.raw_data):
    for name in sorted(files):
        target = os.path.join(args.prepared_data, os.path.relpath(folder, args.raw_data))
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(folder, name), encoding="utf-8") as src, \
                open(os.path.join(target, name), "w", encoding="utf-8") as dst:
            dst.write(src.read().lower())
        count += 1
print(f"prepared {count} files in {args.prepared_data}")
