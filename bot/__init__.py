"""silkroute: a chat-ops bot that answers routing and reachability questions about Kazakhstan's Internet."""

__version__ = "0.1.0"
