"""Scheduled and recurring work notifications: each run is a send in the history.

The blueprint is ``dashboard.schedules.views.bp``; the service is
``dashboard.schedules.service``; the JSON API operations are in ``dashboard.schedules.api``.
"""
