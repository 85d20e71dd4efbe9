"""edge deployment patterns."""
