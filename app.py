"""crowdfix API and event handlers. Creates the app, registers blueprints, wires middleware.
Nothing else: every route and event source lives in ``chalicelib/handlers``.

Cold start: the cycle collector is off while the modules load, and what they made (modules,
classes, route tables: it lives as long as the container) is then frozen out of its reach
(``gc.freeze``). Otherwise a full collection runs during the first request and walks all of it
(~30 ms of a ~0.3 s cold start, ``bench/cold_start.py``); later collections skip it too.
"""
import gc

_collecting = gc.isenabled()
gc.disable()  # until the end of this module

from chalice import Chalice

from chalicelib.handlers import billing
from chalicelib.handlers import (auth, bookings, events, geocode, helper_photo, helper_profile, matching, meta,
                                 notifications, ops, partner_pages, partners, payments, quality, reviews, sandbox, work)
from chalicelib.http import problems
from chalicelib.obs import http_middleware

app = Chalice(app_name="crowdfix")
app.api.binary_types.append("application/pdf")  # invoices (handlers/billing.py); ask with Accept: application/pdf
app.register_blueprint(auth.bp)
app.register_blueprint(bookings.bp)
app.register_blueprint(events.bp)
app.register_blueprint(matching.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(reviews.bp)
app.register_blueprint(quality.bp)
app.register_blueprint(notifications.bp)
app.register_blueprint(partners.bp)
app.register_blueprint(partner_pages.bp)
app.register_blueprint(helper_profile.bp)
app.register_blueprint(helper_photo.bp)
app.register_blueprint(geocode.bp)
app.register_blueprint(work.bp)
app.register_blueprint(ops.bp)
app.register_blueprint(sandbox.bp)  # the partner sandbox (test keys) and offer logs
app.register_blueprint(billing.bp)  # payment links, partner invoices (issue 17)
app.register_blueprint(meta.bp)  # last: its catch-all answers unknown routes with a 404 problem

problems.install(app)  # Chalice's own 4xx as problem bodies, security headers
app.register_middleware(http_middleware, "http")  # JSON logs with the request and booking id

gc.freeze()  # after the last import and registration: see the module docstring
if _collecting:
    gc.enable()
