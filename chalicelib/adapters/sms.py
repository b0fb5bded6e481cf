"""Sending SMS through SNS (locally: moto server, read back from its API)."""
from __future__ import annotations

from chalicelib.aws import client


def send_sms(phone: str, text: str, sender_id: str = "crowdfix") -> str:
    """Send one transactional SMS to an E.164 number; returns the provider's message id."""
    resp = client("sns").publish(
        PhoneNumber=phone, Message=text,
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": sender_id[:11]},
        })
    return resp["MessageId"]
