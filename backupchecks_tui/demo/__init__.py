"""The demo database behind `backupchecks-tui --demo`: synthetic report mails, fed through
the real ingest pipeline, for a believable Monday morning of an MSP operator.

What the demo holds (customers, jobs, products, problem texts, the team's tickets and
remarks) is data: `customers.toml`, `products.toml` and `follow_up.toml` in this package,
read by `demo.catalogue`; `demo.scenario` turns it into runs and mails (builders under
`demo/reports/`), `demo.build` feeds them through ingest.

Every mail made here is synthetic (header `X-Backupchecks-Demo: synthetic`, Message-IDs
`<demo-…@backupchecks.invalid>`); customers use `.example` / `.test` domains.
"""

from backupchecks_tui.demo.build import DemoSummary, build_demo

__all__ = ["DemoSummary", "build_demo"]
