"""The `csv` data kind (issue 24, item 1): reading a user's CSV file (separators, byte-order mark, Latin-1, missing
values, text columns, a time column's gaps and duplicates), the split by time and the scaling fitted on the
training part only, the persistence and seasonal-naive baselines against a hand computation, and the dataset
store that keeps run ids stable across uploads of the same file."""

import numpy as np
import pytest

from rnnviz.config import CsvData, RunConfig
from rnnviz.data import loaders, tables, timeseries, userdata


def _csv(rows, header="t,y", sep=",") -> bytes:
    return (header.replace(",", sep) + "\n" + "\n".join(sep.join(str(v) for v in r) for r in rows) + "\n").encode()


SERIES = [(i, float(v)) for i, v in enumerate([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4])]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_sniffed(sep):
    table = tables.read_table(_csv(SERIES, sep=sep))
    assert table.numeric == ["t", "y"] and len(table.frame) == 20


def test_utf8_with_and_without_bom_and_latin1_read_the_same():
    text = "Température;Débit\n1;2,5\n2;3,5\n3;4\n"  # a decimal comma, as a French spreadsheet writes it
    for blob, encoding in ((text.encode("utf-8"), "utf-8"), (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8"),
                           (text.encode("latin-1"), "latin-1")):
        table = tables.read_table(blob)
        assert table.encoding == encoding and table.numeric == ["Température", "Débit"]
        assert table.frame["Débit"].tolist() == [2.5, 3.5, 4.0]


def test_a_single_column_file_reads():
    assert tables.read_table(b"y\n1\n2\n3\n").numeric == ["y"]


@pytest.mark.parametrize("blob, says", [
    (b"", "is empty"), (b"  \n", "is empty"), (b"t,y\n", "header but no rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "not a text file"),
    (b"name,city\nann,paris\nbob,rome\n", "no column of numbers"),
    (("," * 2000 + "\n1\n").encode(), "more than 1,000 columns"),
])
def test_bad_files_are_refused_in_one_line(blob, says):
    with pytest.raises(tables.CsvError, match=says) as e:
        tables.read_table(blob, "f.csv")
    assert "\n" not in str(e.value) and "f.csv" in str(e.value)


def test_text_columns_are_listed_and_left_out():
    table = tables.read_table(b"day,label,y,empty\nmon,a,1,\ntue,b,2,\nwed,c,3,\n")
    assert table.numeric == ["y"] and set(table.other) == {"day", "label", "empty"}
    assert table.other["label"].startswith("text") and table.other["empty"] == "empty"
    series = tables.pick(table, "y")
    assert any("left out" in n and "'label'" in n for n in series.notes)
    with pytest.raises(tables.CsvError, match=r"column 'label' \(target\) is not numbers"):
        tables.pick(table, "label")
    with pytest.raises(tables.CsvError, match=r"no column 'nope' \(input\)"):
        tables.pick(table, "y", ("nope",))


def test_missing_values_are_refused_with_count_and_line_or_interpolated():
    blob = b"t,y,x\n0,1,5\n1,,6\n2,3,\n3,,8\n4,5,9\n"
    table = tables.read_table(blob)
    with pytest.raises(tables.CsvError, match=r"3 missing values \(2 in 'y', 1 in 'x'; the first on line 3\).*"
                                              r"fill=interpolate"):
        tables.pick(table, "y", ("x",))
    series = tables.pick(table, "y", ("x",), fill="interpolate")
    np.testing.assert_allclose(series.values, [[1, 5], [2, 6], [3, 7], [4, 8], [5, 9]])
    assert any("3 missing values interpolated" in n for n in series.notes)
    with pytest.raises(tables.CsvError, match=r"column 'z' \(input\) has no values \(every cell is blank or NA\)"):
        tables.pick(tables.read_table(b"t,y,z\n0,1,\n1,2,\n2,3,\n"), "y", ("z",), fill="interpolate")


def test_time_column_sorts_and_reports_gaps_and_duplicates():
    blob = (b"date,y\n2024-01-03,3\n2024-01-01,1\n2024-01-02,2\n2024-01-02,2.5\n2024-01-04,4\n"
            b"2024-01-08,8\n2024-01-09,9\n")
    series = tables.pick(tables.read_table(blob), "y", time="date")
    assert series.values[:, 0].tolist() == [1, 2, 2.5, 3, 4, 8, 9]  # sorted, stable for the duplicate
    notes = " | ".join(series.notes)
    assert "1 duplicate times in 'date' (the first: 2024-01-02)" in notes
    assert "1 gaps in 'date' longer than the usual step of 1 days" in notes and "after 2024-01-04" in notes
    assert "rows sorted by 'date'" in notes and "left out" not in notes  # the time column is no loss
    numeric = tables.pick(tables.read_table(b"year,y\n2001,1\n2000,0\n2004,4\n2002,2\n2003,3\n"), "y", time="year")
    assert numeric.values[:, 0].tolist() == [0, 1, 2, 3, 4] and not any("gaps" in n for n in numeric.notes)
    with pytest.raises(tables.CsvError, match=r"'date' \(time\) has 1 values that are not dates.*line 3"):
        tables.pick(tables.read_table(b"date,y\n2024-01-01,1\nsoon,2\n2024-01-03,3\n"), "y", time="date")


def test_split_by_time_and_scaling_on_the_training_part_only():
    values = np.arange(100, dtype="float64")[:, None] ** 1.5  # rising: later rows differ from earlier ones
    opts = CsvData(target="y", window=5, horizon=2, val_fraction=0.2, period=3)
    d = timeseries.prepare(opts, _csv([(i, v) for i, v in enumerate(values[:, 0])]))
    split = 80
    mean, std = values[:split, 0].mean(), values[:split, 0].std()
    assert d["extra"]["val_start"] == split and d["extra"]["scale"] == pytest.approx((mean, std))
    np.testing.assert_allclose(d["x_train"][:, :, 0] * std + mean, [values[k:k + 5, 0] for k in range(74)],
                               rtol=1e-5, atol=1e-4)
    targets = d["y_train"] * std + mean  # every training target lies before the split
    assert targets.max() == pytest.approx(values[split - 1, 0], rel=1e-5)
    np.testing.assert_allclose(d["y_val"][:, 0] * std + mean, values[split:split + len(d["y_val"]), 0], rtol=1e-5)
    assert len(d["y_val"]) == 20 - 2 + 1  # validation windows read the training span's end as input only


def test_baselines_against_a_hand_computation():
    y = [10, 12, 14, 11, 13, 15, 12, 14, 16, 13]  # period 3, rising by 1 each season
    opts = CsvData(target="y", window=2, horizon=2, val_fraction=0.4, period=3)
    extra = timeseries.prepare(opts, _csv(list(enumerate(y))))["extra"]
    # split = 10 - 4 = 6; windows k = 0..2 predict rows (6, 7), (7, 8), (8, 9)
    true = np.array([[12, 14], [14, 16], [16, 13]], float)
    persistence = np.array([[15, 15], [12, 12], [14, 14]], float)  # rows 5, 6, 7
    seasonal = np.array([[y[3], y[4]], [y[4], y[5]], [y[5], y[6]]], float)  # 3 rows back (h <= 3)
    assert extra["persistence_rmse"] == pytest.approx(np.sqrt(np.mean((persistence - true) ** 2)))
    assert extra["persistence_mae"] == pytest.approx(np.mean(np.abs(persistence - true)))
    assert extra["seasonal_rmse"] == pytest.approx(np.sqrt(np.mean((seasonal - true) ** 2)))
    assert extra["seasonal_rmse"] == pytest.approx(1.0) and extra["period"] == 3 and not extra["period_estimated"]


def test_seasonal_beyond_one_period_goes_back_whole_seasons():
    series = np.arange(20.0)
    index = np.array([[10, 11, 12, 13, 14]])  # h = 1..5 after row 9, period 2
    assert timeseries.seasonal(series, index, 2).tolist() == [[8, 9, 8, 9, 8]]


def test_the_period_is_estimated_from_the_autocorrelation():
    t = np.arange(600)
    rng = np.random.default_rng(0)
    assert timeseries.estimate_period(np.sin(2 * np.pi * t / 25) + 0.1 * rng.normal(size=600)) == 25
    assert timeseries.estimate_period(np.arange(50.0)) == 1  # a trend: no season (never negative in range)


def test_a_series_shorter_than_the_window_is_refused():
    with pytest.raises(tables.CsvError, match="12 rows: too short for window=24"):
        timeseries.prepare(CsvData(), _csv(SERIES[:12]), "short.csv")


def test_extra_inputs_become_features():
    rows = [(i, i % 7, 2 * i) for i in range(60)]
    d = timeseries.prepare(CsvData(target="y", inputs="x", window=6), _csv(rows, header="t,y,x"))
    assert d["x_train"].shape[1:] == (6, 2) and d["extra"]["inputs"].shape == (60, 2)
    assert CsvData(inputs="x+z").shape().inputs == (24, 3)


def test_store_keeps_one_copy_per_content_and_run_ids_stay(rnnviz_home):
    blob = _csv(SERIES)
    name = userdata.put(blob, "csv")
    assert userdata.put(blob, "csv") == name and len(list((rnnviz_home / "datasets").iterdir())) == 1
    cfg = RunConfig(data=CsvData(file=name, target="y", time="t", window=4))
    again = RunConfig(data=CsvData(file=userdata.digest(bytes(blob)), target="y", time="t", window=4))
    assert cfg.run_id == again.run_id and RunConfig.from_dict(cfg.to_dict()).run_id == cfg.run_id
    ds = loaders.load(cfg.data)
    assert ds.x_train.shape[1:] == (4, 1) and "persistence_rmse" in ds.extra
    (rnnviz_home / "datasets" / f"{name}.csv").unlink()
    with pytest.raises(userdata.DatasetMissing, match=f"CSV file {name} of this run is not on this server"):
        loaders.load(cfg.data)


def test_config_checks_names_and_hashes():
    with pytest.raises(ValueError, match="`file` must be 16 hex digits"):
        CsvData(file="../../etc/passwd")
    with pytest.raises(ValueError, match="`target` must be a column name"):
        CsvData(target="a+b")
    assert CsvData(inputs="a+b c").input_columns == ("a", "b c")
    with pytest.raises(ValueError, match="`inputs` must be column names joined"):
        CsvData(inputs="a++b")
