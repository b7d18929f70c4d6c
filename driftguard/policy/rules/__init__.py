"""The built-in rule catalogue, one module per rule. The registry lists them explicitly (no import magic)."""
