"""The bot's Grafana dashboard, built as code; writes ``onboarding-bot.json`` beside itself.

Run it after changing a panel and commit both files: the test suite builds the dashboard
again and fails if the committed JSON differs. Every query uses a metric the bot really
exports (``bot/metrics.py``, plus the process and Python runtime collectors).

    ./dev dashboard            # rewrite deploy/grafana/onboarding-bot.json
    ./dev dashboard --check    # exit 1 if the committed JSON is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement, SortOrder, TooltipDisplayMode
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

OUT = Path(__file__).with_name("onboarding-bot.json")
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
JOB = 'job=~"$job"'


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).datasource(DATASOURCE)
    return q.legend_format(legend) if legend else q


class Ids:
    """Stable panel ids in the order panels are added, so the JSON diff stays readable."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> int:
        self.last += 1
        return self.last


def series(ids: Ids, title: str, description: str, unit: str, *queries: prometheus.Dataquery,
           width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().id(ids()).title(title).description(description).unit(unit).datasource(DATASOURCE)
    panel = panel.height(8).span(width).fill_opacity(10)
    panel = panel.legend(
        common.VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM).show_legend(True)
    ).tooltip(common.VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING))
    for ref, q in zip("ABCDEFGH", queries):
        panel = panel.with_target(q.ref_id(ref))
    return panel


def single(ids: Ids, title: str, description: str, unit: str, expr: str) -> stat.Panel:
    return (
        stat.Panel().id(ids()).title(title).description(description).unit(unit).datasource(DATASOURCE)
        .height(4).span(6).with_target(query(expr).ref_id("A"))
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
    )


def row(ids: Ids, title: str) -> dashboard.Row:
    return dashboard.Row(title).id(ids())


def build() -> dict[str, object]:
    ids = Ids()
    board = (
        dashboard.Dashboard("AM11 onboarding bot")
        .uid("am11-onboarding-bot")
        .tags(["onboarding-bot", "slack", "teams"])
        .description("Turns, answer times, notification delivery, errors and the process, per replica.")
        .time("now-6h", "now")
        .refresh("1m")
        .timezone("browser")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(
            dashboard.QueryVariable("job").label("Job")
            .query("label_values(bot_requests_total, job)")
            .datasource(DATASOURCE)
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
            .include_all(True)
            .multi(True)
        )
        .with_row(row(ids, "Now"))
        .with_panel(single(ids, "Turns per second", "Turns answered by all replicas.", "reqps",
                           f"sum(rate(bot_requests_total{{{JOB}}}[5m]))"))
        .with_panel(single(ids, "Answer time p99", "Time to answer a turn; Slack gives up after 3 s.", "s",
                           f"histogram_quantile(0.99, sum by (le) (rate(bot_request_seconds_bucket{{{JOB}}}[5m])))"))
        .with_panel(single(ids, "Notifications waiting", "Outbox items not delivered yet.", "short",
                           f"max(bot_outbox_pending{{{JOB}}})"))
        .with_panel(single(ids, "Parked (24 h)", "Notifications that failed for good; /readyz lists them by id.", "short",
                           f'sum(increase(bot_outbox_failures_total{{{JOB},kind="permanent"}}[24h]))'))
        .with_row(row(ids, "Turns"))
        .with_panel(series(
            ids, "Turns by platform and intent", "What customers and the onboarding team ask for.", "reqps",
            query(f"sum by (platform, intent) (rate(bot_requests_total{{{JOB}}}[5m]))", "{{platform}} {{intent}}"),
        ))
        .with_panel(series(
            ids, "Answer time", "Median and 99th percentile time to answer a turn, by platform.", "s",
            query(f"histogram_quantile(0.5, sum by (le, platform) (rate(bot_request_seconds_bucket{{{JOB}}}[5m])))", "p50 {{platform}}"),
            query(f"histogram_quantile(0.99, sum by (le, platform) (rate(bot_request_seconds_bucket{{{JOB}}}[5m])))", "p99 {{platform}}"),
        ))
        .with_panel(series(
            ids, "Refused requests", "Refused before any handler ran: bad signature or token, too large, malformed.", "reqps",
            query(f"sum by (platform, reason) (rate(bot_rejected_total{{{JOB}}}[5m]))", "{{platform}} {{reason}}"),
        ))
        .with_panel(series(
            ids, "Rate-limited turns", "Turns answered with a rate-limit notice, by scope.", "reqps",
            query(f"sum by (platform, scope) (rate(bot_rate_limited_total{{{JOB}}}[5m]))", "{{platform}} {{scope}}"),
        ))
        .with_row(row(ids, "Notifications and errors"))
        .with_panel(series(
            ids, "Outbox", "Notifications waiting, and delivered per second.", "short",
            query(f"max(bot_outbox_pending{{{JOB}}})", "waiting"),
            query(f"sum by (platform) (rate(bot_outbox_delivered_total{{{JOB}}}[5m]))", "delivered/s {{platform}}"),
        ))
        .with_panel(series(
            ids, "Delivery failures", "transient: retried with backoff; permanent: parked.", "short",
            query(f"sum by (platform, kind) (increase(bot_outbox_failures_total{{{JOB}}}[5m]))", "{{platform}} {{kind}}"),
        ))
        .with_panel(series(
            ids, "Errors", "bot_errors_total, by platform and where they were caught.", "short",
            query(f"sum by (platform, where) (increase(bot_errors_total{{{JOB}}}[5m]))", "{{platform}} {{where}}"),
            width=24,
        ))
        .with_panel(series(
            ids, "Background work", "Replies and forms still running after their acknowledgement, and how many "
            "had to start beyond the limit (a stalled platform API).", "short",
            query(f"sum(bot_background_tasks{{{JOB}}})", "running"),
            query(f"sum(increase(bot_background_overflow_total{{{JOB}}}[5m]))", "beyond the limit"),
            width=24,
        ))
        .with_row(row(ids, "Process"))
        .with_panel(series(
            ids, "Memory", "Resident memory per replica.", "bytes",
            query(f"process_resident_memory_bytes{{{JOB}}}", "{{instance}}"),
            width=8,
        ))
        .with_panel(series(
            ids, "CPU", "CPU time per second per replica (1 = one core).", "percentunit",
            query(f"rate(process_cpu_seconds_total{{{JOB}}}[5m])", "{{instance}}"),
            width=8,
        ))
        .with_panel(series(
            ids, "Garbage collections", "Python collections per second, by generation.", "short",
            query(f"sum by (instance, generation) (rate(python_gc_collections_total{{{JOB}}}[5m]))", "{{instance}} gen {{generation}}"),
            width=8,
        ))
    )
    return json.loads(json.dumps(board.build(), cls=JSONEncoder))


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed JSON instead of writing it")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not args.out.exists() or args.out.read_text(encoding="utf-8") != text:
            print(f"{args.out} is out of date: run ./dev dashboard", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
