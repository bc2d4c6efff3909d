"""The ``front-kernels`` command: subcommands exist and the bench prints its table."""
import pytest

from front_kernels import cli


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("demo", "transfer", "inspect", "bench"):
        assert name in out


def test_bench_prints_ratios_against_installed_peers(capsys):
    assert cli.main(["bench", "--sizes", "64", "--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line[:32].strip(): line.split() for line in lines[2:]}
    assert rows["dctn ortho"][-3] == "scipy.fft"
    assert float(rows["dctn ortho"][-1]) > 0
    assert "wavedec2 db4 periodization L3" in rows


def test_unknown_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["frobnicate"])
    assert exc.value.code == 2
