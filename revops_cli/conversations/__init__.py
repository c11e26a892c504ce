"""Conversation monitoring: every answer, logged, scored and exportable.

- `log.ConversationLog` — the SQLite conversation log (WAL; several processes write at once);
  `record()` after every answer, `list()` / `get()` / `iter_range()` for `revops conversations`,
  `last_session()` / `session_history()` for conversation continuity.
- `export.export_conversations()` — `YYYY/MM/DD/<timestamp>_<id>/conversation.json + metadata.json`
  to a folder or `s3://bucket/prefix`; idempotent; validated by the JSON Schemas in `schemas/`.
- `quality.assess()` — a documented 0–1 quality score; below the threshold a conversation is flagged.
- secrets and system prompts never reach the log or an export: `revops_cli/redaction.py` (the one redaction layer).
"""
