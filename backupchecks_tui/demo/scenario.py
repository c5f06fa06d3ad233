"""The demo scenario: an MSP's Monday morning, 14 days of backup report mails.

Some forty customers (fictional, `.example` / `.test` domains) run some 175 jobs over
ten products (fifteen report kinds), about 2,100 mails. Most runs succeed; on top of a
little seeded noise the scenario scripts what an operator should find:

* recurring warnings on the same VM (Van Dijk's SQL01 and its changed block tracking,
  Juniper's locked Outlook file): candidates for an override;
* jobs failing two or three days in a row up to this morning (a Hyper Backup whose
  destination is gone, a Proxmox node out of ZFS space, a backup copy whose repository
  is full, a Bareos client the storage daemon rejects, a PBS garbage collection);
* object-level problems (one VM of twenty failing its snapshot, a skipped XO VM);
* jobs that stopped sending (no mail for days: Missed later), weekday-only and weekly
  jobs, a job whose NAS is not mapped to a customer yet;
* three mails no parser reads (an unknown product, a newsletter, an auto-reply).

The customers, jobs, products and problem texts are data (`customers.toml`,
`products.toml`, read by `demo.catalogue`); this module turns them into runs and mails.
Everything is deterministic: the same `today` and zone give the same mails, byte for
byte. Runs are timed in the given zone and only runs that ended before 07:30 of
`today` are sent.

The scenario's week always ends on `today`: `today` plays Monday, the two days before
it are the weekend that weekday-only jobs skip (see `scenario_weekday`). When `today`
is a Monday this is the calendar week; on other days the "weekend" moves, so the demo
opens on a Monday-sized queue whatever the date.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from backupchecks_tui.demo.catalogue import Customer, JobSpec, catalogue
from backupchecks_tui.demo.generators import GENERATORS, UNPARSED_PREFIX, message_id
from backupchecks_tui.demo.mail import DemoObject, DemoRun
from backupchecks_tui.domain import RunStatus

DAYS = 14
"""Days of history, today included."""

MORNING = time(7, 30)
"""The scenario's 'now': this time of `today`; later runs have not happened yet."""

SEED = "backupchecks-demo-1"
"""Seed of the scenario's random noise (with the date)."""

NOISE = 0.025
"""Chance that an unscripted run gets a random problem."""


@dataclass(frozen=True, slots=True)
class DemoMail:
    """One generated mail and what the scenario expects of it."""

    kind: str
    customer: str
    job: str
    status: RunStatus
    day: date
    sent: datetime
    message_id: str
    raw: bytes
    expect_parsed: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    """The customers, jobs and mails of one demo morning."""

    today: date
    now: datetime
    customers: tuple[Customer, ...]
    jobs: tuple[JobSpec, ...]
    mails: tuple[DemoMail, ...] = field(default=())

    def host_rules(self, customer: Customer) -> list[str]:
        """The hosts (lowercase) that need a `sender` rule for `customer`."""
        found = {
            j.product_host.lower()
            for j in self.jobs
            if j.customer == customer and j.needs_host_rule and not j.unmapped
        }
        return sorted(found)


# --- building the mails ------------------------------------------------------------------


def scenario_weekday(day: date, today: date) -> int:
    """The weekday `day` plays in the scenario (0 = Monday): `today` is always Monday."""
    return (day - today).days % 7


def _starts(job: JobSpec, today: date, zone: tzinfo, rng: random.Random) -> Iterator[datetime]:
    """The start times of the job's runs in the 14 days up to `today` (oldest first)."""
    for back in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        if scenario_weekday(day, today) not in job.schedule.days:
            continue
        for clock in job.schedule.times:
            jitter = timedelta(seconds=rng.randint(0, 170))
            yield datetime.combine(day, clock, tzinfo=zone) + jitter


def _apply(
    job: JobSpec, back: int, rng: random.Random
) -> tuple[RunStatus, tuple[DemoObject, ...], str]:
    """Status, objects and job message of one run (scripted issues first, then noise)."""
    objects = {o.name: o for o in job.objects}
    status = RunStatus.SUCCESS
    message = ""
    scripted = [i for i in job.issues if i.days_ago is None or back in i.days_ago]
    for issue in scripted:
        if issue.target and issue.target in objects:
            objects[issue.target] = replace(
                objects[issue.target], status=issue.status, message=issue.message
            )
        else:
            status = RunStatus.worst([status, issue.status])
            message = message or issue.message
    if not scripted and rng.random() < NOISE:
        status, message = _noise(job, objects, rng, status, message)
    final = tuple(objects.values())
    return RunStatus.worst([status, *(o.status for o in final)]), final, message


def _noise(
    job: JobSpec,
    objects: dict[str, DemoObject],
    rng: random.Random,
    status: RunStatus,
    message: str,
) -> tuple[RunStatus, str]:
    """Give one random object (or the job) a random realistic problem."""
    product = job.product
    if objects and product.object_noise:
        name = rng.choice(sorted(objects))
        new_status, text = rng.choice(product.object_noise)
        objects[name] = replace(objects[name], status=new_status, message=text)
        return status, message  # the object's status rolls up into the run's
    if product.job_noise:
        new_status, text = rng.choice(product.job_noise)
        return RunStatus.worst([status, new_status]), text
    return status, message


def _duration(job: JobSpec, status: RunStatus, rng: random.Random) -> timedelta:
    """A plausible run length around the job's usual minutes (failures end early)."""
    minutes = job.minutes * rng.uniform(0.8, 1.25)
    if status == RunStatus.FAILED and not job.objects:
        minutes *= rng.uniform(0.05, 0.3)
    return timedelta(seconds=max(25, int(minutes * 60) + rng.randint(0, 59)))


def job_runs(job: JobSpec, today: date, zone: tzinfo, rng: random.Random) -> list[DemoRun]:
    """The runs of `job` that ended before the scenario's morning (oldest first)."""
    now = datetime.combine(today, MORNING, tzinfo=zone)
    out: list[DemoRun] = []
    for start in _starts(job, today, zone, rng):
        back = (today - start.date()).days
        status, objects, message = _apply(job, back, rng)
        if back < job.silent_days:
            continue
        run = DemoRun(
            sender=job.sender,
            host=job.host,
            job=job.job,
            start=start,
            status=status,
            objects=objects,
            message=message,
            duration=_duration(job, status, rng),
            detail=job.detail,
        )
        if run.end <= now:
            out.append(run)
    return out


def _unparsed(today: date, zone: tzinfo) -> list[tuple[str, DemoRun]]:
    """The deliberately unparseable mails of the catalogue (yesterday and this morning)."""
    return [
        (
            m.kind,
            DemoRun(
                m.sender,
                m.host,
                m.subject,
                datetime.combine(today - timedelta(days=m.days_ago), m.at, tzinfo=zone),
                duration=m.duration,
            ),
        )
        for m in catalogue().unparsed
    ]


def build_scenario(today: date | None = None, zone: tzinfo = UTC) -> Scenario:
    """The whole demo: customers, jobs and every mail, ready to ingest (oldest first).

    `today` defaults to the current date in `zone`.
    """
    day = today or datetime.now(zone).date()
    book = catalogue()
    rng = random.Random(f"{SEED}|{day.isoformat()}")  # noqa: S311 - demo noise only
    mails: list[DemoMail] = []
    for job in book.jobs:
        for run in job_runs(job, day, zone, rng):
            raw = GENERATORS[job.kind](run)
            mails.append(
                DemoMail(
                    kind=job.kind,
                    customer=job.customer.name,
                    job=job.job,
                    status=run.status,
                    day=run.start.date(),
                    sent=run.end,
                    message_id=message_id(job.kind, run),
                    raw=raw,
                )
            )
    for kind, run in _unparsed(day, zone):
        mid = message_id(kind, run)
        assert mid.startswith(UNPARSED_PREFIX)
        mails.append(
            DemoMail(
                kind=kind,
                customer="",
                job=run.job,
                status=RunStatus.SUCCESS,
                day=run.start.date(),
                sent=run.end,
                message_id=mid,
                raw=GENERATORS[kind](run),
                expect_parsed=False,
            )
        )
    mails.sort(key=lambda m: (m.sent, m.message_id))
    return Scenario(
        today=day,
        now=datetime.combine(day, MORNING, tzinfo=zone),
        customers=book.customers,
        jobs=book.jobs,
        mails=tuple(mails),
    )
