"""The bot's domain: what it answers and does, independent of any platform."""
