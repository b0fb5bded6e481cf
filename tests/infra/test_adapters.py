"""Every adapter the code uses works when deployed: each AWS client an adapter creates (grepped from
chalicelib/adapters) maps to an Allow in the role of every function that reaches it, and each
secret it reads is granted (ssm:GetParameter) and made by the deploy (scripts/deploy_preflight.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
import derive  # noqa: E402

# boto3 service name -> IAM actions a function needs to make the adapter's calls
SERVICE_ACTIONS = {
    "ses": {"ses:SendEmail"},
    "sns": {"sns:Publish"},
    "location": {"geo:SearchPlaceIndexForText"},
    "s3": {"s3:PutObject", "s3:GetObject"},
}


def _statements(tpl, role_id):
    out = []
    for p in tpl["Resources"].values():
        if p["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and any(
                r.get("Ref") == role_id for r in p["Properties"].get("Roles", [])):
            out.extend(p["Properties"]["PolicyDocument"]["Statement"])
    return out


def _allowed(statements) -> set[str]:
    return {a for st in statements if st["Effect"] == "Allow"
            for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])}


def _role(tpl, fn):
    return tpl["Resources"][fn["logical_id"]]["Properties"]["Role"]["Fn::GetAtt"][0]


def test_every_adapter_in_the_code_says_what_it_needs():
    """A new file in chalicelib/adapters fails here until ADAPTER_NEEDS says what it needs in AWS."""
    assert derive.adapter_modules() == set(derive.ADAPTER_NEEDS), \
        "chalicelib/adapters and infra/derive.py ADAPTER_NEEDS differ"
    for module, need in derive.ADAPTER_NEEDS.items():
        called = derive.aws_clients_called(module)
        assert called == need["aws_clients"], (module, called)
        assert called <= set(SERVICE_ACTIONS), f"{module} calls {called - set(SERVICE_ACTIONS)}: map it to IAM actions"
        assert derive._secret_names(derive._parsed(module)) == need.get("secrets", set()), module


def test_the_adapter_map_sees_the_clients_the_code_creates():
    """The grep itself works: the SMS, e-mail and geocoding adapters create sns, ses, location."""
    assert derive.aws_clients_called("chalicelib.adapters.sms") == {"sns"}
    assert derive.aws_clients_called("chalicelib.adapters.email") == {"ses"}
    assert derive.aws_clients_called("chalicelib.adapters.geocoding") == {"location"}


@pytest.fixture(scope="module")
def tpl(synthesized):
    return synthesized[0]


def test_each_adapter_maps_to_its_grant_in_the_prod_template(tpl, derived):
    reached = {m for f in derived["functions"] for m in f["adapters"]}
    assert {"chalicelib.adapters.sms", "chalicelib.adapters.email", "chalicelib.adapters.geocoding",
            "chalicelib.adapters.webpush", "chalicelib.adapters.stripe_gateway"} <= reached
    for fn in derived["functions"]:
        statements = _statements(tpl, _role(tpl, fn))
        allowed = _allowed(statements)
        needed = {a for m in fn["adapters"] for svc in derive.aws_clients_called(m) for a in SERVICE_ACTIONS[svc]}
        assert needed <= allowed, f"{fn['name']} reaches {fn['adapters']} but lacks {needed - allowed}"
        # least privilege: no adapter permission for a function that cannot reach the adapter
        for svc, actions in SERVICE_ACTIONS.items():
            if not any(svc in derive.aws_clients_called(m) for m in fn["adapters"]):
                assert not actions & allowed, f"{fn['name']} has {actions & allowed} it never uses"
        for secret in fn["secrets"]:
            param = f"parameter/crowdfix/prod/{secret.lower().replace('_', '-')}"
            assert any("ssm:GetParameter" in json.dumps(st["Action"]) and param in json.dumps(st["Resource"])
                       for st in statements), (fn["name"], secret)


def test_sms_publishing_cannot_reach_topics(tpl, derived):
    sms = [f for f in derived["functions"] if "chalicelib.adapters.sms" in f["adapters"]]
    assert sms
    for fn in sms:
        denies = [st for st in _statements(tpl, _role(tpl, fn)) if st["Effect"] == "Deny"]
        assert any(st["Action"] == "sns:Publish" and ":sns:*:*:*" in json.dumps(st["Resource"]) for st in denies)


def test_geocoding_gets_a_place_index_it_may_search(tpl, derived):
    (index_id, index), = [(k, v) for k, v in tpl["Resources"].items() if v["Type"] == "AWS::Location::PlaceIndex"]
    # coordinates are stored on bookings and profiles: the index must allow storing results
    assert index["Properties"]["DataSourceConfiguration"]["IntendedUse"] == "Storage"
    for fn in derived["functions"]:
        props = tpl["Resources"][fn["logical_id"]]["Properties"]
        if "chalicelib.adapters.geocoding" not in fn["adapters"]:
            continue
        assert props["Environment"]["Variables"]["CROWDFIX_PLACE_INDEX"] == index["Properties"]["IndexName"]
        geo = [st for st in _statements(tpl, _role(tpl, fn)) if "geo:SearchPlaceIndexForText" in st["Action"]]
        assert geo and geo[0]["Resource"] == {"Fn::GetAtt": [index_id, "Arn"]}


def test_the_mail_domain_is_an_ses_identity_with_dkim(tpl, derived):
    (identity,) = [r["Properties"] for r in tpl["Resources"].values() if r["Type"] == "AWS::SES::EmailIdentity"]
    assert identity["EmailIdentity"] == "crowdfix.example"
    assert {f"DkimRecord{i}" for i in (1, 2, 3)} <= set(tpl["Outputs"])
    for fn in derived["functions"]:
        if "chalicelib.adapters.email" in fn["adapters"]:
            sender = tpl["Resources"][fn["logical_id"]]["Properties"]["Environment"]["Variables"]["CROWDFIX_MAIL_FROM"]
            assert sender.endswith("@" + identity["EmailIdentity"])


def test_e_mail_is_sent_only_from_the_domain(tpl, derived):
    for fn in derived["functions"]:
        if "chalicelib.adapters.email" in fn["adapters"]:
            (ses,) = [st for st in _statements(tpl, _role(tpl, fn)) if "ses:SendEmail" in st["Action"]]
            assert ses["Condition"] == {"StringLike": {"ses:FromAddress": "*@crowdfix.example"}}
