"""The one list of commands; console, CLI, `/help` and the Discord cogs are all built from it."""

from __future__ import annotations

from bot.alerts.commands import COMMANDS as ALERT_COMMANDS
from bot.commands import Registry
from bot.meta import STATUS, make_help
from bot.reach.commands import COMMANDS as REACH_COMMANDS
from bot.routing.commands import COMMANDS as LOOKUP_COMMANDS
from bot.routing.transit_command import TRANSIT_COMMANDS


def build_registry() -> Registry:
    registry = Registry()
    registry.add(STATUS)
    registry.add(make_help(registry))
    registry.extend(LOOKUP_COMMANDS)
    registry.extend(TRANSIT_COMMANDS)
    registry.extend(REACH_COMMANDS)
    registry.extend(ALERT_COMMANDS)
    return registry
