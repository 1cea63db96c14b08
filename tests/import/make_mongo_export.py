#!/usr/bin/python3
"""Writes the users of an Express + MongoDB service as `mongoexport` writes them (JSON lines, in
relaxed and canonical extended JSON), for the jsonl import test.

    make_mongo_export.py OUT.jsonl [NODE_MODULES]

Passwords are hashed by bcrypt.js (npm bcryptjs, run by node) when NODE_MODULES holds it, as the
original service did, and by python3-bcrypt otherwise (and for the $2b$ users). Prints one JSON
line per user that should log in: {"email", "password", "by"}.
"""
import json
import os
import subprocess
import sys

import bcrypt

out_path = sys.argv[1]
modules = sys.argv[2] if len(sys.argv) > 2 else ""
have_bcryptjs = bool(modules) and os.path.isdir(os.path.join(modules, "bcryptjs"))


def bcryptjs(password):
    script = "process.stdout.write(require(process.argv[1]).hashSync(process.argv[2], 4))"
    return subprocess.run(["node", "-e", script, os.path.join(modules, "bcryptjs"), password],
                          check=True, capture_output=True, text=True).stdout


def pybcrypt(password, prefix=b"2b"):
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4, prefix=prefix)).decode()


users, logins = [], []


def user(n, email, password, hashed, by, **extra):
    doc = {"_id": {"$oid": "60be32ee49e947004e5162%02x" % n}, "email": email, "firstname": "First%d" % n,
           "lastname": "Last%d" % n, "password": hashed, "groups": [], "avatar": "avatar",
           "created_at": {"$date": "2021-06-07T14:53:34.607Z"}, "updated_at": {"$date": "2021-06-08T10:00:00Z"},
           "__v": 0}
    doc.update(extra)
    users.append(doc)
    if by:
        logins.append({"email": email, "password": password, "by": by})


for n in range(1, 4):
    pw = "Express-pass-%d" % n
    if have_bcryptjs:
        user(n, "js%d@example.com" % n, pw, bcryptjs(pw), "bcryptjs", groups=["admins"] if n == 1 else [])
    else:
        user(n, "js%d@example.com" % n, pw, pybcrypt(pw, b"2a"), "python3-bcrypt", groups=["admins"] if n == 1 else [])
user(10, "py@example.com", "Express-pass-py", pybcrypt("Express-pass-py"), "python3-bcrypt",
     birthdate={"$date": "2000-01-01T00:00:00.000Z"})
# Canonical extended JSON, as mongoexport --jsonFormat=canonical writes dates.
user(11, "canonical@example.com", "Express-pass-c", "$2y$" + pybcrypt("Express-pass-c")[4:], "python3-bcrypt ($2y$)",
     created_at={"$date": {"$numberLong": "1623077614607"}}, birthdate={"$date": {"$numberLong": "946684800000"}})
# Reported, not imported: an email differing only in case from an earlier one; a cut hash; no email.
user(12, "PY@Example.com", "x", pybcrypt("x"), None)
user(13, "cut@example.com", "x", pybcrypt("x")[:40], None)
user(14, "", "x", pybcrypt("x"), None)

with open(out_path, "w") as f:
    for doc in users:
        f.write(json.dumps(doc) + "\n")
    f.write("not json\n")
for login in logins:
    print(json.dumps(login))
