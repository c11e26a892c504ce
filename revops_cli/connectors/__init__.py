"""The clients revops calls to reach the outside world (agents, report delivery and channels use them).

- `web_search`    company research: the `company_research` table offline, or a Tavily-style HTTP search
                  API, both cached in the result cache (namespace "search") so `--offline` replays them.
- `webhooks`      outbound webhooks, signed the Standard Webhooks way, behind an SSRF guard, with retries.
                  A plain library: the Execution agent and the webhook server's delivery worker share it.
- `addresses`     the metadata and link-local addresses never connected to, in every disguise.
- `slack_client`  posting to Slack through slack_sdk, with one-line errors and no token in them.
- `slack_format`  markdown -> Slack mrkdwn and Block Kit, and the one `escape` for text from data.
- `outbox`        where CRM updates asked of the Execution agent are recorded (Firebolt writable table,
                  or a local DuckDB outbox next to the demo warehouse).

Nothing here imports a channel or an agent, and nothing here ever takes a destination from what a user
typed: webhook URLs come only from settings.
"""
