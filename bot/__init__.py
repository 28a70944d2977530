"""claimbot: tells analysts only what is new in the news they watch."""

__version__ = "0.1.0"
