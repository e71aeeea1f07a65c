"""Template filters (`{% load alerting %}`: durations of incidents). Formatting only: no queries, no kb imports."""
