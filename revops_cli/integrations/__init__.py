"""Everything revops says to the outside world, and the web research it reads from it.

- `web_search`   company research: the `company_research` table offline, or a Tavily-style HTTP search
                 API, both cached in the result cache (namespace "search") so `--offline` replays them.
- `webhooks`     outbound webhooks, signed the Standard Webhooks way, behind an SSRF guard, with retries.
                 A plain library: the Execution agent and the webhook server's delivery worker share it.
- `slack_client` posting to Slack through slack_sdk, with one-line errors and no token in them.
- `outbox`       where CRM updates asked of the Execution agent are recorded (Firebolt writable table,
                 or a local DuckDB outbox next to the demo warehouse).
- `webhook_server/`  `revops serve-webhook` and `revops worker`: intake API, durable queue, workers,
                 deliveries (see its package docstring for the flow of a request).
- `slack/`       @RevBot, `revops serve-slack`: the Bolt app, acks, threaded answers, confirmations.

Nothing here ever takes a destination from what a user typed: webhook URLs come only from settings.
"""
