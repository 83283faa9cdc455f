"""National and per-AS outage watch: signals, baselines, the verdict rules and the monitor that alerts."""
