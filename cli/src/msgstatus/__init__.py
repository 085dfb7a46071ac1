"""msgstatus: a command-line client for the message status API."""

__version__ = "0.1.0"
