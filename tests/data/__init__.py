"""Tests of dse.data."""
