"""The bot under benchmark: exactly ``onboarding-bot serve``.

Every setting comes from the environment the benchmark gives it (the fakes' URLs,
including ``BOTFRAMEWORK_TOKEN_URL`` for the Bot Connector token).
"""

from __future__ import annotations


def main() -> int:
    from bot import cli

    return cli.main(["serve"])


if __name__ == "__main__":
    raise SystemExit(main())
