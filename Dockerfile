# The bot as a container: slim Python, a non-root user, dependencies from the lock file.
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY handlers ./handlers
COPY cards ./cards
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /app bot
WORKDIR /app
COPY --from=build /app /app
COPY config ./config
ENV PATH="/app/.venv/bin:$PATH" PORT=3978 BOT_CONFIG_DIR=/app/config LOG_FORMAT=json PYTHONUNBUFFERED=1
USER bot
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os,urllib.request,sys; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3978\")}/healthz', timeout=2).status == 200 else 1)"
CMD ["onboarding-bot", "serve"]
