#!/usr/bin/python3
"""Prints password hashes of other systems, made by their real libraries at the cheapest cost
they allow, one JSON line each: {"format", "password", "hash"}. For the hash tests and the fuzz
corpus; nothing here is typed by hand but the passwords.

Django 3.2's hashers (python3-django) with their cost lowered as a project's settings may;
plain bcrypt from python3-bcrypt ($2b$ and $2a$; $2y$ is PHP's name for the same algorithm, made
here by renaming a $2b$ hash, as PHP and libxcrypt both read it); raw Argon2 PHC strings from
python3-argon2 (argon2-cffi), with several lanes, as node's argon2 writes them.
"""
import json

import argon2
import bcrypt
import django
from django.conf import settings

settings.configure(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
django.setup()
from django.contrib.auth import hashers

PASSWORD = "Imported-pass-42 é"
LONG = "L" * 80 + "-beyond bcrypt's 72 bytes"


class CheapArgon2(hashers.Argon2PasswordHasher):
    time_cost, memory_cost, parallelism = 1, 64, 2


class CheapBCryptSHA256(hashers.BCryptSHA256PasswordHasher):
    rounds = 4


class CheapBCrypt(hashers.BCryptPasswordHasher):
    rounds = 4


def emit(fmt, password, hash_):
    print(json.dumps({"format": fmt, "password": password, "hash": hash_}))


for password in (PASSWORD, LONG):
    emit("pbkdf2_sha256", password, hashers.PBKDF2PasswordHasher().encode(password, hashers.PBKDF2PasswordHasher().salt(), 1000))
    emit("pbkdf2_sha1", password, hashers.PBKDF2SHA1PasswordHasher().encode(password, hashers.PBKDF2SHA1PasswordHasher().salt(), 1000))
    emit("django_argon2", password, CheapArgon2().encode(password, CheapArgon2().salt()))
    emit("django_bcrypt_sha256", password, CheapBCryptSHA256().encode(password, CheapBCryptSHA256().salt()))
    emit("django_bcrypt", password, CheapBCrypt().encode(password, CheapBCrypt().salt()))
    raw = password.encode()
    b = bcrypt.hashpw(raw, bcrypt.gensalt(rounds=4)).decode()
    emit("bcrypt", password, b)
    emit("bcrypt", password, bcrypt.hashpw(raw, bcrypt.gensalt(rounds=4, prefix=b"2a")).decode())
    emit("bcrypt", password, "$2y$" + b[4:])
    emit("argon2", password, argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=2).hash(password))
    emit("argon2", password, argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=argon2.Type.I).hash(password))
