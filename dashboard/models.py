"""Every table of the dashboard, imported in one place for Alembic and create_all."""

from dashboard.api.models import ApiToken  # noqa: F401
from dashboard.audit.models import AuditEvent  # noqa: F401
from dashboard.auth.models import User  # noqa: F401
from dashboard.cards.models import CardResponse  # noqa: F401
from dashboard.chats.models import Chat, ChatMessage  # noqa: F401
from dashboard.events.models import StreamEvent  # noqa: F401
from dashboard.groups.models import GroupRevision, RecipientGroup  # noqa: F401
from dashboard.isv.models import AuthorisedCompany, SuiteTicket  # noqa: F401
from dashboard.msgtemplates.models import MessageTemplate, TemplateRevision  # noqa: F401
from dashboard.notifications.models import Recall, Send, SendTask  # noqa: F401
from dashboard.schedules.models import Schedule, ScheduleRun  # noqa: F401
