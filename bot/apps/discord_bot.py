"""The Discord channel of qabot: ask with /ask, by mentioning the bot, or in a Q&A channel; cited answers in threads.

The only module that imports discord.py (with `discord_render`, its pure rendering helpers). One cog per
feature: `Asking` (questions from messages and /ask), `Feedback` (the 👍/👎 buttons), `Admin` (/reindex,
/sources, /about). Answers are computed off the event loop, in a small thread pool behind a semaphore, so
the gateway heartbeat never stalls.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.types import Answer, Turn
from bot.apps.discord_render import (
    IndexedDocument,
    Reply,
    about_embed,
    documents_embed,
    plain_sources,
    render_answer,
    split_message,
    trim,
)
from bot.feedback import FeedbackStore, VoteResult
from index.settings import Settings

log = logging.getLogger("qabot.discord")

NO_MENTIONS = discord.AllowedMentions.none()
INVITE_SCOPES = ("bot", "applications.commands")
# Exactly what the bot uses: read the channels it answers in, reply (a reply needs message history), open a
# thread on the question and talk in it, and show the sources as an embed.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    embed_links=True,
)
ANSWER_WORKERS = 2  # questions answered at once; more wait their turn
MAX_THREADS = 1000  # conversations remembered (least recently used forgotten first)
MAX_TURNS = 6  # earlier questions and answers kept per conversation
THREAD_NAME = 100  # Discord's limit for a thread name
ERROR_REPLY = "Sorry, something went wrong while answering that. The error has been logged; please try again later."
DM_REPLY = "I only answer questions in servers. Ask me in a channel there, or with /ask."


def invite_url(application_id: int) -> str:
    """The link that adds the bot to a server with exactly the scopes and permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES)


def default_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True  # privileged: enable "Message Content Intent" in the developer portal
    return intents


class Conversations:
    """thread id -> the thread's earlier questions and answers, bounded in threads and in turns."""

    def __init__(self, max_threads: int = MAX_THREADS, max_turns: int = MAX_TURNS) -> None:
        self.max_threads, self.max_turns = max_threads, max_turns
        self._turns: OrderedDict[int, list[Turn]] = OrderedDict()

    def __contains__(self, thread_id: int) -> bool:
        return thread_id in self._turns

    def history(self, thread_id: int) -> list[Turn]:
        if thread_id in self._turns:
            self._turns.move_to_end(thread_id)
        return list(self._turns.get(thread_id, ()))

    def start(self, thread_id: int) -> None:
        self._turns.setdefault(thread_id, [])
        self._trim()

    def add(self, thread_id: int, turn: Turn) -> None:
        turns = self._turns.setdefault(thread_id, [])
        turns.append(turn)
        del turns[: -self.max_turns]
        self._turns.move_to_end(thread_id)
        self._trim()

    def _trim(self) -> None:
        while len(self._turns) > self.max_threads:
            self._turns.popitem(last=False)


class Cooldown:
    """At most one question per user every `seconds` (0 turns it off)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """0 when the user may ask now (and the question is counted); else the seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = self.clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0


def cooldown_reply(seconds: float) -> str:
    return f"You're asking quickly: please wait {max(1, round(seconds))} s before your next question."


def too_long_reply(length: int, limit: int) -> str:
    return f"That question is {length:,} characters long; the limit is {limit:,}. Could you ask it more briefly?"


def thread_name(question: str) -> str:
    name = re.sub(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b", "", question)
    return trim(" ".join(name.split()), THREAD_NAME) or "Question"


class RedactToken(logging.Filter):
    """Replaces the bot token in every log record, wherever it would come from."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token and self.token in message:
            record.msg, record.args = message.replace(self.token, "[token]"), None
        return True


# --- the feedback buttons -----------------------------------------------------------------------


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"qabot:vote:(?P<vote>up|down):(?P<answer>[0-9a-f]{8,32})",
):
    """👍 or 👎 for one answer; the answer id lives in the custom_id, so the button works after a restart."""

    def __init__(self, answer_id: str, vote: str) -> None:
        self.answer_id, self.vote = answer_id, vote
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="👍" if vote == "up" else "👎",
                custom_id=f"qabot:vote:{vote}:{answer_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> VoteButton:
        return cls(match["answer"], match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = interaction.client.get_cog("Feedback")
        if isinstance(cog, Feedback):
            await cog.vote(interaction, self.answer_id, 1 if self.vote == "up" else -1)


class FeedbackView(discord.ui.View):
    """The persistent view under every answer."""

    PLACEHOLDER = "0" * 16  # registering any instance registers the VoteButton template

    def __init__(self, answer_id: str = PLACEHOLDER) -> None:
        super().__init__(timeout=None)
        self.add_item(VoteButton(answer_id, "up"))
        self.add_item(VoteButton(answer_id, "down"))


# --- the bot ------------------------------------------------------------------------------------


class QATree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use that command here."
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("app command /%s failed", command, exc_info=error)
            message = ERROR_REPLY
        await respond(interaction, message, ephemeral=True)


async def respond(interaction: discord.Interaction, content: str, *, ephemeral: bool = True, **kwargs: Any) -> None:
    """Reply to an interaction whether or not it was answered or deferred already."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **kwargs)
        else:
            await interaction.response.send_message(
                content, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **kwargs
            )
    except discord.HTTPException:
        log.warning("could not reply to an interaction", exc_info=True)


class QABot(commands.Bot):
    """qabot on Discord. `pipeline` is a `QAPipeline` (anything with `answer(question, history)` and `reload()`)."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Any,
        feedback: FeedbackStore,
        *,
        intents: discord.Intents | None = None,
        sync_commands: bool = True,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or default_intents(),
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=QATree,
        )
        self.settings = settings
        self.pipeline = pipeline
        self.feedback = feedback
        self.sync_commands = sync_commands
        self.conversations = Conversations()
        self.cooldown = Cooldown(settings.cooldown_seconds)
        self.answer_slots = asyncio.Semaphore(ANSWER_WORKERS)
        self.executor = ThreadPoolExecutor(ANSWER_WORKERS, thread_name_prefix="qabot-answer")
        self.reindex_lock = asyncio.Lock()

    async def setup_hook(self) -> None:
        await self.add_cog(Asking(self))
        await self.add_cog(Feedback(self))
        await self.add_cog(Admin(self))
        self.add_view(FeedbackView())  # persistent: 👍/👎 under answers posted before a restart keep working
        if self.sync_commands:
            await self.announce()

    async def announce(self) -> None:
        """Print the invite link and sync the app commands (to DISCORD_GUILD_ID at once, else globally)."""
        print(f"Invite qabot to a server: {invite_url(self.application_id or self.user.id)}", flush=True)
        try:
            if self.settings.discord_guild_id:
                guild = discord.Object(self.settings.discord_guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d app commands to guild %s", len(synced), guild.id)
            else:
                synced = await self.tree.sync()
                log.info("synced %d app commands globally (new commands can take a while to show)", len(synced))
        except discord.HTTPException as exc:
            log.warning("could not sync app commands (%s); is the bot in DISCORD_GUILD_ID's server?", exc)

    async def on_ready(self) -> None:
        log.info("logged in as %s (id %s) in %d server(s)", self.user, self.user.id, len(self.guilds))
        for channel_id in sorted(self.settings.channel_ids):
            if self.get_channel(channel_id) is None:
                log.warning("QA_CHANNEL_IDS: channel %s is unknown or not visible to the bot; ignoring it", channel_id)
        guild_id = self.settings.discord_guild_id
        if guild_id and self.get_guild(guild_id) is None:
            log.warning("DISCORD_GUILD_ID %s: the bot is not in that server; use the invite link", guild_id)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: the Asking cog turns messages into questions."""

    async def close(self) -> None:
        await super().close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer off the event loop, at most ANSWER_WORKERS at a time."""
        async with self.answer_slots:
            loop = asyncio.get_running_loop()
            call = functools.partial(self.pipeline.answer, question, list(history))
            return await loop.run_in_executor(self.executor, call)

    def indexed_documents(self) -> list[IndexedDocument]:
        passages = getattr(getattr(self.pipeline, "retriever", None), "passages", [])
        found: dict[str, IndexedDocument] = {}
        for p in passages:
            known = found.get(p.doc_id)
            found[p.doc_id] = IndexedDocument(p.doc_id, p.title, (known.passages if known else 0) + 1, p.url)
        return sorted(found.values(), key=lambda d: d.title.casefold())


def log_question(via: str, answer: Answer | None, started: float, answer_id: str | None = None) -> None:
    """The one log line per question: where it came from, latency, answered flag, citation count."""
    latency = (time.perf_counter() - started) * 1000
    answered = "error" if answer is None else str(answer.answered).lower()
    citations = len(answer.citations) if answer else 0
    log.info(
        "question via=%s answered=%s citations=%d latency_ms=%.0f answer=%s",
        via,
        answered,
        citations,
        latency,
        answer_id or "-",
    )


Send = Callable[..., Awaitable[discord.Message | None]]


async def deliver(send: Send, answer: Answer, reply: Reply, view: discord.ui.View | None) -> discord.Message | None:
    """Send the reply's messages; the last carries the sources embed and the buttons. If Discord refuses the
    embed (no Embed Links permission), the sources follow as plain text instead."""
    extra = {"view": view} if view is not None else {}
    for content in reply.contents[:-1]:
        await send(content=content)
    try:
        return await send(content=reply.contents[-1], **({"embed": reply.embed} if reply.embed else {}), **extra)
    except discord.Forbidden:
        if reply.embed is None:
            raise
        log.warning("the embed was refused (missing Embed Links?): sending the sources as text")
    parts = split_message(reply.contents[-1] + "\n\n" + plain_sources(answer.citations))
    for content in parts[:-1]:
        await send(content=content)
    return await send(content=parts[-1], **extra)


def can_embed(channel: Any) -> bool:
    guild = getattr(channel, "guild", None)
    if guild is None or guild.me is None:
        return True
    try:
        return channel.permissions_for(guild.me).embed_links
    except (discord.ClientException, AttributeError):
        return True


# --- asking -------------------------------------------------------------------------------------


class Asking(commands.Cog):
    """Questions: /ask, a mention of the bot, any message in a QA channel, and follow-ups in the bot's threads."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    # -- shared checks

    def refusal(self, user_id: int, question: str) -> str | None:
        """The polite reply when the question cannot be taken now (too long, too soon), else None."""
        limit = self.bot.settings.max_question_chars
        if len(question) > limit:
            return too_long_reply(len(question), limit)
        wait = self.bot.cooldown.retry_after(user_id)
        if wait:
            return cooldown_reply(wait)
        return None

    async def prepare(self, answer: Answer, history: Sequence[Turn]) -> str | None:
        """Record the answer for feedback; returns its id (None when it is not worth a vote or the store fails)."""
        if answer.answerer == "input-check":
            return None
        try:
            return await asyncio.to_thread(self.bot.feedback.record_answer, answer, history)
        except Exception:
            log.exception("could not record the answer for feedback; sending it without buttons")
            return None

    # -- messages

    def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, or None when the message is not for the bot."""
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id or message.webhook_id:
            return None
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None
        content = message.content
        role = message.guild.self_role if message.guild else None  # "@qabot" can resolve to the bot's role
        mention = re.compile(rf"<@!?{me.id}>" + (rf"|<@&{role.id}>" if role else ""))
        if mention.search(content):
            return mention.sub(" ", content).strip()
        channel = message.channel
        if message.guild is None:
            return content.strip()
        if isinstance(channel, discord.Thread) and (channel.id in self.bot.conversations or channel.owner_id == me.id):
            return content.strip()
        qa_channels = self.bot.settings.channel_ids
        if channel.id in qa_channels or (isinstance(channel, discord.Thread) and channel.parent_id in qa_channels):
            return content.strip()
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self.question_in(message)
        if question is None:
            return
        try:
            await self.answer_message(message, question)
        except Exception:
            log.exception("failed to handle a question in channel %s", message.channel.id)

    async def answer_message(self, message: discord.Message, question: str) -> None:
        if message.guild is None and not self.bot.settings.allow_dms:
            if not self.bot.cooldown.retry_after(message.author.id):
                await message.channel.send(DM_REPLY, allowed_mentions=NO_MENTIONS)
            return
        if not question:
            await self.reply_in_place(message, 'Ask me a question about the documents, for example "What is …?"')
            return
        refusal = self.refusal(message.author.id, question)
        if refusal:
            await self.reply_in_place(message, refusal)
            return
        started = time.perf_counter()
        destination, thread = await self.destination(message, question)
        via = "thread" if thread else ("dm" if message.guild is None else "channel")
        history = self.bot.conversations.history(thread.id) if thread else []
        with contextlib.suppress(discord.HTTPException):
            await destination.typing()  # one "qabot is typing…" (lasts 10 s or until the answer arrives)
        try:
            answer = await self.bot.answer(question, history)
        except Exception:
            log.exception("answering failed")
            log_question(via, None, started)
            await destination.send(ERROR_REPLY, allowed_mentions=NO_MENTIONS)
            return
        answer_id = await self.prepare(answer, history)
        reply = render_answer(answer, embed=can_embed(destination))
        view = FeedbackView(answer_id) if answer_id else None
        reference = None if thread else message.to_reference(fail_if_not_exists=False)

        async def send(**kwargs: Any) -> discord.Message:
            nonlocal reference
            if reference is not None:
                kwargs |= {"reference": reference, "mention_author": False}
                reference = None
            return await destination.send(allowed_mentions=NO_MENTIONS, **kwargs)

        await deliver(send, answer, reply, view)
        if thread and answer.answered:
            self.bot.conversations.add(thread.id, Turn(question, answer.answer))
        log_question(via, answer, started, answer_id)

    async def reply_in_place(self, message: discord.Message, content: str) -> None:
        try:
            await message.reply(content, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            await message.channel.send(content, allowed_mentions=NO_MENTIONS)

    async def destination(self, message: discord.Message, question: str) -> tuple[Any, discord.Thread | None]:
        """Where the answer goes: the current thread, a new thread on the message, or the channel itself when
        threads are impossible there (a DM, a voice channel's chat, or no permission to create threads)."""
        channel = message.channel
        if isinstance(channel, discord.Thread):
            self.bot.conversations.start(channel.id)
            return channel, channel
        if isinstance(channel, discord.TextChannel) and message.guild is not None and message.guild.me is not None:
            perms = channel.permissions_for(message.guild.me)
            if perms.create_public_threads and perms.send_messages_in_threads:
                try:
                    thread = await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
                except discord.HTTPException as exc:
                    log.warning(
                        "could not create a thread in channel %s (%s): replying in the channel", channel.id, exc
                    )
                else:
                    self.bot.conversations.start(thread.id)
                    return thread, thread
            else:
                log.info("no permission to create threads in channel %s: replying in the channel", channel.id)
        return channel, None

    # -- /ask

    @app_commands.command(name="ask", description="Ask a question about the documents; the answer cites its sources.")
    @app_commands.describe(question="What you want to know")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        if interaction.guild is None and not self.bot.settings.allow_dms:
            await respond(interaction, DM_REPLY)
            return
        question = question.strip()
        refusal = self.refusal(interaction.user.id, question)
        if refusal:
            await respond(interaction, refusal)
            return
        started = time.perf_counter()
        await interaction.response.defer(thinking=True)
        channel = interaction.channel
        thread = channel if isinstance(channel, discord.Thread) else None
        history = self.bot.conversations.history(thread.id) if thread else []
        try:
            answer = await self.bot.answer(question, history)
        except Exception:
            log.exception("answering failed")
            log_question("/ask", None, started)
            await respond(interaction, ERROR_REPLY, ephemeral=False)
            return
        answer_id = await self.prepare(answer, history)
        embed = interaction.app_permissions.embed_links or not interaction.app_permissions.value
        reply = render_answer(answer, embed=embed)

        async def send(**kwargs: Any) -> discord.WebhookMessage:
            return await interaction.followup.send(wait=True, allowed_mentions=NO_MENTIONS, **kwargs)

        first = None

        async def send_first(**kwargs: Any) -> discord.WebhookMessage:
            nonlocal first
            message = await send(**kwargs)
            first = first or message
            return message

        await deliver(send_first, answer, reply, FeedbackView(answer_id) if answer_id else None)
        log_question("/ask", answer, started, answer_id)
        if thread:
            if answer.answered:
                self.bot.conversations.add(thread.id, Turn(question, answer.answer))
        elif first is not None and answer.answered:
            await self.open_follow_up_thread(interaction, first, question, answer)

    async def open_follow_up_thread(
        self, interaction: discord.Interaction, message: discord.Message, question: str, answer: Answer
    ) -> None:
        """A thread on the /ask answer, so follow-up questions keep the conversation (best effort)."""
        perms = interaction.app_permissions
        if not (perms.create_public_threads and perms.send_messages_in_threads):
            return
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            return
        try:  # through the channel: a follow-up message's payload carries no guild
            thread = await channel.create_thread(
                name=thread_name(question), message=message, auto_archive_duration=1440
            )
            self.bot.conversations.add(thread.id, Turn(question, answer.answer))
            await thread.send("Ask follow-up questions here: I keep this conversation in mind.")
        except (discord.HTTPException, discord.ClientException, ValueError) as exc:
            log.info("no follow-up thread for /ask in channel %s (%s)", interaction.channel_id, exc)


# --- feedback -----------------------------------------------------------------------------------


class Feedback(commands.Cog):
    """The 👍/👎 votes: stored with a hashed user id, one vote per person and answer."""

    THANKS: ClassVar[dict[VoteResult, str]] = {
        VoteResult.RECORDED: "Thanks for the feedback! Your {emoji} is recorded.",
        VoteResult.CHANGED: "Thanks: your vote is now {emoji}.",
        VoteResult.UNCHANGED: "You already voted {emoji} on this answer.",
        VoteResult.UNKNOWN_ANSWER: "Sorry, I no longer have that answer on record, so I can't store the vote.",
    }

    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    async def vote(self, interaction: discord.Interaction, answer_id: str, value: int) -> None:
        try:
            result = await asyncio.to_thread(self.bot.feedback.vote, answer_id, interaction.user.id, value)
        except Exception:
            log.exception("could not store a vote for answer %s", answer_id)
            await respond(interaction, "Sorry, I could not store that vote. Please try again later.")
            return
        log.info("vote answer=%s value=%+d result=%s", answer_id, value, result.value)
        await respond(interaction, self.THANKS[result].format(emoji="👍" if value > 0 else "👎"))


# --- admin --------------------------------------------------------------------------------------


class NotAdmin(app_commands.CheckFailure):
    pass


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server permission, or the role named (or with the id) in QABOT_ADMIN_ROLE."""
    user = interaction.user
    if not isinstance(user, discord.Member):
        return False
    if interaction.permissions.manage_guild or interaction.permissions.administrator:
        return True
    role = (getattr(interaction.client, "settings", None) and interaction.client.settings.admin_role) or ""
    return bool(role) and any(r.name == role or str(r.id) == role for r in user.roles)


def admin_only(interaction: discord.Interaction) -> bool:
    if is_admin(interaction):
        return True
    role = interaction.client.settings.admin_role
    needs = "the Manage Server permission" + (f" or the {role} role" if role else "")
    raise NotAdmin(f"Sorry, only members with {needs} can do that.")


def reindex_summary(report: Any) -> str:
    def counts(part: dict[str, int]) -> str:
        return ", ".join(f"{part[k]} {k}" for k in ("added", "updated", "removed", "unchanged"))

    lines = [
        f"Index updated in {report.seconds:.1f} s.",
        f"Documents: {counts(report.documents)}.",
        f"Passages: {counts(report.chunks)}.",
    ]
    problems = list(report.problems)
    if problems:
        lines.append(f"{len(problems)} file(s) need attention:")
        lines += [f"• {trim(str(p), 300)}" for p in problems[:10]]
        if len(problems) > 10:
            lines.append(f"…and {len(problems) - 10} more (see the log).")
    return "\n".join(lines)


class Admin(commands.Cog):
    """/reindex for admins; /sources and /about for everyone."""

    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Update the index from the corpus folder (admins only).")
    @app_commands.guild_only()
    @app_commands.check(admin_only)
    async def reindex(self, interaction: discord.Interaction) -> None:
        if self.bot.reindex_lock.locked():
            await respond(interaction, "A reindex is already running; please wait for it to finish.")
            return
        async with self.bot.reindex_lock:
            await interaction.response.defer(thinking=True, ephemeral=True)
            log.info("reindex started by %s", interaction.user.id)
            try:
                report = await asyncio.to_thread(self._build)
            except Exception as exc:
                log.exception("reindex failed")
                await respond(interaction, trim(f"The reindex failed: {exc}", 1900))
                return
            log.info("reindex done in %.1f s", report.seconds)
            await respond(interaction, reindex_summary(report))

    def _build(self) -> Any:
        from index.build import build_index

        report = build_index(self.bot.settings)
        self.bot.pipeline.reload()
        return report

    @app_commands.command(name="sources", description="List the documents the bot answers from.")
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            embed=documents_embed(self.bot.indexed_documents()), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="about", description="What the bot knows and how it answers.")
    async def about(self, interaction: discord.Interaction) -> None:
        settings = self.bot.settings
        if settings.llm_model:
            how = f"in my own words with a language model ({settings.llm_model}), from the passages I found."
        else:
            how = "by quoting the sentences of the documents that answer the question."
        ways = ["/ask question:", f"mention {self.bot.user.mention}" if self.bot.user else "mention me"]
        channels = [f"<#{c}>" for c in sorted(settings.channel_ids)]
        if channels:
            ways.append("any message in " + ", ".join(channels))
        ways.append("follow-up questions in my threads")
        embed = about_embed(self.bot.indexed_documents(), how, ways)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


# --- running ------------------------------------------------------------------------------------


def configure_logging(token: str | None) -> None:
    discord.utils.setup_logging(level=logging.INFO)
    if token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactToken(token))


def run_bot(settings: Settings) -> None:
    """Open the index and the feedback store, then run the bot until interrupted. On a Chroma server that is
    down, the bot starts anyway and tells askers the index is unavailable until the server is back."""
    from bot.answer.pipeline import QAPipeline
    from index.store import IndexUnavailable

    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    if not token:
        raise SystemExit(
            "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
            "(Bot → Reset Token) and put DISCORD_TOKEN=... in .env. See docs/discord.md."
        )
    configure_logging(token)
    try:
        pipeline = QAPipeline.open(settings)
    except IndexUnavailable as exc:
        if not settings.chroma_host:
            raise SystemExit(f"cannot open the index: {exc}") from exc
        log.error("%s Starting anyway: questions are told the index is unavailable until it is back.", exc)
        pipeline = QAPipeline(settings)
    except Exception as exc:
        raise SystemExit(f"cannot open the index: {exc}") from exc
    feedback = FeedbackStore(settings.feedback_db)
    bot = QABot(settings, pipeline, feedback)
    try:
        bot.run(token, log_handler=None)
    except discord.LoginFailure as exc:
        raise SystemExit(
            "Discord rejected DISCORD_TOKEN. Reset the token in the developer portal (Bot → Reset Token) "
            "and update .env."
        ) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise SystemExit(
            "The bot needs the Message Content intent: enable it in the developer portal "
            "(your application → Bot → Privileged Gateway Intents → Message Content Intent)."
        ) from exc
