"""Helpers shared by the tests of several parts: servers, fakes, seeded databases."""
