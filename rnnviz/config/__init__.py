"""What a run is, before anything is built: its config, the checks of every field, the house vocabulary,
the named presets and the environment variables.

Lives here: `run` (`RunConfig`, the identity of a run), `kinds` (one dataclass per data kind), `checks`
(field checks with Keras-style messages), `vocab` (cell names, labels, gate keys, run labels), `presets`,
`env` (every environment variable, parsed once).

May import: nothing else of `rnnviz` and no framework: every other layer imports this one.
"""

from rnnviz.config.kinds import (DATA_KINDS, CifarData, CosineData, CsvData, ImdbData, MemoryData, TextData,
                                 TextFileData)
from rnnviz.config.run import RunConfig

__all__ = ["DATA_KINDS", "CifarData", "CosineData", "CsvData", "ImdbData", "MemoryData", "RunConfig", "TextData",
           "TextFileData"]
