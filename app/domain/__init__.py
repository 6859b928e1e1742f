"""Pure domain types: no I/O, no third-party engines."""
