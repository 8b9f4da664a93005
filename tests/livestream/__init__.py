"""Livestream tests."""
