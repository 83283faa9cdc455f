"""Answers across time: compact dated views of what each import found, kept after its snapshot is replaced.

A routing snapshot is a moment; the questions users ask are about change. Every import and refresh records, per
country of interest and per origin AS registered there (plus watched ASes), the numbers `/transit` would give,
dated by the routing data itself, in a small SQLite file that outlives the snapshots.
"""
