"""The bot under benchmark: exactly ``onboarding-bot serve``.

Every setting comes from the environment the benchmark gives it (the fakes' URLs,
including ``BOTFRAMEWORK_TOKEN_URL`` for the Bot Connector token), except where the
embedded store saves its state on a stop: a fresh folder for every start, so no round
starts with what an earlier one left (it would be read at start-up and cost time and memory).
"""

from __future__ import annotations


def main() -> int:
    import os
    import tempfile

    from bot import cli

    os.environ["STATE_DIR"] = tempfile.mkdtemp(prefix="bench-state-")
    return cli.main(["serve"])


if __name__ == "__main__":
    raise SystemExit(main())
