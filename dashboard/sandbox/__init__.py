"""Local emulator of the DingTalk oapi (see ../shared/dingtalk-oapi.md).

`create_sandbox_app(settings)` builds the WSGI app; `python -m dashboard.sandbox`
serves it. Tests drive it with `dashboard.sandbox.control.SandboxControl`.
"""

from dashboard.sandbox.app import create_sandbox_app
from dashboard.sandbox.settings import SandboxSettings

__all__ = ["SandboxSettings", "create_sandbox_app"]
