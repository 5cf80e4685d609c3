"""An SQS-compatible queue server: a SQLite store with all queue rules, and thin protocol layers."""
