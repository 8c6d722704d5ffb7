"""Making a trained IMDB language model write: sampling with a temperature, the top next tokens at each
step, one unit's activation per generated token (the char-rnn "neuron" view), and units ranked by how well
they follow something countable in the text. No Streamlit here.

Writing steps the network one token at a time, as char-rnn does: each recurrent layer's Keras cell is called on
the new token with the states it left, and the layers after the recurrent ones (the head) turn the last state
into the next token's probabilities. That is the computation the model does at every position of a window
(the tests check it against the model's own outputs), without re-reading a window per token; the state carries
on beyond `seq_len` tokens, where the trained windows stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np

from rnnviz.data import lm
from rnnviz import probe

MAX_TEMPERATURE = 5.0
TOP = 5


@dataclass
class Writing:
    """What `generate` wrote.

    Attributes:
        prompt: the prompt's ids (after the start token), `dropped`: the prompt's words or characters that are
        not in the vocabulary (left out), `ids`: the generated ids, `top`: per generated token the `TOP` most
        likely tokens and their probabilities, `states`: the first recurrent layer's state after each generated
        token `(len(ids), units)`, `temperature`: the one used, `note`: why it differs from the one asked for.
    """

    prompt: np.ndarray
    dropped: list[str]
    ids: list[int] = field(default_factory=list)
    top: list[list[tuple[str, float]]] = field(default_factory=list)
    states: np.ndarray | None = None
    temperature: float = 1.0
    note: str = ""


def clamp_temperature(value: float) -> tuple[float, str]:
    """`value` limited to [0, `MAX_TEMPERATURE`], and a note when it was changed ("" otherwise)."""
    t = float(value)
    if not np.isfinite(t) or t < 0 or t > MAX_TEMPERATURE:
        kept = 0.0 if not np.isfinite(t) or t < 0 else MAX_TEMPERATURE
        return kept, f"Temperature {value!r} is outside [0, {MAX_TEMPERATURE:g}]: {kept:g} was used."
    return t, ""


def sample(probs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """The next id: the most likely one at temperature 0, else a draw from `probs ** (1 / T)`, renormalised."""
    p = np.asarray(probs, np.float64)
    if temperature == 0:
        return int(np.argmax(p))
    logits = np.log(np.maximum(p, 1e-30)) / temperature
    q = np.exp(logits - logits.max())
    return int(rng.choice(len(q), p=q / q.sum()))


class Stepper:
    """A language model run one token at a time: its embedding, its recurrent layers' cells with their states,
    and the layers after them, as one network stepped by `step`.

    Args:
        model: a stored language model (`StoredRun.load_model()`): ids -> Embedding -> recurrent layers
            (one direction, returning sequences) -> Dense layers applied at every step.
    """

    def __init__(self, model: keras.Model):
        self.rnns = probe.recurrent_layers(model)
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        first, last = layers.index(self.rnns[0]), layers.index(self.rnns[-1])
        self.before, self.after = layers[:first], layers[last + 1:]
        self.states = [list(_as_list(rnn.cell.get_initial_state(batch_size=1))) for rnn in self.rnns]

    def step(self, token: int) -> tuple[np.ndarray, np.ndarray]:
        """Reads one token.

        Returns:
            The first recurrent layer's state after it `(units,)` and the next token's probabilities `(vocab,)`.
        """
        x = np.asarray([token], "int32")  # (1,)
        for layer in self.before:
            x = layer(x, training=False)  # the embedding: (1, embedding_dim)
        first = None
        for k, rnn in enumerate(self.rnns):
            x, states = rnn.cell(x, self.states[k], training=False)  # (1, units)
            self.states[k] = list(_as_list(states))
            first = x if first is None else first
        for layer in self.after:
            x = layer(x, training=False)
        return keras.ops.convert_to_numpy(first)[0], keras.ops.convert_to_numpy(x)[0]


def _as_list(states) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]


def generate(model: keras.Model, tokens: lm.Tokens, prompt: str, length: int, temperature: float = 1.0,
             seed: int = 0, on_token=None) -> Writing:
    """Writes `length` tokens after `prompt` (an empty prompt starts from the start token alone).

    Args:
        model: a stored language model (`StoredRun.load_model()`), input `(seq_len,)` ids.
        tokens: its vocabulary (`lm.tokens_for`).
        prompt: typed text; words or characters outside the vocabulary are dropped (and listed).
        length: tokens to write (1-2000).
        temperature: 0 = always the most likely token; clamped to [0, 5] with a note.
        seed: seeds the sampling: the same seed, prompt and model write the same text.
        on_token: called with the `Writing` so far after each token (to show the text as it is written).

    Returns:
        A `Writing`: `top[i]` is the distribution token `i` was drawn from, `states[i]` the first recurrent
        layer's state after reading token `i`.
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not 1 <= length <= 2000:
        raise ValueError(f"`length` must be an int from 1 to 2000. Received: length={length!r}")
    t, note = clamp_temperature(temperature)
    ids, dropped = tokens.encode(prompt)
    out = Writing(prompt=ids, dropped=dropped, temperature=t, note=note)
    rng = np.random.default_rng(seed)
    net = Stepper(model)
    for token in [lm.START, *ids.tolist()]:
        _, probs = net.step(token)
    states = []
    for _ in range(length):
        best = np.argsort(probs)[::-1][:TOP]
        out.top.append([(tokens.symbols[k], float(probs[k])) for k in best])
        nxt = sample(probs, t, rng)
        out.ids.append(nxt)
        h, probs = net.step(nxt)
        states.append(h)
        out.states = np.asarray(states)  # (tokens so far, units)
        if on_token is not None:
            on_token(out)
    return out


def features(tokens: lm.Tokens, ids: list[int], before: list[int] | None = None) -> dict[str, np.ndarray]:
    """Things a unit may count, per token: position in the word (characters since the last space; word level:
    0), position in the review (tokens since the start token), and whether the token ends a word. A raw text
    (`tokens.raw`: case and punctuation kept) has more to count: see `text_features`.

    Args:
        tokens: the vocabulary.
        ids: the tokens, in the order they were read.
        before: the tokens read before them (the start token and the prompt), which set where a quote, a
            parenthesis or a sentence stands at the first of `ids` (raw texts only).
    """
    if tokens.raw:
        return text_features(tokens, ids, before)
    pos_word, pos_review, word_end = [], [], []
    w = r = 0
    sym = tokens.decode(ids)
    for k, s in zip(ids, sym):
        r = 0 if k == lm.START else r + 1
        w = 0 if (tokens.level == "word" or s == " " or k == lm.START) else w + 1
        pos_word.append(w)
        pos_review.append(r)
        word_end.append(float(tokens.level == "word" or s == " "))
    return {"position in the word": np.asarray(pos_word, float),
            "position in the review": np.asarray(pos_review, float),
            "a space (word boundary)": np.asarray(word_end)}


def find_units(states: np.ndarray, feats: dict[str, np.ndarray], top: int = 5) -> list[dict]:
    """Units ranked by how well their activation follows each feature (|Pearson r| over the tokens).

    Args:
        states: `(tokens, units)` activations.
        feats: name -> `(tokens,)` values (`features`).
        top: units kept per feature.

    Returns:
        Rows `feature`, `unit` (0-based), `r`, best first within each feature; features that do not vary
        are left out.
    """
    h = np.asarray(states, np.float64)
    rows = []
    for name, f in feats.items():
        f = np.asarray(f, np.float64)
        if len(f) < 3 or f.std() == 0:
            continue
        hc, fc = h - h.mean(0), f - f.mean()
        denom = np.sqrt((hc**2).sum(0) * (fc**2).sum())
        r = np.where(denom > 0, hc.T @ fc / np.where(denom > 0, denom, 1.0), 0.0)  # (units,)
        for u in np.argsort(-np.abs(r))[:top]:
            rows.append({"feature": name, "unit": int(u), "r": float(r[u])})
    return rows


SENTENCE_ENDS = frozenset(".!?")
QUOTES = {'"': 0, "\u201c": 1, "\u201d": -1}  # a straight quote toggles; curly ones open (+1) or close (-1)


def text_features(tokens: lm.Tokens, ids: list[int], before: list[int] | None = None) -> dict[str, np.ndarray]:
    """What a unit may count in a raw text, per token of `ids`, after reading it (`before` read first):

    - inside quotes: 1 from an opening quote mark to the closing one (the opening mark 1, the closing mark 0);
    - inside parentheses: 1 while more "(" than ")" have been read (the "(" 1, its ")" 0);
    - position in the word: 1, 2, ... for the letters and digits of a word (character level), 0 elsewhere;
    - position in the sentence: tokens since the last ".", "!" or "?" (that mark 0) or the start token (0);
    - after a line break: 1 for the token read right after a line break;
    - position in the document: tokens since the start token;
    - a space (word boundary): 1 for a space or a line break (character level; word level: always 1).

    A start token begins a new document: quotes and parentheses close there. Returns name -> float `(len(ids),)`.
    """
    head = list(before or [])
    every = [*head, *ids]
    symbols = tokens.decode(every)
    names = ("inside quotes", "inside parentheses", "position in the word", "position in the sentence",
             "after a line break", "position in the document", "a space (word boundary)")
    rows = np.zeros((len(every), len(names)))
    quote = paren = word = sentence = doc = 0
    previous = ""
    for t, (k, s) in enumerate(zip(every, symbols)):
        if int(k) == lm.START:
            quote = paren = word = sentence = doc = 0
        else:
            doc += 1
            if s in QUOTES:
                quote = (1 - quote) if QUOTES[s] == 0 else int(QUOTES[s] > 0)
            paren = paren + (s == "(") - (s == ")" and paren > 0)
            word = word + 1 if (s.isalnum() and tokens.level == "char") else 0
            sentence = 0 if s in SENTENCE_ENDS else sentence + 1
        boundary = tokens.level == "word" or s in (" ", "\n")
        rows[t] = (quote, paren > 0, word, sentence, previous == "\n", doc, boundary)
        previous = s
    return {name: rows[len(head):, j] for j, name in enumerate(names)}
