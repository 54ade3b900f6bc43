"""The run log: printed by verbosity, always written with the time."""
from __future__ import annotations

import re

from dbmkit.report.runlog import RunLog


def test_verbosity_decides_what_is_printed_and_the_file_gets_everything(tmp_path, capsys):
    for verbosity, printed in ((0, []), (1, ["[dbmkit] step"]), (2, ["[dbmkit] step", "[dbmkit] detail"])):
        log = RunLog(tmp_path / f"run{verbosity}.log", verbosity)
        log.say("step")
        log.say("detail", level=2)
        assert capsys.readouterr().out.splitlines() == printed
        lines = (tmp_path / f"run{verbosity}.log").read_text(encoding="utf-8").splitlines()
        assert [x[21:] for x in lines] == ["step", "detail"]
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  .*", x) for x in lines)


def test_a_new_run_starts_a_new_log_and_multiline_messages_keep_their_time(tmp_path):
    p = tmp_path / "report.log"
    RunLog(p, 0).say("old run")
    log = RunLog(p, 0)
    log.say("first\nsecond")
    assert [x[21:] for x in p.read_text(encoding="utf-8").splitlines()] == ["first", "second"]
    RunLog(None, 0).say("no file: nothing written, nothing printed")
