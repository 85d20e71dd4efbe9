"""aws deployment patterns."""
