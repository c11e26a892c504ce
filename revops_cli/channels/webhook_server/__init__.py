"""`revops serve-webhook` and `revops worker`: questions in over HTTP, answers pushed back, nothing lost.

The flow of a request:

    POST /webhook ──► api.py ──► queue.py ──► worker.py ──► service.ask ──► deliveries.py ──► receiver
                    validate,    one row,      receive with     channel         signed POST,
                    202 at once  SQLite WAL    a visibility     "webhook"       retries, SSRF guard,
                                 (or SQS)      timeout                          dead-letter list

- `api.py`         the FastAPI app (imported only by serve-webhook): intake, GET /requests/{id}, health.
- `auth.py`        who may call and as whom: API keys (hashed, `webhook keys`), inbound signatures and their
                   replay guard, the loopback-only rule for unauthenticated servers.
- `http_errors.py` the API's one JSON error shape; `server.py` uvicorn configured to answer in it too.
- `queue.py`       the durable queue with SQS semantics (SQLite by default, Amazon SQS as an option) and
                   the store of each request's status and answer.
- `worker.py`      workers: take a job, answer it, store the answer, deliver it, ack; passing failures are
                   retried with a delay; a killed worker's job comes back after its visibility timeout.
- `deliveries.py`  the outbound payload, its delivery through `connectors.webhooks`, the dead-letter list
                   and replay.

Nothing is imported here: FastAPI and boto3 load only in the code paths that need them.
"""
