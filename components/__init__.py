"""Pulumi ComponentResources, one deployment pattern per module."""
