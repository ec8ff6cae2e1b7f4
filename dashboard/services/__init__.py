"""Outside services reached by the dashboard, each through one small module."""
