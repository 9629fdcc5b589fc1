"""Example entry script: the same init()/run()/shutdown() contract as on Azure ML."""
import argparse
import os

MIN_LENGTH = 1
LABEL = ""


def init():
    global MIN_LENGTH, LABEL
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--min_word_length", type=int, default=1)
    args, _ = parser.parse_known_args()  # PRS flags such as --error_threshold are in sys.argv too
    MIN_LENGTH = args.min_word_length
    LABEL = os.environ.get("WORD_COUNT_LABEL", "words")
    print(f"init: counting {LABEL} of at least {MIN_LENGTH} letters")


def run(mini_batch):
    results = []
    for path in mini_batch:
        with open(path, encoding="utf-8") as f:
            words = [w for w in f.read().split() if len(w) >= MIN_LENGTH]
        results.append(f"{os.path.basename(path)}: {len(words)} {LABEL}")
    return results


def shutdown():
    print("shutdown: done")
