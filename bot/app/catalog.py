"""The one list of commands; console, CLI, `/help` and the Discord cogs are all built from it."""

from __future__ import annotations

from bot.app.commands import Registry
from bot.app.features.alerts.commands import COMMANDS as ALERT_COMMANDS
from bot.app.features.country.command import COUNTRY_COMMANDS
from bot.app.features.history.command import HISTORY_COMMANDS
from bot.app.features.lookup.command import COMMANDS as LOOKUP_COMMANDS
from bot.app.features.meta import STATUS, make_help
from bot.app.features.outage.command import OUTAGE_COMMANDS
from bot.app.features.reach.command import COMMANDS as REACH_COMMANDS
from bot.app.features.settings.command import SETTINGS_COMMANDS
from bot.app.features.transit.command import TRANSIT_COMMANDS


def build_registry() -> Registry:
    registry = Registry()
    registry.add(STATUS)
    registry.add(make_help(registry))
    registry.extend(LOOKUP_COMMANDS)
    registry.extend(TRANSIT_COMMANDS)
    registry.extend(HISTORY_COMMANDS)
    registry.extend(COUNTRY_COMMANDS)
    registry.extend(REACH_COMMANDS)
    registry.extend(ALERT_COMMANDS)
    registry.extend(OUTAGE_COMMANDS)
    registry.extend(SETTINGS_COMMANDS)
    return registry
