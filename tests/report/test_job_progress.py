"""The main job's progress display."""

import io
import time

from rich.console import Console

from amu_causal.report.job import Stages


def test_long_steps_show_a_spinner_with_their_name_and_elapsed_time():
    buffer = io.StringIO()
    stages = Stages(console=Console(file=buffer, force_terminal=True, width=120))
    with stages.running("compiling the Bayesian model"):
        time.sleep(0.3)
    shown = buffer.getvalue()
    assert "compiling the Bayesian model" in shown
    assert "0:00:00" in shown  # the elapsed-time column


def test_quiet_shows_nothing():
    buffer = io.StringIO()
    stages = Stages(quiet=True, console=Console(file=buffer, force_terminal=True))
    with stages.running("compiling"):
        pass
    assert buffer.getvalue() == ""
