#!/usr/bin/python3
"""Exit 0 when Django's own check_password accepts PASSWORD for HASH (docs/migrating.md, "Back out").

    django_check_password.py HASH PASSWORD
"""
import sys

import django
from django.conf import settings

settings.configure(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher",
                                     "django.contrib.auth.hashers.PBKDF2PasswordHasher"])
django.setup()
from django.contrib.auth.hashers import check_password

sys.exit(0 if check_password(sys.argv[2], sys.argv[1]) else 1)
