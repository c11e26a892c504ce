"""The Slack bot (`revops serve-slack`): @mentions, direct messages and /revops, answered in threads.

One Bolt app (slack-bolt), served over HTTP (FastAPI, POST /slack/events for events, commands and
interactions; GET /healthz) or over Socket Mode (an app token, no public URL).

The modules:
- `serve.py`: the entry points: `serve_http` / `create_http_app` (FastAPI + uvicorn), `run_socket_mode`,
  `create_bolt_app`;
- `bot.py`: `SlackBot`, the Bolt app and its handlers (the ack path, lazy listeners, confirmations);
- `answerer.py`: `Job` and `Answerer`, which asks `service.ask` and posts the answer in the thread;
- `workers.py`: the answer worker processes (pool initializer and the functions the bot submits);
- `state.py`: `SlackState`, the SQLite file of seen event ids and pending confirmations;
- `connectors/slack_format.py` (shared with the agents and report delivery): markdown answers -> Slack mrkdwn and Block Kit, within Slack's limits;
- `credentials.py`: the bot token, signing secret and app token (settings, environment, Secrets Manager);
- `texts.py`: what the bot says on its own (placeholder, help, sorry, ...).

The flow of a mention:
1. The HTTP request is verified by Bolt (signature and a timestamp younger than 5 minutes, else 401;
   url_verification challenges are answered) and acknowledged at once: the ack path (`SlackBot._gate`,
   bot.py) touches no warehouse, only a small SQLite table of seen event ids (state.py; retries, with
   X-Slack-Retry-Num, are acked and dropped).
2. A lazy listener (a Bolt worker thread) posts "looking into it" in the thread (thread_ts = the event's
   thread_ts or ts) and hands the question to a bounded pool of answer workers (`slack.workers`; worker
   processes, workers.py, unless `slack.worker_mode` is thread).
3. The worker (answerer.py) calls `service.ask(Request(channel="slack", user=<Slack user>,
   session_id="slack:<channel>:<thread_ts>"))` (the service restores the thread's context: a follow-up
   keeps the deal) and replaces the placeholder with the answer rendered as Block Kit (slack_format.py), split
   over more messages if needed.
4. A dry run (Answer.pending_actions) is stored by the service in the pending-action store
   (actions/pending.py) and shown with Confirm / Cancel buttons whose value is its id (`act_…`); where the
   buttons are is kept in `<home>/slack.db`. Confirm asks the service to run that id's stored actions as
   they are (`Request.confirm_action_id`), never the question again. Only the person who asked, or an
   `actions.approvers` entry, can confirm; others get an ephemeral refusal. A reply "@RevBot confirm" /
   "@RevBot cancel" in the thread works too.

Errors never end in silence: an answer with ok=False becomes a polite message with the one-line error and
hint; an unexpected exception becomes "Sorry, something went wrong on my side" in the thread and one log
line. Tokens and the signing secret are redacted from every log record the process emits, and every post and
update (the `/revops` repost included) is redacted before it is sent (revops_cli/redaction.py).

slack_bolt, slack_sdk, fastapi and uvicorn are imported inside the functions of this package that need
them, and boto3 only when a Secrets Manager secret is configured: nothing else in the CLI pays for them,
and importing this package (or state.py, connectors/slack_format.py) loads none of them.
"""
