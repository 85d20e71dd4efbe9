"""gcp deployment patterns."""
