"""Drive the real Discord bot offline: dpytest for messages and threads, real `discord.Interaction` objects for
app commands and buttons, with a recorder in place of Discord's webhook endpoints; a real `QAPipeline` over a
tiny corpus built once per session.

The fixtures live in tests/discord_fixtures.py, loaded by the test modules with `pytest_plugins`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import discord.ext.test.backend as dpy_backend
import discord.ext.test.factories as facts
from discord.webhook.async_ import async_context

from bot.answer.pipeline import QAPipeline
from bot.answer.types import Answer, Turn
from bot.apps.discord_bot import INVITE_PERMISSIONS, QABot
from bot.feedback import FeedbackStore
from index.settings import Settings

_ids = itertools.count(1)


def snowflake() -> int:
    """A current snowflake, unique within the session (interactions with old ids count as expired)."""
    return discord.utils.time_snowflake(discord.utils.utcnow()) + next(_ids)


class SpyPipeline:
    """The real pipeline, recording each call; `fail_next` makes the next answer raise (a fault to survive)."""

    def __init__(self, pipeline: QAPipeline) -> None:
        self.pipeline = pipeline
        self.calls: list[tuple[str, list[Turn]]] = []
        self.reloads = 0
        self.fail_next = False

    @property
    def retriever(self) -> Any:
        return self.pipeline.retriever

    def answer(self, question: str, history: list[Turn] = ()) -> Answer:  # type: ignore[assignment]
        self.calls.append((question, list(history)))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the answerer broke (injected by the test)")
        return self.pipeline.answer(question, history)

    def reload(self) -> None:
        self.reloads += 1
        self.pipeline.reload()


@dataclass
class Harness:
    bot: QABot
    pipeline: SpyPipeline
    feedback_db: Path
    guild: discord.Guild
    channel: discord.TextChannel
    member: discord.Member
    sent: list[dict] = field(default_factory=list)  # every message payload the bot sent through HTTP
    threads: list[dict] = field(default_factory=list)
    fail_threads: bool = False
    refuse_embeds: bool = False

    @property
    def state(self) -> Any:
        return self.bot._connection

    def new_member(self, name: str, *, bot: bool = False) -> discord.Member:
        user = dpy_backend.make_user(name, f"{next(_ids) % 9000 + 1000:04}")
        user.bot = bot
        return dpy_backend.make_member(user, self.guild)

    def thread(self, thread_id: int) -> discord.Thread:
        found = self.guild.get_thread(thread_id)
        assert found is not None
        return found

    def messages_in(self, channel_id: int) -> list[dict]:
        return [p for p in self.sent if p["_channel_id"] == channel_id]


def _install_fakes(h: Harness) -> None:
    """What dpytest lacks: threads created on a message, and a record of every payload sent."""
    http = h.bot.http
    original_send = http.send_message

    async def send_message(channel_id: int, *, params: Any) -> dict:
        channel = h.guild.get_channel_or_thread(channel_id) or h.bot.get_channel(channel_id)  # noqa: F841 (dpytest reads it)
        payload = dict(params.payload or {})
        if h.refuse_embeds and payload.get("embeds"):
            raise discord.Forbidden(dpy_backend.FakeRequest(403, "Missing Permissions"), "Missing Permissions")
        h.sent.append(payload | {"_channel_id": channel_id})
        return await original_send(channel_id, params=params)

    async def start_thread_with_message(channel_id: int, message_id: int, *, name: str, **options: Any) -> dict:
        if h.fail_threads:
            raise discord.Forbidden(dpy_backend.FakeRequest(403, "Missing Permissions"), "Missing Permissions")
        data = {
            "id": str(snowflake()),
            "guild_id": str(h.guild.id),
            "parent_id": str(channel_id),
            "owner_id": str(h.bot.user.id),
            "name": name,
            "type": discord.ChannelType.public_thread.value,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": options.get("auto_archive_duration", 1440),
                "archive_timestamp": discord.utils.utcnow().isoformat(),
                "locked": False,
            },
        }
        h.state.parse_thread_create(data)
        h.threads.append(data | {"_message_id": message_id})
        return data

    http.send_message = send_message
    http.start_thread_with_message = start_thread_with_message


async def start_bot(
    pipeline: SpyPipeline, settings: Settings, feedback_db: Path, **overrides: Any
) -> tuple[QABot, Harness]:
    """A QABot wired into a fresh dpytest guild; `overrides` are setting names (QABOT_COOLDOWN_SECONDS=0, ...)."""
    values = {
        "QABOT_CORPUS_DIR": settings.corpus_dir,
        "QABOT_INDEX_DIR": settings.index_dir,
        "QABOT_FEEDBACK_DB": feedback_db,
        "QABOT_COOLDOWN_SECONDS": 0,
        "DISCORD_TOKEN": "not-a-real-token",
    }
    bot_settings = Settings(_env_file=None, **(values | overrides))
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True  # dpytest needs it
    bot = QABot(bot_settings, pipeline, FeedbackStore(feedback_db), intents=intents, sync_commands=False)
    await bot._async_setup_hook()
    dpytest.configure(bot, members=["asker", "other"])
    config = dpytest.get_config()
    bot._connection.loop = asyncio.get_running_loop()  # dpytest swaps the state after the loop was set
    bot._connection.application_id = bot.user.id
    bot._connection._command_tree = bot.tree
    await bot.setup_hook()
    guild, channel, member = config.guilds[0], config.channels[0], config.members[0]
    # the permissions the invite link grants (dpytest's default role lacks the thread ones)
    everyone = guild.default_role
    dpy_backend.update_role(everyone, permissions=everyone.permissions.value | INVITE_PERMISSIONS.value)
    harness = Harness(bot, pipeline, feedback_db, guild, channel, member)
    _install_fakes(harness)
    return bot, harness


async def stop_bot(bot: QABot) -> None:
    await dpytest.empty_queue()
    bot.executor.shutdown(wait=True)


async def ask(h: Harness, content: str, channel: Any = None, member: discord.Member | None = None) -> discord.Message:
    """A member posts `content`; returns once the bot has handled it."""
    return await dpytest.message(content, channel=channel or h.channel, member=member or h.member)


def mention(h: Harness) -> str:
    return f"<@{h.bot.user.id}>"


# --- app commands and buttons ---------------------------------------------------------------------


class Recorder:
    """Stands in for discord.py's webhook adapter: records interaction responses, follow-ups and edits."""

    def __init__(self, channel_id: int, bot_user: discord.ClientUser) -> None:
        self.channel_id = channel_id
        self.bot_user = bot_user
        self.calls: list[tuple[str, dict]] = []

    def _message(self, payload: dict | None) -> dict:
        return bot_message(self.channel_id, self.bot_user, payload or {})

    async def create_interaction_response(self, interaction_id: int, token: str, *, params: Any, **_: Any) -> dict:
        self.calls.append(("response", dict(params.payload or {})))
        return {"interaction": {"id": str(interaction_id), "type": 2, "response_message_id": str(snowflake())}}

    async def execute_webhook(self, webhook_id: int, token: str, *, payload: dict | None = None, **_: Any) -> dict:
        self.calls.append(("followup", dict(payload or {})))
        return self._message(payload)

    async def edit_original_interaction_response(self, *args: Any, payload: dict | None = None, **_: Any) -> dict:
        self.calls.append(("edit", dict(payload or {})))
        return self._message(payload)

    async def get_original_interaction_response(self, *args: Any, **_: Any) -> dict:
        return self._message({})

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]

    def payloads(self, kind: str) -> list[dict]:
        return [payload for k, payload in self.calls if k == kind]


ADMIN = discord.Permissions(manage_guild=True, send_messages=True, view_channel=True)
EVERYONE = discord.Permissions(send_messages=True, view_channel=True, use_application_commands=True)


def interaction_payload(
    h: Harness,
    kind: int,
    data: dict,
    *,
    member: discord.Member | None = None,
    channel: Any = None,
    permissions: discord.Permissions = EVERYONE,
    message: dict | None = None,
) -> dict:
    member = member or h.member
    channel = channel or h.channel
    payload = {
        "id": str(snowflake()),
        "application_id": str(h.bot.application_id),
        "type": kind,
        "token": "interaction-token",
        "version": 1,
        "guild_id": str(h.guild.id),
        "channel_id": str(channel.id),
        "channel": {"id": str(channel.id), "type": channel.type.value, "guild_id": str(h.guild.id)},
        "member": facts.dict_from_member(member) | {"permissions": str(permissions.value)},
        "data": data,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": str(discord.Permissions.all().value),
        "entitlements": [],
        "authorizing_integration_owners": {},
        "context": 0,
        "attachment_size_limit": 8 * 1024 * 1024,
    }
    if message is not None:
        payload["message"] = message
    return payload


@contextlib.contextmanager
def recording(h: Harness, channel_id: int | None = None) -> Iterator[Recorder]:
    recorder = Recorder(channel_id or h.channel.id, h.bot.user)
    token = async_context.set(recorder)  # type: ignore[arg-type]
    try:
        yield recorder
    finally:
        async_context.reset(token)


async def run_command(
    h: Harness,
    name: str,
    options: dict[str, str] | None = None,
    *,
    member: discord.Member | None = None,
    channel: Any = None,
    permissions: discord.Permissions = EVERYONE,
    app_permissions: discord.Permissions | None = None,
) -> Recorder:
    """Run slash command `name` as `member` through the bot's command tree; returns what it sent."""
    command = h.bot.tree.get_command(name)
    assert command is not None, f"/{name} is not registered"
    data = {
        "id": str(snowflake()),
        "name": name,
        "type": 1,
        "options": [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()],
    }
    payload = interaction_payload(h, 2, data, member=member, channel=channel, permissions=permissions)
    if app_permissions is not None:
        payload["app_permissions"] = str(app_permissions.value)
    interaction = discord.Interaction(data=payload, state=h.state)
    with recording(h, (channel or h.channel).id) as recorder:
        await h.bot.tree._call(interaction)
    return recorder


async def click(h: Harness, custom_id: str, message: dict, *, member: discord.Member | None = None) -> Recorder:
    """Press the button `custom_id` on `message` (a message payload with its components)."""
    data = {"custom_id": custom_id, "component_type": discord.ComponentType.button.value}
    payload = interaction_payload(h, 3, data, member=member, message=message)
    interaction = discord.Interaction(data=payload, state=h.state)
    with recording(h) as recorder:
        before = set(asyncio.all_tasks())
        h.state._view_store.dispatch_view(discord.ComponentType.button.value, custom_id, interaction)
        for task in set(asyncio.all_tasks()) - before:
            await task
    return recorder


def bot_message(channel_id: int, author: discord.abc.User, payload: dict) -> dict:
    """A gateway-style message the bot sent, from the payload it sent (content, embeds, components)."""
    return {
        "id": str(snowflake()),
        "channel_id": str(channel_id),
        "author": facts.dict_from_user(author),
        "content": payload.get("content") or "",
        "timestamp": discord.utils.utcnow().isoformat(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": payload.get("embeds") or [],
        "components": payload.get("components") or [],
        "pinned": False,
        "type": 0,
        "flags": payload.get("flags") or 0,
    }


def message_payload(h: Harness, sent: dict) -> dict:
    """A gateway-style message for a payload the bot sent, components included (for `click`)."""
    return bot_message(sent["_channel_id"], h.bot.user, sent) | {"guild_id": str(h.guild.id)}


def custom_ids(payload: dict) -> list[str]:
    return [c["custom_id"] for row in payload.get("components", []) for c in row.get("components", [])]
