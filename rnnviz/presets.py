"""Named RunConfigs: the models teachers start from, each with its source and the target it must reach."""

from __future__ import annotations

from dataclasses import dataclass

from rnnviz.config import CosineData, RunConfig


@dataclass(frozen=True)
class Preset:
    """A named config with where it comes from and what it should reach."""

    name: str
    config: RunConfig
    description: str
    source: str
    target: str


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("cosine-lstm", RunConfig(data=CosineData(), cell="lstm", units=32, epochs=20),
           "LSTM(32) predicting the next value of a cosine from the last 50",
           "the classic numpy 'RNN from scratch' sine/cosine tutorial (val RMSE 0.57)",
           "val RMSE <= 0.01 in under 30 s on a 2-core CPU"),
]}


def get(name: str) -> Preset:
    """The preset with this name.

    Raises:
        ValueError: naming the unknown preset and the known ones.
    """
    if name not in PRESETS:
        raise ValueError(f"`preset` must be one of {', '.join(PRESETS)}. Received: preset={name!r}")
    return PRESETS[name]
