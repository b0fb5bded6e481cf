"""Demo data for the local stack: the default tenant, ~50 helpers around Zürich and München with
skills, areas, rates and availability, a demo customer and an ops account. Deterministic."""
from __future__ import annotations

import math
import random

from chalicelib.domain.catalog import CATEGORIES

CITIES = {
    "Zürich": {"lat": 47.3769, "lon": 8.5417, "postcodes": ["8001", "8003", "8004", "8005", "8006", "8008", "8032", "8037", "8044", "8050"], "langs": ["de", "en", "fr", "it"]},
    "München": {"lat": 48.1351, "lon": 11.5820, "postcodes": ["80331", "80333", "80469", "80634", "80796", "81369", "81541", "81667", "81675", "80999"], "langs": ["de", "en", "it"]},
}
FIRST = ["Anna", "Luca", "Sofia", "Jonas", "Mia", "Noah", "Lea", "Elias", "Lena", "David", "Laura", "Marco",
         "Sara", "Tim", "Nina", "Fabian", "Julia", "Paul", "Chiara", "Samuel", "Eva", "Leon", "Giulia", "Ben", "Aline"]
LAST = ["Meier", "Keller", "Huber", "Schmid", "Weber", "Fischer", "Brunner", "Baumann", "Rossi", "Müller",
        "Bauer", "Wagner", "Hofmann", "Frei", "Moser"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

DEMO_CUSTOMER = "demo@crowdfix.local"
DEMO_HELPER = "helper@crowdfix.local"
DEMO_OPS = "ops@crowdfix.local"


def _jitter(rng: random.Random, lat: float, lon: float, max_km: float) -> tuple[float, float]:
    r = max_km * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    dlat = (r * math.cos(theta)) / 111.32
    dlon = (r * math.sin(theta)) / (111.32 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def demo_helpers(tenant_id: str, count: int = 50, seed: int = 66) -> list[dict]:
    rng = random.Random(seed)
    helpers = []
    for i in range(count):
        city = "Zürich" if i % 2 == 0 else "München"
        c = CITIES[city]
        lat, lon = _jitter(rng, c["lat"], c["lon"], 12)
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        skills = {cat: rng.choice([1, 2, 3]) for cat in rng.sample(CATEGORIES[:-1], rng.randint(2, 4))}
        skills.setdefault("other", 1)
        start, end = rng.choice([("08:00", "17:00"), ("09:00", "18:00"), ("12:00", "20:00"), ("07:00", "12:00")])
        days = rng.sample(WEEKDAYS, rng.randint(3, 6))
        helpers.append({
            "helper_id": f"h_demo{i:04d}", "tenant_id": tenant_id,
            "email": DEMO_HELPER if i == 0 else f"helper{i}@crowdfix.local",
            "name": f"{first} {last}", "first_name": first, "city": city,
            "skills": skills, "qualifications": [f"{cat.replace('_', ' ')} level {lvl}" for cat, lvl in skills.items()],
            "lat": lat, "lon": lon, "service_radius_km": rng.choice([5, 8, 10, 15, 20]),
            "hourly_rate": rng.choice([4500, 5000, 5500, 6000, 6500, 7500]),
            "languages": sorted(set(["de"] + rng.sample(c["langs"], rng.randint(1, 2)))),
            "remote": rng.random() < 0.6,
            "availability": {d: [[start, end]] for d in days},
            "on_call": i % 10 == 0, "status": "verified" if i % 12 == 11 else "active",
            "rating_count": rng.randint(0, 40),
        })
        helpers[-1]["rating_sum"] = round(helpers[-1]["rating_count"] * rng.uniform(4.0, 5.0), 1)
    return helpers


def seed(tenant_id: str = "crowdfix", helpers: int = 50) -> dict:
    from chalicelib.models.base import now_iso
    from chalicelib.models.helpers import Helper
    from chalicelib.models.staff import Staff
    from chalicelib.models.tenants import Tenant
    from chalicelib.services.auth import ensure_customer

    now = now_iso()
    Tenant(tenant_id=tenant_id, name="crowdfix", locale="de", currency="CHF",
           branding={"primary": "#0b5cad", "logo_url": None}, settings={}, created_at=now).save()
    rows = demo_helpers(tenant_id, helpers)
    with Helper.batch_write() as batch:
        for row in rows:
            batch.save(Helper(**row, email_key=f"{tenant_id}#{row['email']}",
                              tenant_status=f"{tenant_id}#{row['status']}", created_at=now))
    customer = ensure_customer(tenant_id, DEMO_CUSTOMER, name="Demo Kundin", language="de")
    Staff(email=DEMO_OPS, staff_id="s_demoops1", name="Demo Ops", role="ops", tenant_id="*", created_at=now).save()
    return {"tenant": tenant_id, "helpers": len(rows), "customer": customer.email, "helper": DEMO_HELPER,
            "ops": DEMO_OPS}
