"""The console, driven as a person would: lines on stdin (and a terminal for Ctrl-C and
Ctrl-D), assertions on what it prints."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import pytest

from bot.app import utc_now
from bot.config import load_catalog
from bot.console import run_console
from bot.settings import Settings
from bot.stores.memory import MemoryStore
from tests.conftest import ROOT

CLI = [sys.executable, "-m", "bot.cli"]
MEMBER = "iris.onboarding@example.com"
ESCALATE = "escalate\nBadge does not open\n5\n\nTwo engineers could not enter the IBX.\n"


def console(stdin: str, *args: str) -> str:
    """What the console prints for ``stdin``, with ``--user``/``--account``/``--lang``
    ``args``: ``run_console`` as ``./dev console`` runs it, on the embedded store and the
    demo config, in this process (a process costs a second of start-up per test; the
    process itself, its arguments and its exit are tested in tests/bot/test_cli.py, and
    Ctrl-C and Ctrl-D below in a terminal). An exception fails the test as a traceback
    would."""
    options = dict(zip(args[::2], args[1::2], strict=True))
    settings = Settings.from_env({"BOT_CONFIG_DIR": str(ROOT / "config")})
    out = io.StringIO()
    asyncio.run(run_console(settings, load_catalog(settings.config_dir), utc_now, options.get("--account", "acme-logistics"),
                            options.get("--user", "you@example.com"), options.get("--lang"), store=MemoryStore(),
                            read_line=io.StringIO(stdin).readline, out=out))
    return out.getvalue()


def answers(out: str) -> list[str]:
    """What followed each prompt: the console's answer to each line typed (the last
    prompt, answered by the end of input, is left out)."""
    parts = out.split("\n> ")[1:]
    return parts[:-1] if parts and not parts[-1].strip() else parts


def test_a_member_sees_the_team_card_and_acts_by_button_and_by_reference():
    out = console(ESCALATE + "1\nassign ESC-000001\nresolve ESC-000001 the badge works again\ninbox\n", "--user", MEMBER)
    after_submit = out.split("Sent to the onboarding team · ESC-000001", 1)[1]
    team_card = after_submit.split("In the onboarding team's channel, this escalation now shows:", 1)[1]
    assert "ESC-000001 · Badge does not open" in team_card and "State         Open, waiting for the team" in team_card
    assert "[1] Acknowledge\n[2] Assign to me\n[3] Resolve" in team_card
    ack, assign, resolve, inbox = answers(out)[-4:]
    assert "Being handled" in ack and "Iris Onboarding acknowledged it" in ack and "[1] Assign to me" in ack
    assert "Handled by    Iris Onboarding" in assign
    assert "ESC-000001 is resolved" in resolve and "Note: the badge works again" in resolve and "[1] Reopen" in resolve
    assert "No open requests" in inbox


def test_a_member_starts_with_the_open_escalations_and_can_resolve_through_the_note_form():
    out = console(ESCALATE + "inbox\nresolve 1\nall good now\n", "--user", MEMBER)
    inbox = answers(out)[-2]
    assert "Open requests (1)" in inbox and "ESC-000001 · Badge does not open" in inbox and "[1] Acknowledge" in inbox
    assert "Resolution note" in answers(out)[-1] and "ESC-000001 is resolved" in answers(out)[-1]


def test_a_customer_cannot_act_on_escalations():
    out = console(ESCALATE + "ack ESC-000001\nassign 3 new racks to us\n")
    refused, question = answers(out)[-2:]
    assert "Only members of the onboarding team can do that." in refused
    assert "Only members" not in question and "Sanne de Vries" in question  # new racks: the Account Manager
    assert "In the onboarding team's channel" not in out  # a customer does not see the team's card


def test_a_form_can_be_cancelled_and_nothing_is_sent():
    out = console("escalate\nBadge does not open\ncancel\nstatus\n")
    assert "Type cancel to close the form" in out
    assert "The form is closed; nothing was sent." in out
    assert "There are no requests from this account yet." in answers(out)[-1]


def test_a_number_that_is_no_button_and_a_bare_why_get_help_not_a_routing_guess():
    out = console("team\n9\nwhy\nwho handles our invoices?\nwhy\n")
    no_button, why_alone, _, why_last = answers(out)[1:5]
    assert "There is no button 9 here: the buttons under the last card are numbered 1 to 3." in no_button
    assert "Type why followed by a question" in why_alone
    assert "-> invoices" in why_last  # explains the last question asked
    assert "not sure" not in no_button + why_alone


def test_no_markdown_or_backticks_show():
    out = console("help\nteam\ngsd\necp\nlang\nstatus\nwho handles invoices?\nlang fr\nhelp\nteam\n")
    assert "`" not in out and "**" not in out and "](" not in out
    for args in ([], ["console"], ["check-config"], ["manifest"], ["serve"]):
        helped = subprocess.run([*CLI, *args, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert helped.returncode == 0 and "`" not in helped.stdout and "**" not in helped.stdout, helped.stdout


def _terminal(*args: str) -> tuple[int, int]:
    """The console in a pseudo-terminal, as a person runs it: (pid, terminal fd)."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "bot.cli", "console", *args])
    return pid, fd


def _read_until(fd: int, needle: bytes, timeout: float = 15.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def _exit_within(pid: int, fd: int, seconds: float) -> tuple[int | None, bytes]:
    deadline = time.monotonic() + seconds
    rest = b""
    while time.monotonic() < deadline:
        rest += _read_until(fd, b"\x00", timeout=0.05)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, rest
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None, rest


@pytest.mark.parametrize(("key", "while_"), [(b"\x03", "prompt"), (b"\x04", "prompt"), (b"\x03", "form"), (b"\x04", "form")],
                         ids=["ctrl-c", "ctrl-d", "ctrl-c-in-a-form", "ctrl-d-in-a-form"])
def test_ctrl_c_and_ctrl_d_quit_at_once_without_a_traceback(key, while_):
    pid, fd = _terminal()
    try:
        _read_until(fd, b"\n> ")
        if while_ == "form":
            os.write(fd, b"escalate\n")
            _read_until(fd, b"Subject")
        os.write(fd, key)
        status, rest = _exit_within(pid, fd, 3.0)
    finally:
        os.close(fd)
    assert status is not None, "the console did not quit within 3 s"
    assert b"Traceback" not in rest and b"KeyboardInterrupt" not in rest, rest.decode(errors="replace")
