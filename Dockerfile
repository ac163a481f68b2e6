# syntax=docker/dockerfile:1
# The bot as a container: slim Python, dependencies from the lock file, a non-root user.
#   docker build -t am11-onboarding-bot .
# tests/deploy/test_image_steps.py runs this file's `uv` steps outside Docker (they
# are read from here) and starts the bot from the result as a non-root user.
FROM python:3.11-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, in their own layer: code changes do not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable --no-install-project
COPY bot ./bot
COPY handlers ./handlers
COPY cards ./cards
# The project itself as a wheel (not editable): the runtime image needs no source tree.
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 bot && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home bot
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY config ./config
# Where the embedded store (no REDIS_URL) saves its state on a graceful stop: mount a volume
# there to keep it across containers.
RUN mkdir -p /app/state && chown 10001:10001 /app/state
ENV PATH="/app/.venv/bin:$PATH" PORT=3978 BOT_CONFIG_DIR=/app/config STATE_DIR=/app/state LOG_FORMAT=json PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=2)"]
CMD ["onboarding-bot", "serve"]
