"""End-to-end tests with real editor clients."""
