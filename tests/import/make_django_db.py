#!/usr/bin/python3
"""Makes a Django database with the real Django of Debian (python3-django), for the import tests.

    make_django_db.py OUT.sqlite3 [--custom]            # a SQLite file
    make_django_db.py postgresql://... [--custom]       # a PostgreSQL database (python3-psycopg2)

Users are made by Django itself, each with another of its password hashers, some in groups, one
staff, one superuser, one inactive that never logged in, one deactivated after a login, one with
an unusable password. --custom uses a custom user model (AUTH_USER_MODEL = accounts.Member, with an
avatar and a phone number), as Djoser projects often do. Prints one JSON line per user:
{"username", "email", "password", "hasher"} (password null when unusable).
"""
import json
import os
import sys
import tempfile

out = sys.argv[1]
custom = "--custom" in sys.argv[2:]

app_dir = tempfile.mkdtemp(prefix="django-app-")
if custom:
    # A minimal app with a custom user model; its migration is made by Django below.
    os.makedirs(os.path.join(app_dir, "accounts", "migrations"))
    open(os.path.join(app_dir, "accounts", "__init__.py"), "w").close()
    open(os.path.join(app_dir, "accounts", "migrations", "__init__.py"), "w").close()
    with open(os.path.join(app_dir, "accounts", "models.py"), "w") as f:
        f.write(
            "from django.contrib.auth.models import AbstractUser\n"
            "from django.db import models\n\n"
            "class Member(AbstractUser):\n"
            "    email = models.EmailField(unique=True)\n"
            "    avatar = models.ImageField(upload_to='avatars/', blank=True, null=True)\n"
            "    phone = models.CharField(max_length=20, blank=True)\n"
        )
    sys.path.insert(0, app_dir)

import django
from django.conf import settings

if out.startswith("postgresql://"):
    from urllib.parse import urlparse, parse_qs
    url = urlparse(out)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": url.path.lstrip("/"),
                "HOST": query.get("host", url.hostname or ""), "PORT": query.get("port", url.port or ""),
                "USER": query.get("user", url.username or "")}
else:
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": out}

settings.configure(
    DEBUG=False,
    USE_TZ=True,
    SECRET_KEY="only-for-this-test",
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"] + (["accounts"] if custom else []),
    AUTH_USER_MODEL="accounts.Member" if custom else "auth.User",
    DATABASES={"default": database},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
    ],
)
django.setup()

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

if custom:
    call_command("makemigrations", "accounts", verbosity=0)
call_command("migrate", verbosity=0)

User = get_user_model()
editors = Group.objects.create(name="editors")
Group.objects.create(name="nobody-here")

people = [
    # username, hasher, extra
    ("pam", "pbkdf2_sha256", {"is_staff": True, "first_name": "Pam", "last_name": "Beesly"}),
    ("sid", "pbkdf2_sha1", {}),
    ("ada", "argon2", {"is_superuser": True, "is_staff": True}),
    ("ben", "bcrypt_sha256", {}),
    ("bea", "bcrypt", {}),
    ("ivy", "pbkdf2_sha256", {"is_active": False}),              # never activated, never logged in
    ("oli", "pbkdf2_sha256", {"is_active": False, "logged": True}),  # deactivated after a login
    ("una", None, {}),                                            # an unusable password
]
for username, hasher, extra in people:
    password = "Django-pass-" + username + "-42"
    logged = extra.pop("logged", False)
    user = User(username=username, email=username + "@Example.COM", **extra)
    user.password = make_password(password, hasher=hasher) if hasher else make_password(None)
    if logged:
        user.last_login = timezone.now()
    if custom and username == "pam":
        user.avatar = "avatars/pam.png"
        user.phone = "555-0100"
    user.save()
    if username in ("pam", "ben"):
        user.groups.add(editors)
    print(json.dumps({"username": username, "email": username + "@example.com",
                      "password": password if hasher else None, "hasher": hasher,
                      "hash": user.password}))
