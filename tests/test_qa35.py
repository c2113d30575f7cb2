"""Findings of QA round 55 (session 35) and items left from earlier rounds. Each test of a fix fails on the code
before it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("output", "report"), [
    ("o.csv.gz", "o.augment-report.json"),  # (was o.csv.augment-report.json)
    ("d/data.augmented.csv.zst", "d/data.augment-report.json"),
    ("d/data.augmented.CSV.GZ", "d/data.augment-report.json"),
])
def test_augment_report_of_a_compressed_output_is_named_after_its_stem(output, report):
    from dvclean.augment import report_path_for

    assert report_path_for(output).as_posix() == report


def test_augment_report_names_that_were_right_stay():
    from dvclean.augment import report_path_for

    assert report_path_for("data.augmented.parquet").name == "data.augment-report.json"
    assert report_path_for("plain").name == "plain.augment-report.json"
    assert report_path_for(".csv.gz").name == ".csv.augment-report.json"  # (a hidden file keeps its whole name)


def test_chart_names_that_differ_in_their_middle_stay_apart():
    from dvclean.report._render import _short, _short_names

    names = [f"customer_segment_{w}_region_A_long_tail" for w in ("north", "south", "east", "west")]
    assert len({_short(n) for n in names}) < 4  # (the plain cut shows some of them as one text)
    shown = _short_names(names + ["short", "y" * 60])
    assert len(set(shown)) == 6
    assert shown[4] == "short" and shown[5] == _short("y" * 60)  # names that did not clash keep the short cut
