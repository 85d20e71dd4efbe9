"""azure deployment patterns."""
