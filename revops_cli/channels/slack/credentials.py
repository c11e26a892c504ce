"""The Slack app's credentials: bot token, signing secret and (Socket Mode) app token.

Looked up in this order, the first value found wins for each:
1. settings: `slack.bot_token`, `slack.signing_secret`, `slack.app_token` (revops.yaml, or the environment:
   REVOPS_SLACK_BOT_TOKEN, REVOPS_SLACK_SIGNING_SECRET, REVOPS_SLACK_APP_TOKEN);
2. AWS Secrets Manager, when `slack.secrets_manager_id` names a secret: a JSON object with the keys
   SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and optionally SLACK_APP_TOKEN (the reference system's layout).
   The region comes from the secret's ARN, else AWS_REGION / AWS_DEFAULT_REGION, else `bedrock.region`.

The values never appear in a repr, a log line or an error message; errors name the settings to fix.
boto3 is imported only when a secret id is configured.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from revops_cli.errors import ConfigError

SM_KEYS = {"bot_token": "SLACK_BOT_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET", "app_token": "SLACK_APP_TOKEN"}
ENV_NAMES = {"bot_token": "REVOPS_SLACK_BOT_TOKEN", "signing_secret": "REVOPS_SLACK_SIGNING_SECRET",
             "app_token": "REVOPS_SLACK_APP_TOKEN"}


@dataclass(frozen=True)
class SlackCredentials:
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    sources: dict[str, str] = field(default_factory=dict)     # name -> "settings" | "secrets manager"

    def __repr__(self) -> str:
        have = ", ".join(f"{k}={'set' if getattr(self, k) else 'missing'} ({self.sources.get(k, '-')})"
                         for k in SM_KEYS)
        return f"SlackCredentials({have})"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """The secret values, for redacting log lines."""
        return [v for v in (self.bot_token, self.signing_secret, self.app_token) if v]


def _region(secret_id: str, settings: Any) -> str:
    if secret_id.startswith("arn:"):
        parts = secret_id.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            or settings.get("bedrock.region") or "us-east-1")


def fetch_secret(secret_id: str, settings: Any) -> dict[str, Any]:
    """The JSON object stored in Secrets Manager under `secret_id`."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 ships with the serve extra
        raise ConfigError("AWS support is not installed", "pip install 'revops-cli[serve]'") from None
    try:
        client = boto3.client("secretsmanager", region_name=_region(secret_id, settings))
        raw = client.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise ConfigError(f"cannot read the Slack secret {secret_id!r} from AWS Secrets Manager: {code}",
                          "check slack.secrets_manager_id, the region and the IAM permission "
                          "secretsmanager:GetSecretValue") from None
    except BotoCoreError as exc:
        raise ConfigError(f"cannot reach AWS Secrets Manager for {secret_id!r}: {type(exc).__name__}",
                          "check the AWS credentials and region") from None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigError(f"the Slack secret {secret_id!r} is not a JSON object",
                          'store {"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_SIGNING_SECRET": "…"}')
    return data


def load_credentials(settings: Any, *, need: tuple[str, ...] = ("bot_token", "signing_secret")) -> SlackCredentials:
    """The credentials from settings/environment, completed from Secrets Manager; ConfigError if one of
    `need` is still missing (naming the environment variable and the settings to fix it)."""
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for key in SM_KEYS:
        v = settings.get(f"slack.{key}")
        if v:
            values[key], sources[key] = str(v).strip(), "settings"
    secret_id = settings.get("slack.secrets_manager_id")
    if secret_id and any(not values.get(k) for k in SM_KEYS):
        data = fetch_secret(str(secret_id), settings)
        for key, sm_key in SM_KEYS.items():
            if not values.get(key) and data.get(sm_key):
                values[key], sources[key] = str(data[sm_key]).strip(), "secrets manager"
    missing = [k for k in need if not values.get(k)]
    if missing:
        names = " and ".join(ENV_NAMES[k] for k in missing)
        what = " and ".join(k.replace("_", " ") for k in missing)
        where = (f"or add {', '.join(SM_KEYS[k] for k in missing)} to the secret {secret_id!r}" if secret_id
                 else "or set slack.secrets_manager_id to an AWS Secrets Manager secret holding "
                      + ", ".join(SM_KEYS[k] for k in missing))
        raise ConfigError(f"no Slack {what}: {names} {'is' if len(missing) == 1 else 'are'} not set",
                          f"set {names} (or slack.{missing[0]} in revops.yaml), {where}")
    return SlackCredentials(values.get("bot_token"), values.get("signing_secret"), values.get("app_token"), sources)
