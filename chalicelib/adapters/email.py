"""Sending e-mail through SES (locally: moto server, read back from its API)."""
from __future__ import annotations

from chalicelib.aws import client
from chalicelib.settings import get_settings


def send_email(to: str, subject: str, text: str, html: str | None = None, sender: str | None = None) -> str:
    body = {"Text": {"Data": text, "Charset": "UTF-8"}}
    if html:
        body["Html"] = {"Data": html, "Charset": "UTF-8"}
    resp = client("ses").send_email(
        Source=sender or get_settings().mail_from,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
    )
    return resp["MessageId"]
