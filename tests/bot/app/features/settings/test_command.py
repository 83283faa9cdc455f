"""`/settings language:`: managers only, stored per server, and the console's alerts follow it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.alerts.delivery import Delivery, Entry
from bot.alerts.model import CONSOLE_GUILD, OutboxEvent
from bot.app.answer import Answer, BadInput, Forbidden
from bot.app.catalog import build_registry
from bot.app.commands import Caller, Context
from bot.app.features.alerts.console_sink import ConsoleSink
from bot.app.runner import execute
from bot.app.wiring import Services
from bot.i18n import Language, translator
from tests.helpers import make_services

SETTINGS = build_registry().specs["settings"]
MANAGER = Caller("ops", can_manage=True, user_id=1)
MEMBER = Caller("guest", can_manage=False, user_id=2)


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    services = make_services()
    await services.start()
    try:
        yield services
    finally:
        await services.close()


async def test_a_member_without_manage_rights_is_refused_in_their_language(services: Services) -> None:
    ctx = Context(services, MEMBER, guild_id=5, channel_id=6, tr=translator(Language.RU))
    with pytest.raises(Forbidden) as refused:
        await execute(SETTINGS, ctx, {"language": "kk"})
    assert refused.value.user_text(ctx.tr).startswith("Для `/settings` нужно право «Управлять сервером»")
    assert await services.languages.get(5) is None


async def test_a_manager_sets_the_language_per_server_and_may_change_it(services: Services) -> None:
    ctx = Context(services, MANAGER, guild_id=5, channel_id=6)
    answer = await execute(SETTINGS, ctx, {"language": "kk"})
    assert answer.data == {"guild_id": 5, "language": "kk"} and "Kazakh" in answer.summary
    await execute(SETTINGS, Context(services, MANAGER, guild_id=7, channel_id=8), {"language": "ru"})
    await execute(SETTINGS, ctx, {"language": "en"})
    assert (await services.languages.get(5), await services.languages.get(7)) == (Language.EN, Language.RU)
    assert answer.sources and answer.sources[0].date is not None


async def test_a_direct_message_has_no_server_to_set(services: Services) -> None:
    with pytest.raises(BadInput, match="server setting"):
        await execute(SETTINGS, Context(services, MANAGER, guild_id=None, channel_id=9), {"language": "ru"})


async def test_console_alerts_follow_the_console_servers_language(services: Services) -> None:
    await execute(SETTINGS, Context(services, MANAGER), {"language": "kk"})
    shown: list[Answer] = []

    async def show(answer: Answer) -> None:
        shown.append(answer)

    record = await services.alerts.send_test(CONSOLE_GUILD, "ops")
    sink = ConsoleSink(show, None, services.settings, services.languages)
    await sink.deliver(Delivery(CONSOLE_GUILD, 0, [Entry(record, OutboxEvent.TEST)]))
    (answer,) = shown
    assert answer.title == "СЫНАҚ: Сынақ ескертуі"
    assert answer.summary == "Сұраған: ops. Мұны көріп тұрсаңыз, ескертулер осы арнаға жетеді."
    assert answer.language is Language.KK
    assert record.title == "Test alert"  # stored once, in English; each channel words it in its language
