"""Tests of the franchise domain."""
