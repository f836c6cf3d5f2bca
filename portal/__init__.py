"""LEAD Portal: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then test overrides."""
    from portal.config import load_settings

    app = Flask(__name__, instance_relative_config=True)
    secret_key = (test_config or {}).get("SECRET_KEY")
    app.config.from_mapping(load_settings(Path(app.instance_path), secret_key))
    if test_config:
        app.config.update(test_config)
    register_proxy(app)
    register_extensions(app)
    register_input_guards(app)
    register_blueprints(app)
    register_web(app)
    register_cli(app)
    return app


def register_proxy(app: Flask) -> None:
    """Behind `PROXY_HOPS` trusted proxies, take the client's address and scheme from them."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from portal import database, i18n
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    # Before the CSRF check: every attempt counts, and one over the limit costs no more work.
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    database.init_app(app)
    i18n.init_app(app)


def register_input_guards(app: Flask) -> None:
    """Before the blueprints: their routes compile with the guarded `int` converter."""
    from portal.web import guards

    guards.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Each front door's package defines its blueprint; its view modules attach the routes."""
    import portal.admin.audit
    import portal.admin.caseload
    import portal.admin.compliance
    import portal.admin.consents
    import portal.admin.directory_file
    import portal.admin.engagement
    import portal.admin.episodes
    import portal.admin.invitations
    import portal.admin.mail
    import portal.admin.manage
    import portal.admin.manage_directory
    import portal.admin.matching
    import portal.admin.mfa
    import portal.admin.outcomes
    import portal.admin.people
    import portal.admin.person_matches
    import portal.admin.program_page
    import portal.admin.reports
    import portal.admin.views
    import portal.auth.invitations
    import portal.auth.password
    import portal.auth.phone
    import portal.auth.reauth
    import portal.auth.sessions
    import portal.auth.views
    import portal.officer.inbox
    import portal.officer.resources
    import portal.officer.views
    import portal.provider.episode_views
    import portal.provider.packet_views
    import portal.provider.service_views
    import portal.provider.session_views
    import portal.provider.views
    import portal.provider.visit_views  # noqa: F401
    from portal.admin import bp as admin_bp
    from portal.auth import bp as auth_bp
    from portal.officer import bp as officer_bp
    from portal.provider import bp as provider_bp
    from portal.web.documents import bp as documents_bp
    from portal.web.views import bp as web_bp

    for bp in (web_bp, auth_bp, officer_bp, provider_bp, admin_bp, documents_bp):
        app.register_blueprint(bp)


def register_web(app: Flask) -> None:
    from portal.web import audit, errors, filters, security

    audit.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    security.init_app(app)


def register_cli(app: Flask) -> None:
    from portal import backup, cli, directory_cli, mail_cli

    backup.init_app(app)
    cli.init_app(app)
    mail_cli.init_app(app)
    directory_cli.init_app(app)
