"""The monitors' baseline read from a real snapshot (2014 RouteViews RIB + 2019 RIS updates, real registry)."""

from __future__ import annotations

from bot.alerts.model import WatchKind
from bot.alerts.monitors.origin import OriginMonitor
from bot.alerts.snapshot_views import SnapshotBaseline, views_of
from bot.live.rislive import RisMessage
from bot.routing.snapshot import Snapshot
from tests.helpers import serving


def test_baseline_of_a_kazakh_prefix_and_as(real_snapshot: Snapshot) -> None:
    baseline = SnapshotBaseline(serving(real_snapshot))
    assert baseline.origins_of("2.72.0.0/18") == {29355}
    upstreams = baseline.upstreams_of(29355)
    assert 9198 in upstreams
    assert 29355 not in upstreams
    assert baseline.origins_of("2.72.0.0/17") == set()  # not announced as such: nothing to expect
    assert baseline.upstreams_of(64512) == set()


def test_origin_monitor_uses_the_real_baseline_from_the_first_update(real_snapshot: Snapshot) -> None:
    """With the snapshot's origin known, the first foreign origin is a candidate: no learning window."""
    monitor = OriginMonitor(SnapshotBaseline(serving(real_snapshot)))
    monitor.set_watches([(WatchKind.PREFIX, "2.72.0.0/18"), (WatchKind.ASN, "AS29355")])
    message = RisMessage.from_json(
        {
            "timestamp": 0,
            "peer": "192.0.2.1",
            "peer_asn": 3216,
            "host": "rrc00",
            "type": "UPDATE",
            "path": [3216, 64496],
            "announcements": [{"next_hop": "192.0.2.1", "prefixes": ["2.72.0.0/18"]}],
        }
    )
    findings, (candidate,) = monitor.process(message)
    assert findings == []
    assert (candidate.origin, candidate.expected) == (64496, (29355,))


def test_snapshot_view_of_kcell_on_real_data(real_snapshot: Snapshot) -> None:
    """In this table Kcell is reached through Kazakhtelecom and Kar-Tel, and leaves Kazakhstan via Russia."""
    (view,) = views_of(real_snapshot, [29355]).values()
    assert sorted(view.upstreams) == [9198, 21299]
    assert view.exits == {"RU": 1.0}
    assert (view.snapshot_id, view.data_date) == (real_snapshot.snapshot_id, "2019-01-01 00:04 UTC")
