"""The command model: each command is declared once, here-shaped, and served by Discord, console and CLI.

A `CommandSpec` names the command, its typed options, an example, and the async handler that
computes an `Answer`. `bot.frontends.discord.slash_commands` turns specs into slash commands; `bot.frontends.console`
parses the same text a user would type in Discord (`/transit target:AS9198`) into a call.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.app.answer import Answer, BadInput
from bot.app.limits import Cost
from bot.i18n import ENGLISH, Translator

if TYPE_CHECKING:
    from bot.app.wiring import Services

log = logging.getLogger(__name__)

OptionValue = str | int | bool

# Longer than any real command (Discord caps a message at 4,000 characters); checked before tokenising,
# whose cost grows faster than the line, so a pasted file is refused at once.
MAX_LINE_CHARS = 4000

TEXT_LENGTH = 100
"""The longest text an option takes unless it says otherwise (Discord's own default allows 6,000)."""
QUOTE_LENGTH = 40


def quote(raw: str, tr: Translator = ENGLISH) -> str:
    """What the user typed, as an error message repeats it: at most QUOTE_LENGTH characters of it."""
    if len(raw) <= QUOTE_LENGTH:
        return repr(raw)
    count = tr.ngettext("{count} character", "{count} characters", len(raw)).format(count=tr.number(len(raw)))
    return repr(raw[:QUOTE_LENGTH]) + f"… ({count})"


Autocomplete = Callable[["Services", str], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class Option:
    """One typed option of a command, as Discord shows it."""

    name: str
    description: str
    type: type[str] | type[int] | type[bool] = str
    required: bool = True
    default: OptionValue | None = None
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    """For text: the longest valid value (a domain 253, a URL 2,048); TEXT_LENGTH when not given."""
    autocomplete: Autocomplete | None = None

    @property
    def length_limit(self) -> int | None:
        """The text limit Discord enforces in its client and the console and `ask` check first."""
        return (self.max_length or TEXT_LENGTH) if self.type is str and not self.choices else None

    def convert(self, raw: str, example: str, tr: Translator = ENGLISH) -> OptionValue:
        """Turn console text into the option's type, with the same rules Discord applies."""
        _ = tr.gettext
        if self.type is bool:
            lowered = raw.strip().lower()
            if lowered in {"true", "yes", "1", "on"}:
                return True
            if lowered in {"false", "no", "0", "off"}:
                return False
            raise BadInput(
                _("Option `{name}` takes true or false, not {value}.").format(
                    name=self.name, value=quote(raw, tr)
                ),
                example=example,
            )
        if self.type is int:
            try:
                if not raw.strip().isascii():  # int() would read Arabic-Indic and other digits
                    raise ValueError(raw)
                number = int(raw.strip())
            except ValueError:
                raise BadInput(
                    _("Option `{name}` takes a whole number, not {value}.").format(
                        name=self.name, value=quote(raw, tr)
                    ),
                    example=example,
                ) from None
            if self.min_value is not None and number < self.min_value:
                raise BadInput(
                    _("Option `{name}` must be at least {limit}.").format(
                        name=self.name, limit=self.min_value
                    ),
                    example=example,
                )
            if self.max_value is not None and number > self.max_value:
                raise BadInput(
                    _("Option `{name}` must be at most {limit}.").format(
                        name=self.name, limit=self.max_value
                    ),
                    example=example,
                )
            return number
        if self.choices and raw not in self.choices:
            raise BadInput(
                _("Option `{name}` takes one of {choices}, not {value}.").format(
                    name=self.name, choices=", ".join(self.choices), value=quote(raw, tr)
                ),
                example=example,
            )
        limit = self.length_limit
        if limit is not None and len(raw) > limit:
            raise BadInput(
                tr.ngettext(
                    "Option `{name}` takes at most {limit} character; {value} is longer.",
                    "Option `{name}` takes at most {limit} characters; {value} is longer.",
                    limit,
                ).format(name=self.name, limit=tr.number(limit), value=quote(raw, tr)),
                example=example,
            )
        return raw


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asked: enough to check permissions without depending on Discord types."""

    name: str
    can_manage: bool
    user_id: int | None = None


ProgressCallback = Callable[[Answer], Awaitable[None]]


@dataclass(slots=True)
class Context:
    """What a handler may use besides its options: services, the caller, and where it was asked."""

    services: Services
    caller: Caller
    guild_id: int | None = None
    channel_id: int | None = None
    progress: ProgressCallback | None = None
    tr: Translator = ENGLISH
    """The asker's language: handlers word every human text of their answer through it."""

    async def charge(self, cost: Cost, amount: int = 1) -> None:
        """Spend `amount` of a fair-use quota for this caller and server, or raise SlowDown."""
        await self.services.limits.charge(
            cost,
            user_id=self.caller.user_id,
            guild_id=self.guild_id,
            can_manage=self.caller.can_manage,
            amount=amount,
        )

    async def report_progress(self, partial: Answer) -> None:
        """Show a partial answer while work goes on (Discord edits the message; the console prints).

        Best effort: a failed progress display must not turn an answer whose work finished into an error.
        """
        if self.progress is None:
            return
        try:
            await self.progress(partial)
        except Exception:
            log.warning("showing progress of /%s failed", partial.command, exc_info=True)


Handler = Callable[..., Awaitable[Answer]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command declared once: name ("transit" or "watch add"), options, example, handler."""

    name: str
    description: str
    example: str
    handler: Handler
    options: tuple[Option, ...] = ()
    help: str = ""
    manage_only: bool = False
    ephemeral: bool = False
    cost: Cost | None = None
    """The fair-use quota one use spends, checked before any work (and before Discord's 'thinking…')."""

    @property
    def group(self) -> str | None:
        """The slash-command group ("watch" for "watch add"), or None for a top-level command."""
        return self.name.split(" ", 1)[0] if " " in self.name else None

    @property
    def leaf(self) -> str:
        return self.name.rsplit(" ", 1)[-1]

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def with_defaults(self, given: dict[str, OptionValue]) -> dict[str, OptionValue]:
        """The given values plus the defaults of options left out (the same for Discord and console)."""
        defaults = {o.name: o.default for o in self.options if o.name not in given and o.default is not None}
        return {**given, **defaults}


@dataclass(slots=True)
class Registry:
    """All commands by name; the single list the console, CLI, /help and Discord are built from."""

    specs: dict[str, CommandSpec] = field(default_factory=dict)

    def add(self, spec: CommandSpec) -> None:
        if spec.name in self.specs:
            raise ValueError(f"command {spec.name!r} declared twice")
        self.specs[spec.name] = spec

    def extend(self, specs: Iterable[CommandSpec]) -> None:
        for spec in specs:
            self.add(spec)

    def __iter__(self) -> Any:
        return iter(sorted(self.specs.values(), key=lambda s: s.name))

    def __len__(self) -> int:
        return len(self.specs)

    def get(self, name: str) -> CommandSpec | None:
        return self.specs.get(name)

    def groups(self) -> dict[str | None, list[CommandSpec]]:
        """Specs keyed by their group name (None for top-level commands)."""
        grouped: dict[str | None, list[CommandSpec]] = {}
        for spec in self:
            grouped.setdefault(spec.group, []).append(spec)
        return grouped


@dataclass(frozen=True, slots=True)
class Invocation:
    """A parsed command line: which command and its converted option values."""

    spec: CommandSpec
    options: dict[str, OptionValue]


def parse_command_line(line: str, registry: Registry, tr: Translator = ENGLISH) -> Invocation:
    """Parse what a user types in Discord (`/transit target:AS9198`) into an invocation.

    Values are `name:value`; quote values with spaces (`target:"nur.kz kaspi.kz"`). A bare value
    fills the next unnamed option in order, so `lookup AS9198` works too.
    """
    _ = tr.gettext
    if len(line) > MAX_LINE_CHARS:
        raise BadInput(
            _("That line is {length} characters long; a command takes at most {limit}.").format(
                length=tr.number(len(line)), limit=tr.number(MAX_LINE_CHARS)
            ),
            example="/lookup target:AS9198",
        )
    line = line.strip().lstrip("\ufeff")  # a byte-order mark pasted from a file is not part of the command
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise BadInput(
            _("Could not read that line ({reason}).").format(reason=exc),
            example='/reach target:"nur.kz kaspi.kz"',
        ) from None
    if not tokens:
        raise BadInput(_("Empty command."), example="/help")
    tokens[0] = tokens[0].removeprefix("/")
    spec, rest = _match_command(tokens, registry, tr)
    return Invocation(spec, _bind_options(spec, rest, tr))


def _match_command(
    tokens: Sequence[str], registry: Registry, tr: Translator
) -> tuple[CommandSpec, Sequence[str]]:
    for width in (2, 1):
        name = " ".join(tokens[:width]).lower()
        spec = registry.get(name)
        if spec is not None:
            return spec, tokens[width:]
    first = tokens[0].lower()
    group_members = [s.name for s in registry if s.group == first]
    if group_members:
        raise BadInput(
            tr.gettext("`/{group}` needs a subcommand: {commands}.").format(
                group=first, commands=", ".join("/" + n for n in group_members)
            ),
            example=registry.specs[group_members[0]].example,
        )
    known = ", ".join("/" + s.name for s in registry)
    raise BadInput(
        tr.gettext("Unknown command `/{command}`. Commands: {commands}.").format(
            command=first, commands=known
        ),
        example="/help",
    )


def _bind_options(spec: CommandSpec, tokens: Sequence[str], tr: Translator) -> dict[str, OptionValue]:
    _ = tr.gettext
    values: dict[str, OptionValue] = {}
    for token in tokens:
        name, sep, raw = token.partition(":")
        option = spec.option(name.lower()) if sep else None
        if option is None and sep and not _looks_like_value(token):
            names = ", ".join(o.name for o in spec.options) or _("none")
            raise BadInput(
                _("`/{command}` has no option `{name}` (options: {names}).").format(
                    command=spec.name, name=name, names=names
                ),
                example=spec.example,
            )
        if option is None:
            remaining = [o for o in spec.options if o.name not in values]
            if not remaining:
                raise BadInput(
                    _("Too many values for `/{command}`: {value}.").format(
                        command=spec.name, value=quote(token, tr)
                    ),
                    example=spec.example,
                )
            option, raw = remaining[0], token
        if option.name in values:
            raise BadInput(_("Option `{name}` given twice.").format(name=option.name), example=spec.example)
        values[option.name] = option.convert(raw, spec.example, tr)
    for option in spec.options:
        if option.required and option.name not in values:
            raise BadInput(
                _("`/{command}` needs option `{name}`.").format(command=spec.name, name=option.name),
                example=spec.example,
            )
    return spec.with_defaults(values)


def _looks_like_value(token: str) -> bool:
    """Values that contain ':' themselves (IPv6 addresses, URLs) are not `name:value` pairs."""
    return token.count(":") > 1 or "://" in token
