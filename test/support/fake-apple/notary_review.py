#!/usr/bin/env python3
"""The fake notary's verdict on an uploaded archive, for the REST API stand-in (test/support/fakeNotary.ts): the same
judge as the fake notarytool (fake.py `review`), printed as JSON {status, issues, hashes: [[member, arch, cdhash]]}.
Usage: notary_review.py ARCHIVE_FILE SUBMISSION_NAME"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import fake  # noqa: E402

found = fake.container(sys.argv[1])
if found is None:
    print(json.dumps({'status': 'Invalid', 'issues': [{'severity': 'error', 'code': None, 'path': sys.argv[2], 'message': 'The archive is not a zip, disk image or installer package.', 'docUrl': None, 'architecture': None}], 'hashes': []}))
else:
    status, issues, hashes = fake.review(sys.argv[2], found[1])
    print(json.dumps({'status': status, 'issues': issues, 'hashes': hashes}))
