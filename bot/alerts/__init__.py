"""Watches, monitors and the alert lifecycle; nothing here knows about Discord (sinks deliver)."""
