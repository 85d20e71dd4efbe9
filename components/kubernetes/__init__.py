"""kubernetes deployment patterns."""
