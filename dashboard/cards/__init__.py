"""Interactive cards: send a card from a card template (a Send with ``channel="card"``),
update it, and record each button press DingTalk calls back (signed, reference §6.4)."""

from flask import Blueprint

bp = Blueprint("cards", __name__)

from dashboard.cards import views  # noqa: E402,F401


@bp.app_context_processor
def card_helpers():
    """``card_presses(send)`` for a card send's page (notifications/detail.html)."""
    from dashboard.cards.service import callback_url, confirmations, responses
    from dashboard.directory.names import display_user

    def card_presses(send):
        rows = confirmations(send)
        for row in rows:
            row["name"] = display_user(row["user_id"])
        pressed = {row["user_id"] for row in rows}
        # A card to people: who has not pressed yet (a card in a group: its members are
        # DingTalk's to know, so only the presses are listed).
        waiting = [
            {"user_id": u, "name": display_user(u)} for u in send.userids if u not in pressed
        ]
        return {
            "confirmations": rows,
            "waiting": waiting,
            "total": len(responses(send_id=send.id)),
            "callback": callback_url() is not None,
        }

    return {"card_presses": card_presses}


def init_app(app) -> None:
    """The card callback is DingTalk's push: open to anyone, its signature checked in the view."""
    try:
        from dashboard.auth.permissions import ENDPOINT_RULES, PUBLIC, Rule
    except ImportError:  # a console without the permissions table
        return
    ENDPOINT_RULES.setdefault("cards.callback", Rule(PUBLIC))
