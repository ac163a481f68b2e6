"""/metrics carries the process and Python runtime metrics, on each app's own registry."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics


def _samples(text: str) -> dict[str, float]:
    return {
        s.name + ("{" + ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) + "}" if s.labels else ""): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_route_has_process_and_runtime_metrics(slack_client: TestClient) -> None:
    response = await slack_client.get("/metrics")
    assert response.status == 200
    samples = _samples(await response.text())
    assert samples["process_resident_memory_bytes"] > 1024 * 1024
    assert samples["process_cpu_seconds_total"] > 0
    assert samples["process_open_fds"] >= 3
    assert samples["process_start_time_seconds"] > 0
    assert any(name.startswith("python_info{") for name in samples)
    assert "python_gc_collections_total{generation=0}" in samples
    # the bot's own metrics are still there, on the same registry
    assert "bot_outbox_pending" in samples


def test_each_app_has_its_own_registry_with_the_process_collectors() -> None:
    # Two apps in one process (as in the tests): a shared, global registry would refuse
    # the second set of collectors as duplicates.
    first, second = Metrics(), Metrics()
    assert first.registry is not second.registry
    for metrics in (first, second):
        samples = _samples(metrics.render().decode())
        assert samples["process_max_fds"] > 0
        assert "python_gc_objects_collected_total{generation=2}" in samples
