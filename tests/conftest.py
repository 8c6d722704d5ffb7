"""Shared fixtures: an isolated run store, and tiny configs that train in about a second."""

import pytest

from rnnviz.config import CosineData, RunConfig


@pytest.fixture(autouse=True)
def rnnviz_home(tmp_path, monkeypatch):
    """Every test gets its own empty `$RNNVIZ_HOME` and Keras cache, no data folder, no downloads, and
    trainings on the Trainer's own threads."""
    home = tmp_path / "rnnviz_home"
    monkeypatch.setenv("RNNVIZ_HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    monkeypatch.delenv("RNNVIZ_RAY_ADDRESS", raising=False)  # tests that want a Ray cluster name their own
    monkeypatch.setenv("RNNVIZ_OFFLINE", "1")
    for name in ("RNNVIZ_TEACHER_KEY", "RNNVIZ_SESSION_QUEUE", "RNNVIZ_MAX_RUN_MINUTES", "RNNVIZ_TRAIN_WORKERS"):
        # no classroom unless asked
        monkeypatch.delenv(name, raising=False)
    # trainings in this process (tests monkeypatch loaders and spy on the trainer); tests of the training
    # processes (tests/test_executors.py) make a `ProcessExecutor` themselves
    monkeypatch.setenv("RNNVIZ_EXECUTOR", "thread")
    return home


def tiny(**changes) -> RunConfig:
    """A cosine config small enough to train in about a second."""
    base = RunConfig(data=CosineData(length=200, window=10), units=4, epochs=2, batch_size=16)
    return base.replace(**changes)


@pytest.fixture
def tiny_cfg() -> RunConfig:
    return tiny()


def set_sidebar(at, values: dict) -> None:
    """Sets sidebar sliders or number inputs by key (which kind a config field gets is the sidebar's business)."""
    widgets = {w.key: w for w in [*at.sidebar.slider, *at.sidebar.number_input]}
    for key, value in values.items():
        widgets[key].set_value(value)


# The inner loop (`pytest -m "not slow"`, under 3 minutes on 2 cores) leaves out the tests that train several
# models, start processes or walk every page: each took 1.4 s or more in `pytest --durations` on this 2-core
# machine (2026-11-26). They keep their place in the README's command and in CI. Tests marked `slow` in their
# own file (full-size fuzzing, the browser, Ray, process kills) are also marked `long`: CI's second pass (the
# JAX backend) leaves those out for time, `-m "not long"`.
SLOW = {
    "test_app.py": {
        "test_train_tiny_imdb_model_shows_accuracy_and_confusion",
    },
    "test_app_roles.py": {
        "test_a_student_does_not_see_clear_answers_and_the_teachers_link_unlocks_it",
    },
    "test_classroom.py": {
        "test_an_import_never_replaces_a_pinned_run",
    },
    "test_app_csv.py": {
        "test_upload_train_and_the_same_file_again_trains_nothing",
    },
    "test_csv_runs.py": {
        "test_cli_trains_on_a_csv_and_a_second_copy_trains_nothing",
    },
    "test_app_compare.py": {
        "test_import_refuses_a_bad_zip_and_accepts_a_good_one",
        "test_run_import_refuses_in_one_line_and_replaces_only_when_asked",
        "test_trio_trains_and_compares",
    },
    "test_app_inspect.py": {
        "test_bad_link_values_are_named_in_one_warning",
        "test_error_by_horizon_is_drawn_against_repeating_the_last_value",
        "test_inspect_links_reopen_the_same_view",
        "test_play_steps_the_epoch_slider_to_the_trained_model",
        "test_review_words_coloured_by_their_change_in_p_positive",
        "test_damaged_runs_are_one_line_notes_on_every_picker",
        "test_page_renders_with_labelled_charts",
        "test_unreadable_model_shows_the_fix",
    },
    "test_app_learn.py": {
        "test_controls_at_their_extremes",
    },
    "test_app_lesson.py": {
        "test_prepare_lesson_preflight_names_the_step_that_breaks",
        "test_a_second_session_shares_the_races_runs_and_figure_and_a_retrain_reads_them_again",
    },
    "test_text_runs.py": {
        "test_cli_trains_on_a_text_and_a_second_copy_trains_nothing",
        "test_cli_data_text_reads_the_raw_reviews_from_the_data_folder",
        "test_train_page_upload_stores_the_text_once_and_refuses_a_bad_one",
        "test_write_page_opens_a_text_run_and_finds_units",
        "test_train_page_shows_a_text_run_beside_its_ngram",
    },
    "test_app_lm.py": {
        "test_stored_language_model_shows_perplexity_beside_the_baseline",
    },
    "test_app_memory.py": {
        "test_compare_opens_on_the_memory_trio",
        "test_inspect_pages_mark_the_two_steps",
    },
    "test_backend.py": {
        "test_a_classifier_trains_and_is_scored_on_the_running_backend",
        "test_gradient_fn_matches_a_direct_gradient",
    },
    "test_cli.py": {
        "test_cut_short_model_is_trained_again_and_stray_folders_kept",
        "test_missing_data_exits_1_with_the_fixes",
        "test_train_imdb_from_a_data_folder",
        "test_train_json_then_cached",
    },
    "test_compare.py": {
        "test_gradient_over_time_against_a_direct_gradient_tape",
        "test_table_and_summary_from_stored_runs",
        "test_trio_reads_the_same_split_and_order_with_the_same_seed",
    },
    "test_executors.py": {
        "test_a_port_that_is_not_ray_falls_back_within_the_timeout",
        "test_cli_sweep_with_unreachable_address_says_so_once_and_trains_here",
        "test_cli_train_and_sweep_with_a_malformed_address_say_so_once_and_exit_0",
        "test_a_process_run_equals_a_thread_run",
    },
    "test_export.py": {
        "test_zip_round_trip_gives_the_same_predictions",
    },
    "test_inspection.py": {
        "test_model_at_epoch_sets_snapshot_weights_without_training",
    },
    "test_jobs.py": {
        "test_a_run_reaching_the_ceiling_on_training_time_stops_after_its_epoch_and_is_stored_as_stopped",
        "test_failure_is_a_state_with_a_reason",
        "test_queue_and_stop",
        "test_stored_batch_curve_is_what_the_live_events_carried",
        "test_train_then_cached",
        "test_two_workers_train_what_one_worker_trains",
    },
    "test_learn.py": {
        "test_gradient_norms_match_gradient_tape_through_keras",
    },
    "test_links.py": {
        "test_learn_link_reopens_the_same_view",
        "test_link_opens_at_each_end",
    },
    "test_lm.py": {
        "test_a_tiny_language_model_trains_and_scores_against_the_baseline",
    },
    "test_metrics.py": {
        "test_classify_loss_accuracy_and_confusion_against_keras",
    },
    "test_models.py": {
        "test_cifar_two_branch_model",
    },
    "test_probe.py": {
        "test_hidden_states_of_a_stored_run",
        "test_hidden_states_of_trained_stacked_model",
        "test_hidden_states_untrained_model_last_layer_without_sequences",
        "test_input_gradient_fn_is_reusable_across_batches",
        "test_input_gradients_of_embedding_model",
        "test_input_gradients_of_float_input_model",
        "test_input_gradients_with_a_conv_branch_beside_the_rnn",
        "test_masked_stacked_imdb_like_model_trained_and_reloaded",
    },
    "test_readout.py": {
        "test_readout_matches_keras_on_the_full_and_the_cut_image",
        "test_readout_of_a_masked_review_equals_the_model_on_the_cut_review",
    },
    "test_st_internals.py": {
        "test_streamlit_no_longer_clears_the_keras_session",
    },
    "test_store.py": {
        "test_a_damaged_run_is_trained_again_not_loaded",
        "test_concurrent_saves_of_one_run_never_fail",
        "test_partial_model_is_reported_and_retrained_never_cached",
        "test_retrain_replaces_atomically",
        "test_round_trip",
        "test_sigkill_while_saving_leaves_no_run_that_looks_complete",
        "test_sigkill_while_training_stores_nothing",
    },
    "test_style.py": {
        "test_every_figure_that_shows_cells_uses_the_same_colour_for_the_same_cell",
    },
    "test_sweep.py": {
        "test_cli_sweep_json_then_cached",
        "test_results_table_has_one_row_per_run_with_fields_and_metrics",
        "test_stop_all_stops_the_running_run_and_the_queued_ones",
    },
    "test_train.py": {
        "test_diverging_loss_is_reported",
        "test_events_and_history",
        "test_snapshots_hold_the_weights_of_their_epochs",
        "test_a_stop_flag_ends_training_after_the_batch_in_training",
        "test_stop_set_by_a_batch_event_ends_training_in_that_epoch",
    },
    "test_write.py": {
        "test_sampling_is_reproducible_and_greedy_at_zero",
        "test_write_page",
    },
}
SLOW_MODULES = {"test_fuzz.py"}  # its module fixture alone trains and seeds runs for a minute


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.long)
        module = item.path.name
        if module in SLOW_MODULES or item.originalname in SLOW.get(module, ()):
            item.add_marker(pytest.mark.slow)
