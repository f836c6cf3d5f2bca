"""Extension singletons, bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Message catalogues (portal/translations) for the translated pages: see portal/i18n.py.
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
# Rate limits (sign-in): counted in RATELIMIT_STORAGE_URI, shared by every app server using it.
limiter = Limiter(key_func=get_remote_address)
