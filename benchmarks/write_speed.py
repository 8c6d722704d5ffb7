"""How long the Write page takes to write: `rnnviz.inspect.write.generate` (one token at a time, the recurrent
state carried) against the window re-read the page used before (the last `seq_len` tokens run through the
whole model for every new token), on the imdb-char-lm preset's model with its initial weights.

    python benchmarks/write_speed.py [--preset imdb-char-lm] [--tokens 400] [--repeats 3]

Prints seconds for each and their ratio (the goal: 400 characters in at most 3 s on a 2-core CPU). Untrained
weights write nonsense at the same speed as trained ones: speed depends on the shapes only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnviz.config import presets
from rnnviz.data import lm
from rnnviz.data import loaders as data
from rnnviz.inspect import write
from rnnviz.models import build_model


def windowed(model: keras.Model, length: int, seed: int = 0) -> list[int]:
    """The page's old way: every token re-reads the last `seq_len` tokens through the whole model."""
    seq_len, rng, text = int(model.inputs[0].shape[1]), np.random.default_rng(seed), [lm.START]
    for _ in range(length):
        window = text[-seq_len:]
        window = [lm.START] * (seq_len - len(window)) + window
        probs = keras.ops.convert_to_numpy(model(np.asarray([window], "int32"), training=False))[0, -1]
        text.append(write.sample(probs, 0.8, rng))
    return text[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="imdb-char-lm")
    ap.add_argument("--tokens", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cfg = presets.get(args.preset).config
    if cfg.data.level != "char":
        raise SystemExit("a character-level preset, please (the word level needs the IMDB word index)")
    keras.utils.set_random_seed(0)
    model = build_model(cfg, data.empty(cfg.data))
    write.generate(model, lm.char_tokens(), "", 5)  # warm-up: first calls build the ops
    windowed(model, 5)
    times = {"stepped (generate)": [], "window re-read": []}
    for _ in range(args.repeats):
        t = time.perf_counter()
        write.generate(model, lm.char_tokens(), "", args.tokens, temperature=0.8)
        times["stepped (generate)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        windowed(model, args.tokens)
        times["window re-read"].append(time.perf_counter() - t)
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"{args.preset}: {cfg.cell} {cfg.units} units, seq_len {cfg.data.seq_len}, {args.tokens} tokens, "
          f"median of {args.repeats} (Keras {keras.__version__}, {keras.backend.backend()})")
    for k, v in med.items():
        print(f"  {k:20s} {v:7.2f} s  ({1000 * v / args.tokens:.1f} ms per token)")
    print(f"  ratio window/stepped: {med['window re-read'] / med['stepped (generate)']:.1f}x")


if __name__ == "__main__":
    main()
