"""The demo catalogue: its customers, jobs, products and problem texts, read from data.

`customers.toml` lists the customers and their jobs (product, schedule, objects, scripted
problems), `products.toml` the report kinds (default sender, random problems), the
problem texts both name and the mails no parser reads, `follow_up.toml` the texts of the
team's tickets and remarks. They sit next to this module (package data) and are read
once, with the stdlib; see their header comments for their fields. A mistake in them (an
unknown product, key, text or schedule) raises `CatalogueError` naming where it is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from backupchecks_tui.demo.generators import GENERATORS
from backupchecks_tui.demo.mail import DemoObject
from backupchecks_tui.domain import RunStatus

DATA_FILES = ("customers.toml", "products.toml", "follow_up.toml")
"""The data files of the catalogue (in this package)."""

Identity = Literal["host", "sender", "organisation"]
"""What a product's parser reports as a job's host: see `JobSpec.product_host`."""

Problem = tuple[RunStatus, str]
"""A status and the message that goes with it."""

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS = frozenset(range(5))
_ALL_DAYS = frozenset(range(7))
_IDENTITIES: frozenset[str] = frozenset({"host", "sender", "organisation"})
_PROBLEM_STATUSES = frozenset({RunStatus.WARNING, RunStatus.FAILED})


class CatalogueError(ValueError):
    """A data file of the demo catalogue says something the demo cannot use."""


@dataclass(frozen=True, slots=True)
class Customer:
    """A demo customer: display name, mail domain and hostname prefix."""

    name: str
    domain: str
    code: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a job runs: clock times on a set of weekdays (0 = Monday)."""

    times: tuple[time, ...]
    days: frozenset[int] = _ALL_DAYS

    @property
    def label(self) -> str:
        """'daily 22:00', 'weekdays 12:30', 'weekly Sat 02:00' (what `parse` reads)."""
        clocks = "+".join(f"{t:%H:%M}" for t in self.times)
        if self.days == _ALL_DAYS:
            return f"daily {clocks}"
        if self.days == _WEEKDAYS:
            return f"weekdays {clocks}"
        names = ",".join(_DAY_NAMES[d] for d in sorted(self.days))
        return f"weekly {names} {clocks}"

    @classmethod
    def parse(cls, label: str) -> Schedule:
        """The schedule a `label` names: 'daily 22:00', 'weekdays 12:00+17:00', 'weekly
        Sat 02:00', 'weekly Mon,Thu 02:00'."""
        words = label.split()
        try:
            times = tuple(time.fromisoformat(c) for c in words[-1].split("+"))
            if words[0] == "daily" and len(words) == 2:
                return cls(times)
            if words[0] == "weekdays" and len(words) == 2:
                return cls(times, _WEEKDAYS)
            if words[0] == "weekly" and len(words) == 3:
                return cls(times, frozenset(_DAY_NAMES.index(d) for d in words[1].split(",")))
        except (IndexError, ValueError):
            pass
        msg = f"unknown schedule {label!r}"
        raise CatalogueError(msg)


@dataclass(frozen=True, slots=True)
class Issue:
    """A scripted problem: on which runs (days ago; None = every run), which status and text.

    `target` names the object that has the problem ('' = the job itself).
    """

    status: RunStatus
    message: str
    target: str = ""
    days_ago: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class Product:
    """One report kind: how its jobs send, what its parser reports, its random problems.

    `sender` is the default From address ('{domain}' and '{host}' filled in per job);
    `object_kind` the kind of objects named without one; `object_noise` the random
    problems of one object, `job_noise` those of a job (without objects, or of a product
    without object noise).
    """

    kind: str
    sender: str
    identity: Identity
    object_kind: str = ""
    object_noise: tuple[Problem, ...] = ()
    job_noise: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One demo job: product, identity, schedule, objects and scripted problems.

    `silent_days` > 0 makes the job stop sending: no mail in the last `silent_days` days.
    `unmapped` leaves its host without a customer rule (it shows as Unassigned).
    """

    customer: Customer
    product: Product
    job: str
    sender: str
    schedule: Schedule
    host: str = ""
    detail: str = ""
    objects: tuple[DemoObject, ...] = ()
    minutes: int = 30
    issues: tuple[Issue, ...] = ()
    silent_days: int = 0
    unmapped: bool = False

    @property
    def kind(self) -> str:
        """The report kind (a key of `generators.GENERATORS`)."""
        return self.product.kind

    @property
    def product_host(self) -> str:
        """The host the product's parser reports for this job (the job's identity)."""
        if self.product.identity == "host":
            return self.host
        if self.product.identity == "organisation":
            return self.detail or self.customer.domain
        return self.sender

    @property
    def needs_host_rule(self) -> bool:
        """Whether the customer's sender-domain rule cannot map this job by itself."""
        host = self.product_host.lower()
        domain = self.customer.domain.lower()
        return not (host == domain or host.endswith(("." + domain, "@" + domain)))


@dataclass(frozen=True, slots=True)
class UnparsedMail:
    """A mail no parser reads: its builder (`kind`), From, host, subject and when sent."""

    kind: str
    sender: str
    host: str
    subject: str
    days_ago: int
    at: time
    duration: timedelta


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Everything the data files describe, in their order."""

    customers: tuple[Customer, ...]
    jobs: tuple[JobSpec, ...]
    products: dict[str, Product]
    unparsed: tuple[UnparsedMail, ...]
    follow_up: dict[str, dict[str, str]]
    """The tickets' and remarks' fields by key ('nas', 'pos', …): see follow_up.toml."""


@cache
def catalogue() -> Catalogue:
    """The demo catalogue (read from the data files once)."""
    return load(_read("customers.toml"), _read("products.toml"), _read("follow_up.toml"))


def load(
    customers_data: dict[str, Any],
    products_data: dict[str, Any],
    follow_up_data: dict[str, Any] | None = None,
) -> Catalogue:
    """The catalogue the parsed data files describe (`CatalogueError` on a mistake)."""
    texts: dict[str, str] = dict(products_data.get("text", {}))
    products = {
        kind: _product(kind, table, texts) for kind, table in products_data["product"].items()
    }
    customers: list[Customer] = []
    jobs: list[JobSpec] = []
    for table in customers_data["customer"]:
        customer = Customer(table["name"], table["domain"], table["code"])
        customers.append(customer)
        for job in table.get("job", []):
            try:
                jobs += _jobs(customer, job, products, texts)
            except (KeyError, TypeError, ValueError) as exc:
                where = f"{customer.name}, {job.get('kind')} {job.get('name', '')}".rstrip()
                msg = f"customers.toml, {where}: {exc}"
                raise CatalogueError(msg) from exc
    unparsed = tuple(
        UnparsedMail(
            kind=m["kind"],
            sender=m["sender"],
            host=m["host"],
            subject=m["subject"],
            days_ago=m["days_ago"],
            at=time.fromisoformat(m["time"]),
            duration=timedelta(seconds=m["seconds"]),
        )
        for m in products_data.get("unparsed", [])
    )
    follow_up = _follow_up(follow_up_data or {}, {(j.customer.name, j.job) for j in jobs})
    return Catalogue(tuple(customers), tuple(jobs), products, unparsed, follow_up)


def _follow_up(data: dict[str, Any], jobs: set[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """The tickets and remarks of follow_up.toml by key, each about a job of the catalogue."""
    out: dict[str, dict[str, str]] = {}
    for section in ("ticket", "remark"):
        for key, fields in data.get(section, {}).items():
            where = f"follow_up.toml, {section}.{key}"
            if key in out:
                msg = f"{where}: a ticket or remark has this key already"
                raise CatalogueError(msg)
            if (fields.get("customer"), fields.get("job")) not in jobs:
                msg = f"{where}: no job {fields.get('job')!r} of {fields.get('customer')!r}"
                raise CatalogueError(msg)
            out[key] = dict(fields)
    return out


def _read(name: str) -> dict[str, Any]:
    """One data file of this package, parsed."""
    return tomllib.loads(files(__package__).joinpath(name).read_text(encoding="utf-8"))


def _text(message: str, texts: dict[str, str]) -> str:
    """`message` with each '{name}' replaced by the problem text of that name."""
    try:
        return message.format_map(texts)
    except (KeyError, ValueError) as exc:
        msg = f"message {message!r} names an unknown text ({exc})"
        raise CatalogueError(msg) from exc


def _problems(rows: list[dict[str, str]], texts: dict[str, str]) -> tuple[Problem, ...]:
    """(status, message) pairs of a noise list."""
    return tuple((_status(r["status"]), _text(r["message"], texts)) for r in rows)


def _status(value: str) -> RunStatus:
    """A problem status ('warning' or 'failed')."""
    status = RunStatus(value)
    if status not in _PROBLEM_STATUSES:
        msg = f"a problem is 'warning' or 'failed', not {value!r}"
        raise CatalogueError(msg)
    return status


def _product(kind: str, table: dict[str, Any], texts: dict[str, str]) -> Product:
    """One `[product.<kind>]` table."""
    where = f"products.toml, {kind}"
    _only(table, _PRODUCT_KEYS, where)
    if kind not in GENERATORS:
        msg = f"{where}: no report builder makes this kind"
        raise CatalogueError(msg)
    identity = table["identity"]
    if identity not in _IDENTITIES:
        msg = f"{where}: unknown identity {identity!r}"
        raise CatalogueError(msg)
    try:
        return Product(
            kind=kind,
            sender=table["sender"],
            identity=identity,
            object_kind=table.get("object_kind", ""),
            object_noise=_problems(table.get("object_noise", []), texts),
            job_noise=_problems(table.get("job_noise", []), texts),
        )
    except (KeyError, ValueError) as exc:
        msg = f"{where}: {exc}"
        raise CatalogueError(msg) from exc


_PRODUCT_KEYS = frozenset({"sender", "identity", "object_kind", "object_noise", "job_noise"})
_JOB_KEYS = frozenset(
    {
        "kind",
        "name",
        "clients",
        "devices",
        "schedule",
        "sender",
        "host",
        "detail",
        "minutes",
        "objects",
        "silent_days",
        "unmapped",
        "issue",
    }
)
_ISSUE_KEYS = frozenset({"status", "message", "target", "days_ago"})


def _only(table: dict[str, Any], keys: frozenset[str], where: str) -> None:
    """Reject keys of `table` outside `keys` (a typo would be ignored otherwise)."""
    if unknown := sorted(set(table) - keys):
        msg = f"{where}: unknown key(s) {', '.join(unknown)}"
        raise CatalogueError(msg)


def _jobs(
    customer: Customer, table: dict[str, Any], products: dict[str, Product], texts: dict[str, str]
) -> list[JobSpec]:
    """The job (or, for a fleet of clients or devices, the jobs) of one `[[customer.job]]`."""
    _only(table, _JOB_KEYS, "job")
    product = products.get(table["kind"])
    if product is None:
        msg = f"unknown product {table['kind']!r}"
        raise CatalogueError(msg)
    issues = [_issue(i, texts) for i in table.get("issue", [])]
    objects = tuple(_object(o, product.object_kind) for o in table.get("objects", []))
    schedule = Schedule.parse(table["schedule"])

    def one(job: str, host: str, mine: list[Issue]) -> JobSpec:
        """One job of the table."""
        sender = table.get("sender") or product.sender.format(domain=customer.domain, host=host)
        return JobSpec(
            customer,
            product,
            job,
            sender,
            schedule,
            host=host,
            detail=table.get("detail", ""),
            objects=objects,
            minutes=table.get("minutes", 30),
            issues=tuple(mine),
            silent_days=table.get("silent_days", 0),
            unmapped=table.get("unmapped", False),
        )

    if "clients" in table:  # one job per client, named after it
        return [
            one(c, table.get("host", ""), [i for i in issues if i.target == c])
            for c in table["clients"]
        ]
    if "devices" in table:  # one job per device under one plan; the device is its host
        return [
            one(table["name"], d, [i for i in issues if i.target == d]) for d in table["devices"]
        ]
    return [one(table["name"], table.get("host", ""), issues)]


def _issue(table: dict[str, Any], texts: dict[str, str]) -> Issue:
    """One `[[customer.job.issue]]`."""
    _only(table, _ISSUE_KEYS, "issue")
    days = table.get("days_ago")
    return Issue(
        status=_status(table["status"]),
        message=_text(table["message"], texts),
        target=table.get("target", ""),
        days_ago=None if days is None else frozenset(days),
    )


def _object(value: str | dict[str, str], default_kind: str) -> DemoObject:
    """A successful object: 'name', or {name, kind}."""
    if isinstance(value, str):
        return DemoObject(value, kind=default_kind)
    return DemoObject(value["name"], kind=value.get("kind", default_kind))
