#!/usr/bin/env python3
"""Independent MIME check for the campaign delivery test: parses every *.eml in a directory with
Python's email package (policy=default) and prints one JSON object per message with the decoded
subject, To, the unsubscribe headers, the part types, parser defects and the product ids found in
the HTML part. Exit status 0 unless a file cannot be read."""
import email
import email.policy
import glob
import os
import re
import sys


def main():
    out = []
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
        with open(path, "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        defects = [type(d).__name__ for d in msg.defects]
        parts = []
        html = ""
        text = ""
        for part in msg.walk():
            defects += [type(d).__name__ for d in part.defects]
            if part.is_multipart():
                continue
            parts.append(part.get_content_type())
            if part.get_content_type() == "text/html":
                html = part.get_content()
            elif part.get_content_type() == "text/plain":
                text = part.get_content()
        out.append({
            "file": os.path.basename(path),
            "size": len(raw),
            "content_type": msg.get_content_type(),
            "subject": str(msg["Subject"]),
            "to": str(msg["To"]),
            "message_id": str(msg["Message-ID"]),
            "date": str(msg["Date"]),
            "list_unsubscribe": str(msg["List-Unsubscribe"]),
            "list_unsubscribe_post": str(msg["List-Unsubscribe-Post"]),
            "parts": parts,
            "defects": defects,
            "products": re.findall(r'data-product-id="([^"]*)"', html),
            "text_has_unsubscribe": "Unsubscribe:" in text,
        })
    for m in out:
        fields = []
        for k, v in m.items():
            if isinstance(v, list):
                v = ",".join(v)
            v = str(v).replace("\t", " ").replace("\r", " ").replace("\n", " ")
            fields.append("%s=%s" % (k, v))
        print("\t".join(fields))


if __name__ == "__main__":
    main()
