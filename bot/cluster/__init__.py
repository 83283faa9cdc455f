"""Replicas of one bot: which process leads the singletons, and which processes are alive."""
