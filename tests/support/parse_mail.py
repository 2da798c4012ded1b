#!/usr/bin/python3
"""Parses an RFC 5322/MIME message (a .eml file) with Python's standard email package
(policy=email.policy.default, the standards-compliant parser) and prints JSON for tests:

  headers      decoded Subject, From, To, Reply-To, Message-ID, Date, MIME-Version
  from, reply_to, to   [{"name": display name (decoded), "address": addr-spec}, ...]
  structure    the MIME tree, e.g. "multipart/mixed(multipart/alternative(text/plain,text/html),text/csv)"
  text, html   the decoded text/plain and text/html parts (the first of each that is no attachment)
  attachments  [{"filename", "content_type", "size", "sha256", "disposition"}] of parts with a
               Content-Disposition of attachment
  inline       [{"content_id", "filename", "content_type", "size", "sha256"}] of parts with a
               Content-ID
  defects      every defect the parser registered, anywhere in the tree, as class names
  header_lines_ascii  true when every header line is 7-bit ASCII
  max_line_length     the longest line of the raw message, in bytes, without its CRLF
  bare_lf      true when some line ends in LF without CR

Usage: parse_mail.py FILE.eml
"""

import email
import email.policy
import hashlib
import json
import sys


def structure(part):
    if part.is_multipart():
        return f"{part.get_content_type()}({','.join(structure(p) for p in part.iter_parts())})"
    return part.get_content_type()


def mailboxes(header):
    if header is None:
        return []
    return [{"name": a.display_name, "address": a.addr_spec} for a in header.addresses]


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        raw = f.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)

    headers = {}
    for name in ("Subject", "From", "To", "Reply-To", "Message-ID", "Date", "MIME-Version"):
        value = message.get(name)
        if value is not None:
            headers[name] = str(value)

    out = {
        "headers": headers,
        "from": mailboxes(message.get("From")),
        "reply_to": mailboxes(message.get("Reply-To")),
        "to": mailboxes(message.get("To")),
        "structure": structure(message),
        "text": None,
        "html": None,
        "attachments": [],
        "inline": [],
        "defects": [],
    }

    for part in message.walk():
        out["defects"] += [type(d).__name__ for d in part.defects]
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        content_id = part.get("Content-ID")
        if content_id is not None:
            out["inline"].append({
                "content_id": str(content_id).strip().strip("<>"),
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
            })
        elif part.get_content_disposition() == "attachment":
            out["attachments"].append({
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "disposition": part.get_content_disposition(),
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
            })
        elif part.get_content_type() == "text/plain" and out["text"] is None:
            out["text"] = part.get_content()
        elif part.get_content_type() == "text/html" and out["html"] is None:
            out["html"] = part.get_content()

    header_block = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    out["header_lines_ascii"] = all(b < 0x80 for b in header_block)
    lines = raw.split(b"\n")
    out["max_line_length"] = max((len(line.rstrip(b"\r")) for line in lines), default=0)
    out["bare_lf"] = any(not line.endswith(b"\r") for line in lines[:-1])

    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
