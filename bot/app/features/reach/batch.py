"""`silkroute reach-batch FILE`: check a list of sites (plain lines or a CSV with a `url` column).

Made for lists like Citizen Lab's Kazakhstan test list: bounded concurrency so a few hundred sites
do not open a few hundred sockets at once, a progress bar on stderr, and a table, CSV or JSON report.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.app.answer import BadInput
from bot.app.features.reach.presentation import target_data
from bot.app.render import format_table
from bot.core.errors import InvalidInput
from bot.core.settings import Settings
from bot.core.values import Table
from bot.reach.bgp import RoutingView
from bot.reach.probe import ReachConfig, check_each
from bot.reach.report import TargetReport
from bot.reach.site import Target, parse_target
from bot.reach.verdict import STAGE_OF

FORMATS = ("table", "csv", "json")
CSV_COLUMNS = [
    "target",
    "url",
    "verdict",
    "stage",
    "asn",
    "as_name",
    "prefix",
    "addresses",
    "seconds",
    "reason",
]


def read_targets(path: Path) -> tuple[list[Target], list[tuple[str, str]]]:
    """Targets from a CSV with a `url` column or from one-per-line text; unreadable lines are kept apart.

    A malformed line is reported with the rest of the results; a file that is not text at all (a
    spreadsheet, an image) is refused as a whole, since its "lines" would only be noise.
    """
    text = _read_text(path)
    first = text.splitlines()[0] if text.strip() else ""
    invalid: list[tuple[str, str]] = []
    if "url" in [c.strip().lower() for c in next(csv.reader([first]), [])]:
        rows = _csv_urls(text, invalid)
    else:
        rows = [line.split("#", 1)[0] for line in text.splitlines()]
    targets: dict[str, Target] = {}
    for raw in (r.strip() for r in rows):
        if not raw:
            continue
        try:
            target = parse_target(raw)
        except InvalidInput as exc:
            invalid.append((raw, exc.message))
            continue
        targets.setdefault(target.url, target)
    return list(targets.values()), invalid


def _csv_urls(text: str, invalid: list[tuple[str, str]]) -> list[str]:
    """The `url` column; a row the CSV reader cannot parse goes to `invalid` and reading goes on."""
    reader = csv.DictReader(io.StringIO(text))
    urls: list[str] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return urls
        except csv.Error as exc:
            invalid.append((f"line {reader.line_num + 1}", f"not valid CSV: {exc}"))
            continue
        urls.append(row.get("url") or "")


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
        binary = "\x00" in text
    except UnicodeDecodeError:
        binary = True
    if binary:
        raise BadInput(
            f"{path} is not a UTF-8 text or CSV file (save it as CSV UTF-8 or plain text).",
            example="silkroute reach-batch sites.txt",
        )
    return text


async def run_batch(
    path: Path,
    settings: Settings,
    *,
    output_format: str = "table",
    output: Path | None = None,
    concurrency: int = 8,
    snapshot: RoutingView | None = None,
    progress: bool = True,
) -> str:
    """Check every target in `path`; returns the report and writes it to `output` when given."""
    if output_format not in FORMATS:
        raise BadInput(
            f"--format takes one of {', '.join(FORMATS)}.", example="silkroute reach-batch sites.csv"
        )
    if concurrency < 1:
        raise BadInput(
            "--concurrency must be at least 1.", example="silkroute reach-batch sites.csv --concurrency 8"
        )
    try:
        targets, invalid = await asyncio.to_thread(read_targets, path)
    except OSError as exc:
        raise BadInput(
            f"Cannot read {path}: {exc.strerror}.", example="silkroute reach-batch sites.txt"
        ) from None
    if not targets and not invalid:
        raise BadInput(f"{path} lists no targets.", example="silkroute reach-batch sites.txt")
    if output is not None:
        _check_output(output)
    config = ReachConfig.from_settings(settings)
    reports: dict[str, TargetReport] = {}
    with tqdm(total=len(targets), file=sys.stderr, unit="site", disable=not progress) as bar:
        async for report in check_each(targets, config, snapshot, concurrency):
            reports[report.target.url] = report
            bar.set_postfix_str(f"{report.target.host}: {report.verdict}", refresh=False)
            bar.update()
    ordered = [reports[t.url] for t in targets]
    text = _render(ordered, invalid, output_format)
    if output is not None:
        try:
            await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"Cannot write {output}: {exc.strerror or exc}.", example=OUTPUT_EXAMPLE) from None
    return text


OUTPUT_EXAMPLE = "silkroute reach-batch sites.csv --output report.txt"


def _check_output(output: Path) -> None:
    """Refuse an output path that cannot be written before any check runs: a long batch must not be lost
    at its very end to a typo in --output."""
    folder = output.parent
    if output.is_dir():
        raise BadInput(f"--output {output} is a folder; give a file name.", example=OUTPUT_EXAMPLE)
    if not folder.is_dir():
        raise BadInput(f"--output {output}: the folder {folder} does not exist.", example=OUTPUT_EXAMPLE)
    writable = os.access(output, os.W_OK) if output.exists() else os.access(folder, os.W_OK | os.X_OK)
    if not writable:
        raise BadInput(f"--output {output} is not writable (permission denied).", example=OUTPUT_EXAMPLE)


def _row(report: TargetReport) -> dict[str, Any]:
    focus = next((a for a in report.addresses if a.outcome == report.verdict), None)
    focus = focus or (report.addresses[0] if report.addresses else None)
    return {
        "target": report.target.text,
        "url": report.target.url,
        "verdict": report.verdict,
        "stage": STAGE_OF.get(report.verdict, ""),
        "asn": focus.network.asn if focus and focus.network.asn else "",
        "as_name": (focus.network.as_name or "") if focus else "",
        "prefix": (focus.network.prefix or "") if focus else "",
        "addresses": " ".join(str(a.address) for a in report.addresses),
        "seconds": f"{report.seconds:.2f}",
        "reason": report.reason,
    }


def _render(reports: list[TargetReport], invalid: list[tuple[str, str]], output_format: str) -> str:
    rows = [_row(r) for r in reports]
    rows += [{"target": raw, "verdict": "bad_input", "reason": why} for raw, why in invalid]
    if output_format == "json":
        document = {
            "targets": [target_data(r) for r in reports],
            "invalid": [{"target": raw, "reason": why} for raw, why in invalid],
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, CSV_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    columns = ["target", "verdict", "stage", "asn", "as_name", "seconds", "reason"]
    table = Table(columns, [[str(row.get(c, "")) for c in columns] for row in rows])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return format_table(table) + f"\n\n{len(rows)} targets: {summary}\n"
