"""HTTP stage: status, title, size, redirects, byte cap, and redirects refused by the safety rules."""

from __future__ import annotations

import ipaddress

import pytest
from aiohttp import web

from bot.net.address_safety import SafetyPolicy
from bot.reach.fetch import PinnedResolver
from bot.reach.probe import check_target
from bot.reach.site import parse_target
from tests.bot.reach.servers import WebServer, make_leaf, server_context
from tests.fixtures.reach_lab import Lab

SITE = {"site.test": ["127.0.0.1"]}


async def test_plain_http_reports_status_title_size_and_time(lab: Lab) -> None:
    server = await lab.web()
    config = await lab.config(SITE)
    report = await check_target(parse_target(f"http://site.test:{server.port}/news"), config, None)
    http = report.addresses[0].http
    assert report.verdict == "reachable"
    assert http is not None
    assert (http.status_code, http.title, http.size) == (200, "Hello Almaty", 44)
    assert http.final_url == f"http://site.test:{server.port}/news"
    assert server.hits == ["/news"]
    assert "Hello Almaty" in report.reason


async def test_error_status_is_its_own_verdict(lab: Lab) -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=451, text="blocked")

    server = await lab.web(gone)
    report = await check_target(
        parse_target(f"http://site.test:{server.port}/"), await lab.config(SITE), None
    )
    assert report.verdict == "http_error_status"
    assert "451" in report.reason


async def test_redirects_are_followed_on_the_vetted_address(lab: Lab) -> None:
    async def hop(request: web.Request) -> web.Response:
        step = int(request.query.get("n", "0"))
        if step < 3:
            raise web.HTTPFound(f"/?n={step + 1}")
        return web.Response(text="<title>done</title>", content_type="text/html")

    server = await lab.web(hop)
    report = await check_target(
        parse_target(f"http://site.test:{server.port}/"), await lab.config(SITE), None
    )
    http = report.addresses[0].http
    assert http is not None and http.status == "ok"
    assert [h.status for h in http.hops] == [302, 302, 302, 200]
    assert http.final_url is not None and http.final_url.endswith("/?n=3")


async def test_more_than_ten_redirects_is_an_http_failure(lab: Lab) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/again")

    server = await lab.web(loop)
    report = await check_target(
        parse_target(f"http://site.test:{server.port}/"), await lab.config(SITE), None
    )
    assert report.verdict == "http_failure"
    assert "more than 10 redirects" in report.reason
    assert len(server.hits) == 11


async def test_body_is_capped(lab: Lab) -> None:
    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 500_000)

    server = await lab.web(big)
    config = await lab.config(SITE, max_bytes=1000)
    report = await check_target(parse_target(f"http://site.test:{server.port}/"), config, None)
    http = report.addresses[0].http
    assert http is not None and http.truncated and http.size == 1000


async def test_https_fetch_uses_the_extra_ca_file(lab: Lab) -> None:
    server = await lab.web(context=server_context(lab.tmp, make_leaf(lab.ca, "site.test"), [lab.ca]))
    report = await check_target(
        parse_target(f"https://site.test:{server.port}/"), await lab.config(SITE), None
    )
    assert report.verdict == "reachable"
    assert server.hits == ["/"]


async def _redirecting_first_hop(lab: Lab, location: str) -> tuple[int, SafetyPolicy]:
    """A first hop on 127.0.0.2, exempted by exact endpoint so the default rules judge the redirect."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(location)

    app = web.Application()
    app.router.add_get("/", redirect)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.2", 0).start()
    port = runner.addresses[0][1]
    lab.closers.append(WebServer(runner, port))
    return port, SafetyPolicy(exempt=frozenset({("127.0.0.2", port)}))


async def test_redirect_to_loopback_is_refused_and_never_connected(lab: Lab) -> None:
    victim = await lab.web()
    port, policy = await _redirecting_first_hop(lab, f"http://127.0.0.1:{victim.port}/admin")
    config = await lab.config({"site.test": ["127.0.0.2"]}, policy=policy)
    report = await check_target(parse_target(f"http://site.test:{port}/"), config, None)
    assert report.verdict == "refused_unsafe_target"
    assert "127.0.0.1 is a loopback address" in report.reason
    assert victim.hits == []
    http = report.addresses[0].http
    assert http is not None and http.hops[-1].address is None and http.hops[-1].refused


async def test_redirect_to_cloud_metadata_is_refused_and_never_connected(lab: Lab) -> None:
    port, policy = await _redirecting_first_hop(lab, "http://169.254.169.254/latest/meta-data/")
    config = await lab.config({"site.test": ["127.0.0.2"]}, policy=policy)
    report = await check_target(parse_target(f"http://site.test:{port}/"), config, None)
    assert report.verdict == "refused_unsafe_target"
    assert "cloud metadata" in report.reason
    http = report.addresses[0].http
    assert http is not None
    assert [h.address for h in http.hops] == ["127.0.0.2", None]


async def test_redirect_to_a_name_resolving_to_metadata_is_refused(lab: Lab) -> None:
    port, policy = await _redirecting_first_hop(lab, "http://metadata.test/")
    config = await lab.config(
        {"site.test": ["127.0.0.2"], "metadata.test": ["169.254.169.254"]}, policy=policy
    )
    report = await check_target(parse_target(f"http://site.test:{port}/"), config, None)
    assert report.verdict == "refused_unsafe_target"
    assert "169.254.169.254" in report.reason


async def test_pinned_resolver_answers_only_for_the_vetted_host() -> None:
    resolver = PinnedResolver("site.test", ipaddress.ip_address("::1"))
    [answer] = await resolver.resolve("site.test", 443)
    assert (answer["host"], answer["port"]) == ("::1", 443)
    with pytest.raises(OSError, match=r"only site\.test was vetted"):
        await resolver.resolve("elsewhere.test", 443)
