"""Robot messages: the app's robot writing to people (1:1) and in the groups it is in.

A robot send is a Send of the notifications pipeline with ``channel="robot"``
(``dashboard.robot.channel``); these pages compose one and list the robot's groups.
"""

from flask import Blueprint

bp = Blueprint("robot", __name__)

from dashboard.robot import views  # noqa: E402,F401
