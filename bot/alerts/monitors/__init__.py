"""One monitor per alert kind: each turns feed events or periodic checks into findings for its kind.

Monitors are synchronous and keep only in-memory state, so the feed loop stays fast; anything needing I/O
(RPKI validation, site probes, snapshot views) is done by `bot.alerts.service` around them. Open alerts
are handed back to their monitor after a restart (`restore`) so a recovery can still be recognised.
"""
