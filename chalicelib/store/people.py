"""Who may sign in: customers, helpers by e-mail, staff (``customers``, ``helpers``, ``staff``)."""
from __future__ import annotations

from chalicelib.store._dynamo import _create, _fields, _get, _record, _update
from chalicelib.store import current
from chalicelib.store.records import StaffRecord, CustomerRecord


class People:
    """Who may sign in: customers (created on first use), helpers by e-mail, staff."""

    def customer(self, customer_id: str) -> CustomerRecord | None:
        from chalicelib.models.customers import Customer
        item = _get(Customer, customer_id, consistent=True)
        return _record(CustomerRecord, item) if item is not None else None

    def add_customer(self, customer: CustomerRecord) -> None:
        from chalicelib.models.customers import Customer
        _create(Customer(**{k: v for k, v in _fields(customer).items() if v is not None},
                         email_key=f"{customer.tenant_id}#{customer.email}"), Customer.customer_id)

    def helper_id_by_email(self, tenant_id: str, email: str) -> str | None:
        from chalicelib.models.helpers import Helper
        return next((h.helper_id for h in Helper.by_email.query(f"{tenant_id}#{email}", limit=1)), None)

    def staff(self, email: str) -> StaffRecord | None:
        from chalicelib.models.staff import Staff
        try:
            return _record(StaffRecord, Staff.get(email))
        except Staff.DoesNotExist:
            return None

    def ops_for(self, tenant_id: str) -> list[StaffRecord]:
        """The ops staff who look after ``tenant_id`` (its own and the platform's, ``*``)."""
        from chalicelib.models.staff import Staff
        # the staff table is small (tens of rows): a filtered scan is fine here
        return [_record(StaffRecord, s) for s in Staff.scan() if s.role == "ops" and s.tenant_id in ("*", tenant_id)]

    def add_staff(self, staff: StaffRecord, created_at: str) -> None:
        """Add a staff account (a partner's administrator); ``AlreadyExists`` if the e-mail is
        staff already (here or at another tenant)."""
        from chalicelib.models.staff import Staff
        _create(Staff(**_fields(staff), created_at=created_at), Staff.email)

    # ---- what a customer's next booking offers (issue 18: services.bookings) ----------------

    def remember_details(self, customer_id: str, *, name: str, phone: str | None = None,
                         address: dict | None = None) -> None:
        """Keep a customer's name, and phone and on-site address if given (None keeps the stored
        one); ConditionFailed if there is no such customer (nothing is created)."""
        from chalicelib.models.customers import Customer
        actions = [Customer.name.set(name)]
        if phone:
            actions.append(Customer.phone.set(phone))
        if address is not None:
            actions.append(Customer.address.set(address))
        _update(Customer(customer_id), actions=actions, condition=Customer.customer_id.exists(),
                refused=f"customer {customer_id} is not there")


_people = People()


def people() -> People:
    """The people repository in force (DynamoDB unless a test put a twin in place)."""
    return current("people") or _people
