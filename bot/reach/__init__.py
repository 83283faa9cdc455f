"""`/reach`: is a site reachable from here (or from probes in Kazakhstan), and which stage fails."""
