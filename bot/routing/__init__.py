"""Routing data: MRT, registry and AS-name inputs, the snapshot built from them, and lookups."""
