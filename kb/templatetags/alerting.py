"""Template filters for incidents: how long they lasted, when they started, the labels that tell them apart."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A duration as an operator reads it: 7 s, 14 min, 2 h 05 min, 3 d 4 h; empty for None."""
    if value is None:
        return ""
    seconds = max(int(value.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


@register.filter
def started(incident) -> str:
    """When it started as its source knows it: the day for an incident its documents date
    ("2026-02-24"), the minute for one received ("2026-02-24 03:12"); empty without a start."""
    if incident.started_at is None:
        return ""
    return incident.started_at.strftime("%Y-%m-%d" if incident.dated_only else "%Y-%m-%d %H:%M")


@register.filter
def pairs(labels: dict) -> list[str]:
    """Labels as an operator writes them, `key=value`: one value for the template to show (and escape) per label."""
    return [f"{key}={value}" for key, value in labels.items()]
