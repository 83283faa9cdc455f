"""State several bot processes share through Redis: the connection and its health, single-flight entries,
sliding-window counters and an event bus. Each piece has an in-process twin the default deployment uses."""
