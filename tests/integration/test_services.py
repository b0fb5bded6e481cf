"""The local services really answer, point boto3 at themselves, and go away when stopped. Told as
given / when / then."""

from __future__ import annotations

import socket
import uuid

import boto3
import pytest
import requests

from localdev.services import HOST, LocalServices, read_sent_emails, read_sent_sms


def test_env_points_every_endpoint_at_loopback(local_services, aws_env):
    # given the environment the session's local services export
    endpoints = {name: url for name, url in aws_env.items() if name.startswith("AWS_ENDPOINT_URL_")}
    # then every AWS service the code uses, and Stripe, points at loopback in the EU region
    assert set(endpoints) >= {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
                              "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_SES",
                              "AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_S3"}
    assert all(url.startswith(f"http://{HOST}:") for url in endpoints.values())
    assert aws_env["STRIPE_API_BASE"] == local_services.urls()["localstripe"]
    assert aws_env["AWS_REGION"] == aws_env["AWS_DEFAULT_REGION"] == "eu-central-1"


def test_dynamodb_local_answers(aws_env):
    # when a table is created through boto3
    client = boto3.client("dynamodb")
    name = f"svc-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    # then it is listed, by Amazon's implementation, not moto: the server says so
    assert name in client.list_tables()["TableNames"]
    # Amazon's implementation, not moto: the server says so.
    assert "Jetty" in client.list_tables()["ResponseMetadata"]["HTTPHeaders"].get("server", "")


def test_moto_sqs_answers(aws_env):
    # when a queue is created, then it is listed
    client = boto3.client("sqs")
    url = client.create_queue(QueueName=f"svc-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    assert url in client.list_queues().get("QueueUrls", [])


def test_localstripe_creates_a_customer(local_services):
    # when a Stripe customer is created with a test key
    response = requests.post(f"{local_services.stripe_url}/v1/customers", auth=("sk_test_local", ""),
                             data={"email": "ada@example.ch"}, timeout=5)
    # then localstripe answers with a customer id
    assert response.status_code == 200, response.text
    assert response.json()["id"].startswith("cus_")


def test_sent_email_and_sms_can_be_read_back(local_services, aws_env):
    # when an e-mail is sent through SES v1 and v2 and an SMS through SNS
    ses = boto3.client("ses")
    ses.verify_email_identity(EmailAddress="help@crowdfix.test")
    marker = uuid.uuid4().hex
    ses.send_email(Source="help@crowdfix.test", Destination={"ToAddresses": ["ada@example.ch"]},
                   Message={"Subject": {"Data": f"Your helper {marker}"}, "Body": {"Text": {"Data": "On the way"}}})
    boto3.client("sesv2").send_email(
        FromEmailAddress="help@crowdfix.test", Destination={"ToAddresses": ["bob@example.ch"]},
        Content={"Simple": {"Subject": {"Data": f"v2 {marker}"}, "Body": {"Text": {"Data": "Done"}}}})
    boto3.client("sns").publish(PhoneNumber="+41791234567", Message=f"Code {marker}")

    # then both e-mails and the SMS are read back from moto, to whom they went
    emails = [e for e in read_sent_emails(local_services.moto_url) if marker in e.get("subject", "")]
    assert {(e["kind"], e["destinations"]["ToAddresses"][0]) for e in emails} == {
        ("simple", "ada@example.ch"), ("simple", "bob@example.ch")}
    sms = [s for s in read_sent_sms(local_services.moto_url) if marker in s["message"]]
    assert sms == [{"message_id": sms[0]["message_id"], "phone_number": "+41791234567", "message": f"Code {marker}"}]


def _port_is_free(port: int) -> bool:
    """Nothing listens and a server could bind it again (SO_REUSEADDR, as servers do: closed
    connections may still sit in TIME_WAIT on that port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex((HOST, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
            sock.listen()
        except OSError:
            return False
    return True


def test_stop_frees_every_port_and_is_idempotent(tmp_path):
    # given a second set of local services, started and listening
    services = LocalServices(log_dir=tmp_path, start_timeout=120).start()
    ports = services.ports()
    processes = [service.process for service in services._services.values()]
    assert set(ports) == {"dynamodb", "moto", "localstripe"}
    assert not any(_port_is_free(port) for port in ports.values())

    # when it is stopped twice
    services.stop()
    services.stop()
    # then every process ended, every port is free, the logs stay and the environment is gone

    assert all(process.poll() is not None for process in processes)
    assert all(_port_is_free(port) for port in ports.values())
    assert (tmp_path / "moto.log").exists()
    with pytest.raises(RuntimeError):
        services.env()
