"""The Streamlit adapter: the only part of `rnnviz` that imports streamlit.

Pages use it as `from rnnviz import ui` and call the names below; the parts live in `core` (trainer, store,
cached models and data, errors), `sidebar` (the config widgets and the config in the URL), `compare` (the
Compare page's helpers), `pickers` and `probes` (the Inspect pages' pickers; their cached models and probes),
`sweep`, `train`, `lesson`, `preflight` (`prepare-lesson`'s rehearsal of every step), `adding` (the adding
problem's notes, marks and "what did it look at?"), `uploads` (a user's CSV file or text), `links` (the URL as a link),
`roles` (the teacher and the students in classroom mode, and each session's id as the owner of its runs),
`player`, `projector` and `st_internals` (the Streamlit internals the app relies on, in one guarded place).

May import: everything in `rnnviz` except `rnnviz.cli`, and `streamlit` (nothing else in `rnnviz` may).
"""

from rnnviz.ui.compare import (compare_picker, gradients, import_run, run_zip, saturations,  # noqa: F401
                               tensorboard_note, trio)
from rnnviz.ui.core import (DATA_NAMES, classify, data_dir, data_problem, dataset, device_line,  # noqa: F401
                            forecast, keep, load_model, session, show_error, tokens, trainer, where)
from rnnviz.ui.pickers import (inspect_controls, inspect_run, pick_epoch, pick_layer, pick_sample,  # noqa: F401
                               show_sample)
from rnnviz.ui.probes import (Inspection, horizon_error, inspect_dataset, inspect_model, model_at,  # noqa: F401
                              probe_ids, probe_inputs, shown_shares, state_paths, state_pca, vocabulary)
from rnnviz.ui import links, roles, sweep  # noqa: F401  (pages use ui.links, ui.roles and ui.sweep)
from rnnviz.ui import adding as memory  # noqa: F401  (shareable links; the adding problem; the Sweep page)
from rnnviz.ui.sidebar import CELL_NAMES, config_sidebar, seed_note, set_widgets  # noqa: F401
