"""``ingest --engine``: the option's errors, without Ray installed (the default suite)."""

from __future__ import annotations

import sys

import pytest

from linernotes.ui.cli import main


def test_ray_address_without_the_ray_engine_is_refused(tmp_path, capsys):
    (tmp_path / "audio").mkdir()
    code = main(["ingest", str(tmp_path / "audio"), "--ray-address", "127.0.0.1:6379"])
    assert code == 2
    assert "--ray-address needs --engine ray" in capsys.readouterr().err


def test_missing_ray_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "a.wav").write_bytes(b"RIFF")
    code = main(["ingest", str(tmp_path / "audio"), "--engine", "ray", "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--engine ray needs Ray" in err and "linernotes[ray]" in err


@pytest.mark.parametrize("engine", ["spark", ""])
def test_unknown_engine_is_an_argument_error(engine, tmp_path, capsys):
    try:
        code = main(["ingest", str(tmp_path), "--engine", engine])
    except SystemExit as exit_:  # argparse's own exit, where the CLI does not catch it
        code = exit_.code
    assert code == 2
    assert f"invalid choice: {engine!r}" in capsys.readouterr().err
