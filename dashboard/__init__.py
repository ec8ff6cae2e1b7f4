"""DingTalk dashboard: a web console and JSON API for the DingTalk server API."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from werkzeug.routing import IntegerConverter

from dashboard.config import ROOT, Config
from dashboard.dingtalk.errors import DingTalkError
from dashboard.extensions import (
    babel,
    cache,
    compress,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)
from dashboard.services.dingtalk import NotConfigured

logger = logging.getLogger(__name__)

BLUEPRINTS = (
    ("dashboard.main", None),
    ("dashboard.auth", None),
    ("dashboard.ops", None),
    ("dashboard.notifications", "/notifications"),
    ("dashboard.directory", None),
    ("dashboard.chats", "/chats"),
    ("dashboard.robot", "/robot"),
    ("dashboard.cards", "/cards"),
    ("dashboard.msgtemplates", "/templates"),
    ("dashboard.groups", "/groups"),
    ("dashboard.schedules.views", "/schedules"),
    ("dashboard.api", "/api"),
    ("dashboard.isv.views", "/isv"),
    ("dashboard.delivery", None),  # the queue and its `flask delivery worker` command
    ("dashboard.audit", "/audit"),
    ("dashboard.events", "/events"),  # the events log; `flask events run` (Stream mode)
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, commands."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=Config.INSTANCE_PATH,
    )
    app.config.from_object(Config)
    app.json.ensure_ascii = False  # Chinese messages as UTF-8 text, as the API replies do
    if test_config:
        app.config.update(test_config)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        redis_cache = str(app.config.get("CACHE_TYPE", "")).lower().endswith("rediscache")
        shared = app.config.get("CACHE_REDIS_URL") if redis_cache else None
        app.config["RATELIMIT_STORAGE_URI"] = shared or "memory://"
    ensure_instance(app)
    trust_proxies(app)
    configure_logging(app)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_static_files(app)
    ensure_first_admin(app)
    return app


def ensure_instance(app: Flask) -> None:
    """Create instance/ and, when none is configured, a persistent SECRET_KEY in it."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if app.config.get("CACHE_TYPE") == "FileSystemCache":
        Path(app.config["CACHE_DIR"]).mkdir(parents=True, exist_ok=True)


def trust_proxies(app: Flask) -> None:
    """Behind nginx, take the client's address and scheme from the proxy's headers."""
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def configure_logging(app: Flask) -> None:
    from dashboard.log import configure_logging as configure

    configure(app)


def register_extensions(app: Flask) -> None:
    from dashboard import i18n
    from dashboard.services import dingtalk

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    cache.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    i18n.compile_catalogs()
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=";".join(str(d) for d in i18n.translation_directories()),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    dingtalk.init_app(app)

    from dashboard.auth.models import load_session_user

    # "id:session version": a session or remember-me cookie of an older version is refused
    login_manager.user_loader(load_session_user)

    import dashboard.models  # noqa: F401  (every table, for Alembic and create_all)


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>``: a row id, at most 2**31 - 1 (PostgreSQL's integer, SQLite's
    int64), so a huge number in a URL is a 404 rather than a database error."""

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, **kwargs)


class DingTalkIdConverter(IntegerConverter):
    """``<int64:...>``: a DingTalk id (department ids are 64-bit numbers)."""

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, **kwargs)


def register_converters(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_map.converters["int64"] = DingTalkIdConverter


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for module_name, prefix in BLUEPRINTS:
        module = import_module(module_name)
        app.register_blueprint(module.bp, url_prefix=prefix)
        if hasattr(module, "init_app"):
            module.init_app(app)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


# Longest request target (path and query string, as sent) the app serves; longer
# ones get the console's 414 page. Anything gunicorn's old 4094-byte request line
# let through still passes.
MAX_URL_LENGTH = 4096


def register_errorhandlers(app: Flask) -> None:
    """One handler per status, rendering errors/<code>.html or JSON for the API."""

    def render_error(code: int, message: str):
        if wants_json():
            return jsonify(success=False, msg=message), code
        return render_template("errors/error.html", code=code, message=message), code

    messages = {
        400: lambda: _("The request was not understood."),
        403: lambda: _("You are not allowed to do that."),
        404: lambda: _("This page does not exist."),
        405: lambda: _("This method is not allowed here."),
        413: lambda: _("The request is too large."),
        414: lambda: _(
            "This address is too long. Shorten the search or the filters and try again."
        ),
        429: lambda: _("Too many requests. Please wait a moment and try again."),
        500: lambda: _("Something went wrong on our side. The error has been logged."),
    }

    def handler(code, message):
        def handle(e):
            # A response prepared by whoever raised (e.g. the API's own 429 with
            # Retry-After) is kept as it is.
            prepared = getattr(e, "response", None)
            return prepared if prepared is not None else render_error(code, message())

        return handle

    for code, message in messages.items():
        app.register_error_handler(code, handler(code, message))

    def refuse_long_urls():
        # First of all before_request hooks: no sign-in redirect carrying the long URL.
        # gunicorn lets request lines up to 8190 bytes through (gunicorn.conf.py).
        target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
        limit = app.config.get("MAX_URL_LENGTH", MAX_URL_LENGTH)
        if len(target) > limit or len(request.path) > limit:
            abort(414)

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_long_urls)

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(
            400, _("The form has expired or was not sent from this site. Please try again.")
        )

    @app.errorhandler(NotConfigured)
    def not_configured(e: NotConfigured):
        return render_error(
            503, _("DingTalk is not configured on this server: %(hint)s", hint=str(e))
        )

    @app.errorhandler(DingTalkError)
    def dingtalk_error(e: DingTalkError):
        logger.warning("unhandled DingTalk error on %s: %s", request.path, e)
        return render_error(502, _("DingTalk answered an error: %(error)s", error=str(e)))


def register_template_helpers(app: Flask) -> None:
    """Filters and globals for the templates of every blueprint (none registers its own)."""
    from flask_babel import get_locale

    from dashboard.composer.fields import msgtype_label
    from dashboard.directory.names import display_dept, display_user
    from dashboard.main.templating import install_ui_helpers, notice_time, picker_config
    from dashboard.services.dingtalk import isv_mode

    app.add_template_filter(display_user, "username")
    app.add_template_filter(display_dept, "deptname")
    app.add_template_filter(notice_time, "notice_time")
    app.add_template_filter(msgtype_label, "msgtype_label")
    app.add_template_global(picker_config, "picker_config")
    install_ui_helpers(app)  # plurals, charts, read rates, head counts

    @app.context_processor
    def inject_globals():
        return {"current_locale": str(get_locale()), "isv_mode": isv_mode(app)}


def register_static_files(app: Flask) -> None:
    """Static files content-hashed, precompressed and served by WhiteNoise."""
    from dashboard.main import assets

    assets.init_app(app)


def ensure_first_admin(app: Flask) -> None:
    """Create or update the admin named in the environment once the tables exist."""
    from dashboard.auth.commands import ensure_admin_from_env

    with app.app_context():
        try:
            if inspect(db.engine).has_table("users"):
                ensure_admin_from_env()
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            db.session.rollback()
            logger.warning("could not ensure the first admin: %s", exc.__class__.__name__)
