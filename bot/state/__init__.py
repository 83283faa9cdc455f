"""Durable state in one SQLite file: watches, alert settings, alerts and the alert outbox."""
