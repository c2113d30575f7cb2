"""QA round 56 (a security reviewer): an output link with `..` after a linked directory, another user's link in a
sticky directory, non-text codecs, and JSON nested beyond Python's recursion limit in a scores footer or checkpoint."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _data(path, flips: int = 0) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    y = np.where(x[:, 0] > 0, "a", "b")
    y[:flips] = np.where(y[:flips] == "a", "b", "a")
    path.write_text("x1,x2,y\n" + "".join(f"{u:.4f},{v:.4f},{c}\n" for (u, v), c in zip(x, y, strict=True)))


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", ["fix", "score"])
def test_an_output_link_through_a_linked_directory_and_dotdot_never_replaces_the_input(tmp_path, command):
    # out.csv -> sub/../d.csv with sub -> ../real/inner: the kernel writes real/d.csv; a textual normalization of the
    # link named w/d.csv, the input, which passed the input check and was replaced
    (tmp_path / "w").mkdir()
    (tmp_path / "real" / "inner").mkdir(parents=True)
    data = tmp_path / "w" / "d.csv"
    _data(data)
    before = _sha(data)
    (tmp_path / "w" / "sub").symlink_to("../real/inner")
    (tmp_path / "w" / "out.csv").symlink_to("sub/../d.csv")
    extra = ["--action", "mark"] if command == "fix" else []
    r = runner.invoke(app, [command, str(data), "-y", "y", "-o", str(tmp_path / "w" / "out.csv"), "-q", *extra])
    assert r.exit_code == 0, r.output
    assert _sha(data) == before
    assert (tmp_path / "real" / "d.csv").is_file()  # where the link points, as the kernel reads it
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["d.csv", "out.csv", "sub"]
    # a path (not a link) with `..` after a linked directory: written where the kernel puts it, no staging error
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "w" / "sub" / ".." / "p.csv"), "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "real" / "p.csv").is_file() and not (tmp_path / "w" / "p.csv").exists()
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "w" / "sub" / ".." / "d.csv"), "-q"])
    assert r.exit_code == 0 and _sha(data) == before  # (real/d.csv, not the input)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a link of another user needs root")
def test_another_users_link_in_a_sticky_directory_is_not_written_through(tmp_path):
    import pwd

    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user 'nobody' to own the link")
    data = tmp_path / "d.csv"
    _data(data)
    shared, victim = tmp_path / "shared", tmp_path / "victim.txt"
    shared.mkdir()
    shared.chmod(0o1777)
    victim.write_text("ORIGINAL\n")
    (shared / "out.csv").symlink_to(victim)
    os.lchown(shared / "out.csv", nobody, -1)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(shared / "out.csv"), "-q"])
    assert r.exit_code == 2 and "symbolic link of another user in a shared" in " ".join(r.stderr.split()), r.output
    assert victim.read_text() == "ORIGINAL\n"
    (shared / "mine.csv").symlink_to(victim)  # this user's own link is followed, as documented
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(shared / "mine.csv"), "-q"])
    assert r.exit_code == 0 and victim.read_text().startswith("row_id,"), r.output


@pytest.mark.parametrize("codec", ["rot13", "hex", "base64", "zlib_codec", "utf-8\x00"])
def test_a_codec_that_is_not_a_text_encoding_is_an_input_error(tmp_path, codec):
    data = tmp_path / "d.csv"
    _data(data)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "--encoding", codec, "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 2 and "(not a text encoding)" in r.stderr, r.output  # was exit 3, "internal error"


def test_json_nested_past_the_recursion_limit_in_a_footer_or_checkpoint_is_not_an_internal_error(tmp_path):
    import io
    import zipfile

    import pyarrow.parquet as pq

    data, scores = tmp_path / "d.csv", tmp_path / "s.parquet"
    _data(data)
    assert runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(scores), "-q"]).exit_code == 0
    table = pq.read_table(scores)
    meta = {k: v for k, v in pq.ParquetFile(scores).metadata.metadata.items() if k != b"ARROW:schema"}
    meta[b"dvclean"] = b"[" * 100_000
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "deep.parquet")
    r = runner.invoke(app, ["report", str(tmp_path / "deep.parquet"), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output  # (was exit 3: RecursionError)
    assert "metadata is not JSON" in (tmp_path / "r.html").read_text(encoding="utf-8")

    header = io.BytesIO()
    np.save(header, np.frombuffer(b"[" * 100_000, dtype=np.uint8))
    check = tmp_path / "deep.checkpoint"
    with zipfile.ZipFile(check, "w") as z:
        z.writestr("__header__.npy", header.getvalue())
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--checkpoint", str(check), "--resume",
                            "-o", str(tmp_path / "t.csv")])
    assert r.exit_code == 2 and "not a readable dvclean checkpoint" in " ".join(r.stderr.split()), r.output


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a file of another user needs root")
def test_another_users_config_file_in_a_world_writable_directory_is_not_read(tmp_path, caplog):
    import logging
    import pwd

    from dvclean.settings import find_config_files

    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user 'nobody' to own the file")
    shared = tmp_path / "shared"
    shared.mkdir()
    config = shared / "dvclean.toml"
    config.write_text("[check]\nexit-zero = true\n")
    data = shared / "d.csv"
    _data(data, flips=12)
    assert [cf.path for cf in find_config_files(data)] == [config]  # this user's file: read
    os.chown(config, nobody, -1)
    assert [cf.path for cf in find_config_files(data)] == [config]  # another user's, in a directory only they write
    shared.chmod(0o1777)  # (as /tmp): another user's file there applies to every run on data under it
    with caplog.at_level(logging.WARNING, logger="dvclean"):
        assert find_config_files(data) == []
    assert "not read: it is another user's file in a directory every user can write to" in caplog.text
    r = runner.invoke(app, ["check", str(data), "-y", "y", "--max-mislabeled", "0"])
    assert r.exit_code == 1, r.output  # its exit-zero = true would have passed the failing gate
    os.chown(config, 0, -1)  # root's file there is read (as the system's own)
    assert [cf.path for cf in find_config_files(data)] == [config]


def _exit_with_stderr_closed_early(args: list[str]) -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "dvclean", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "80"})
    assert proc.stderr is not None
    proc.stderr.read(1)  # (as `2>&1 | head -c 1`: the reader leaves after the first byte)
    proc.stderr.close()
    return proc.wait(timeout=120)


def test_a_usage_error_exits_2_when_its_message_cannot_be_written(tmp_path):
    # `dvclean check ... --max-mislabeld 2% 2>&1 | head -n 1` under pipefail exited 0 (rich exits 1 on a closed pipe,
    # and an exit 1 before any command ran was taken for --help cut short); with stderr on a full disk, 1
    import subprocess
    import sys

    data = tmp_path / "d.csv"
    _data(data)
    assert _exit_with_stderr_closed_early(["check", str(data), "-y", "y", "--max-mislabeld", "2%"]) == 2
    assert _exit_with_stderr_closed_early(["check", str(data), "-y", "nope"]) == 2
    if os.path.exists("/dev/full"):
        for args in (["check", str(data), "-y", "y", "--bogus"], ["check", str(data), "-y", "nope"]):
            with open("/dev/full", "w") as full:
                code = subprocess.run([sys.executable, "-m", "dvclean", *args], stdout=subprocess.DEVNULL, stderr=full,
                                      timeout=120).returncode
            assert code == 2, args


@pytest.mark.parametrize("command", ["score", "check", "fix", "report", "augment", "methods"])
def test_help_at_80_columns_shows_every_option_name_whole(command, monkeypatch):
    # `dvclean check --help` cut --max-mislabeled-per-class to "--max-mislabeled…" (typer's four name columns)
    monkeypatch.setenv("COLUMNS", "80")
    r = runner.invoke(app, [command, "--help"], terminal_width=80)
    assert r.exit_code == 0 and "…" not in r.output, r.output
    import typer.main

    sub = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    flat = " ".join(r.output.split())
    for param in (p for p in sub.params if not getattr(p, "hidden", False)):
        for name in (*param.opts, *param.secondary_opts):
            if name.startswith("--"):
                assert f"{name} " in flat or flat.endswith(name), (name, command)


def test_a_parquet_file_that_expands_past_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    # 350 KB of one dictionary-encoded text, 15 million rows, took 5.7 GB to read: no limit, as a .csv.gz has one
    import pyarrow as pa
    import pyarrow.parquet as pq

    import dvclean.io as dio
    from dvclean.errors import InputError
    from dvclean.io import read_frame

    n = 200_000
    texts = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array(["x" * 200]))
    pq.write_table(pa.table({"a": texts, "y": pa.array(np.arange(n) % 2)}), tmp_path / "b.parquet", compression="zstd")
    assert (tmp_path / "b.parquet").stat().st_size < 100_000
    monkeypatch.setattr(dio, "input_size_limit", lambda: 20 << 20)  # (200,000 x 216 bytes of text: 43 MB read)
    with pytest.raises(InputError, match=r"holds 200,000 rows in 2 columns, about [\d,]+ bytes once read, more than"):
        read_frame(str(tmp_path / "b.parquet"))
    monkeypatch.setattr(dio, "input_size_limit", lambda: 100 << 20)
    assert read_frame(str(tmp_path / "b.parquet"))[0].height == n
