"""``--engine spark`` on a machine where Spark cannot start: the command stops before anything runs (no build, no
chapter) and says what is missing and how to install it — ``pip install 'dbmkit[spark]'`` and a Java 17 runtime
(openjdk-17-jre-headless) — in the client's language. Runs without pyspark, sqlglot or Java: it takes them away."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dbmkit import cli
from dbmkit.sql import spark

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "small_client.yaml"
ZH = ROOT / "clients" / "demo_zh.yaml"


def _no_java(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))          # an empty folder: no java on PATH


def _run(argv, capsys) -> tuple[int, str, str]:
    rc = cli.main(argv)
    got = capsys.readouterr()
    return rc, got.out, got.err


@pytest.mark.parametrize("module", ["pyspark", "sqlglot"])
def test_a_missing_module_is_named_with_the_install_command(module, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, module, None)       # `import pyspark` raises ImportError
    assert spark.missing() == ("module", module)
    work, out = tmp_path / "work", tmp_path / "out"
    rc, stdout, err = _run(["report", str(SMALL), "--engine", "spark", "--workdir", str(work), "--out", str(out)],
                           capsys)
    assert rc == 2
    assert f"engine spark was asked for, but Spark cannot start here: {module} is not installed." in err
    assert "pip install 'dbmkit[spark]'" in err and "apt-get install openjdk-17-jre-headless" in err
    assert "engine: duckdb" in err and "Traceback" not in err
    assert not work.exists() and not out.exists()        # stopped before the build and the chapters
    assert "engine: Spark" not in stdout


def test_no_java_is_named_with_the_package_to_install(monkeypatch, tmp_path, capsys):
    _no_java(monkeypatch, tmp_path)
    assert spark.missing() == ("java", "")
    assert "openjdk-17-jre-headless" in spark.unavailable() and "pip install 'dbmkit[spark]'" in spark.unavailable()
    work = tmp_path / "work"
    rc, _, err = _run(["check", str(SMALL), "--engine", "spark", "--spark-master", "local[1]", "--workdir", str(work)],
                      capsys)
    assert rc == 1
    assert "no Java runtime found (no java on PATH, no JAVA_HOME)" in err
    assert "pip install 'dbmkit[spark]'" in err and "openjdk-17-jre-headless" in err
    assert not work.exists()                             # `check` says it before building the database


def test_the_message_is_chinese_for_a_chinese_client(monkeypatch, tmp_path, capsys):
    _no_java(monkeypatch, tmp_path)
    rc, _, err = _run(["check", str(ZH), "--engine", "spark", "--workdir", str(tmp_path / "work")], capsys)
    assert rc == 1
    assert "已指定 Spark 引擎，但此机器无法启动 Spark：找不到 Java 运行环境" in err
    assert "pip install 'dbmkit[spark]'" in err and "openjdk-17-jre-headless" in err
    assert "no Java runtime" not in err


def test_with_duckdb_nothing_about_spark_is_checked(monkeypatch, tmp_path, capsys):
    """engine duckdb (the default) never asks for Java or pyspark: the same machine runs the DuckDB engine."""
    _no_java(monkeypatch, tmp_path)
    from dbmkit.config import load_config
    assert cli._spark_ready(load_config(SMALL)) is True
    assert capsys.readouterr().err == ""
