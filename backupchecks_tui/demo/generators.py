"""The builders of the demo's synthetic report mails, by report kind.

Each builder (one module per product under `demo/reports/`) takes a `DemoRun` and returns
a complete RFC 822 mail in the layout its parser reads; see `demo.mail` for what they
share. Kinds starting with `unparsed-` make mails no parser reads, on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from backupchecks_tui.demo.mail import (
    DEMO_HEADER,
    UNPARSED_PREFIX,
    DemoObject,
    DemoRun,
    message_id,
)
from backupchecks_tui.demo.reports import (
    acronis,
    bareos,
    duplicati,
    nakivo,
    proxmox,
    synology,
    unparsed,
    urbackup,
    veeam,
    xen_orchestra,
)

__all__ = ["DEMO_HEADER", "GENERATORS", "UNPARSED_PREFIX", "DemoObject", "DemoRun", "message_id"]

GENERATORS: dict[str, Callable[[DemoRun], bytes]] = {
    "veeam-backup": veeam.veeam_backup,
    "veeam-copy": veeam.veeam_backup_copy,
    "veeam-agent": veeam.veeam_agent_policy,
    "veeam-m365": veeam.veeam_m365,
    "pve-vzdump": proxmox.proxmox_vzdump,
    "pbs-verify": proxmox.pbs_verify,
    "pbs-gc": proxmox.pbs_garbage_collection,
    "syno-hyperbackup": synology.synology_hyper_backup,
    "syno-abb": synology.synology_active_backup,
    "bareos": bareos.bareos_backup,
    "duplicati": duplicati.duplicati_backup,
    "xo-backup": xen_orchestra.xen_orchestra_backup,
    "urbackup": urbackup.urbackup_backup,
    "nakivo": nakivo.nakivo_backup,
    "acronis": acronis.acronis_backup,
    "unparsed-unknown": unparsed.unknown_product_report,
    "unparsed-newsletter": unparsed.newsletter,
    "unparsed-autoreply": unparsed.auto_reply,
}
"""Every builder by kind; kinds starting with `unparsed-` are deliberately unparseable."""
