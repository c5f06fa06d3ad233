"""The demo database behind `backupchecks-tui --demo`: synthetic report mails, fed through
the real ingest pipeline, for a believable Monday morning of an MSP operator.

Every mail made here is synthetic (header `X-Backupchecks-Demo: synthetic`, Message-IDs
`<demo-…@backupchecks.invalid>`); customers use `.example` / `.test` domains.
"""

from backupchecks_tui.demo.build import DemoSummary, build_demo

__all__ = ["DemoSummary", "build_demo"]
