"""The Discord bot on messages (dpytest): mentions, QA channels, threads and follow-ups, safety and faults.
A real QAPipeline answers over the tiny corpus; the bot talks to dpytest's fake Discord."""

from __future__ import annotations

import asyncio
import logging
import time

import discord.ext.test as dpytest
import pytest
from discord_harness import (
    Harness,
    SpyPipeline,
    ask,
    custom_ids,
    mention,
    start_bot,
    stop_bot,
)

from bot.answer.types import Turn
from bot.apps.discord_bot import (
    DM_REPLY,
    ERROR_REPLY,
    INVITE_PERMISSIONS,
    Conversations,
    Cooldown,
    RedactToken,
    invite_url,
    thread_name,
)
from bot.apps.discord_render import NOT_FOUND_HEADER

pytest_plugins = ("discord_fixtures",)  # harness, real_pipeline, corpus_settings

QUESTION = "When was the University of Hull founded?"


def answer_payloads(h: Harness) -> list[dict]:
    return [p for p in h.sent if p.get("components")]


async def test_a_mention_gets_a_cited_answer_in_a_thread_on_the_message(harness: Harness) -> None:
    h = harness
    asked = await ask(h, f"{mention(h)} {QUESTION}")
    assert h.pipeline.calls == [(QUESTION, [])]  # the mention is not part of the question
    [thread] = h.threads
    assert thread["_message_id"] == asked.id and thread["name"] == QUESTION
    [reply] = h.messages_in(int(thread["id"]))
    assert "1927" in reply["content"] and "[1]" in reply["content"]
    [embed] = reply["embeds"]
    assert embed["title"].startswith("Sources") and embed["fields"][0]["name"].startswith("[1] hull")
    assert [c.split(":")[2] for c in custom_ids(reply)] == ["up", "down"]
    assert reply["allowed_mentions"] == {"parse": []}
    assert h.messages_in(h.channel.id) == []  # the channel itself stays clean


async def test_every_message_in_a_qa_channel_is_a_question_and_others_are_ignored(
    real_pipeline, corpus_settings, tmp_path
) -> None:
    bot, h = await start_bot(SpyPipeline(real_pipeline), corpus_settings, tmp_path / "fb.sqlite3")
    try:
        other = await h.guild.create_text_channel("general")
        qa = await h.guild.create_text_channel("questions")
        bot.settings.qa_channel_ids = str(qa.id)
        await ask(h, "Who worked as the librarian?", channel=qa)
        assert h.pipeline.calls == [("Who worked as the librarian?", [])]
        assert "Larkin" in h.messages_in(int(h.threads[0]["id"]))[0]["content"]
        await ask(h, "Who worked as the librarian?", channel=other)  # no mention, not a QA channel
        assert len(h.pipeline.calls) == 1
    finally:
        await stop_bot(bot)


async def test_a_follow_up_in_the_thread_uses_the_earlier_turns(harness: Harness) -> None:
    h = harness
    await ask(h, f"{mention(h)} Tell me about the University of Hull")
    first_answer = h.sent[-1]["content"]
    thread = h.thread(int(h.threads[0]["id"]))
    await ask(h, "When was it founded?", channel=thread)  # no mention needed inside the bot's thread
    question, history = h.pipeline.calls[-1]
    assert question == "When was it founded?"
    assert [t.question for t in history] == ["Tell me about the University of Hull"]
    assert history[0].answer.split("\n")[0] in first_answer
    assert "1927" in h.messages_in(thread.id)[-1]["content"]
    assert len(h.threads) == 1  # no new thread for a follow-up


async def test_everyone_in_a_question_pings_no_one(harness: Harness) -> None:
    h = harness
    await ask(h, f"{mention(h)} @everyone @here who was the librarian <@{h.member.id}>?")
    assert h.sent
    assert all(p["allowed_mentions"] == {"parse": []} for p in h.sent)
    assert "@everyone" not in h.threads[0]["name"] and "@here" not in h.threads[0]["name"]


async def test_a_declined_question_is_marked(harness: Harness) -> None:
    h = harness
    await ask(h, f"{mention(h)} What is the capital of France?")
    [reply] = answer_payloads(h)
    assert reply["content"].startswith(NOT_FOUND_HEADER)
    assert not reply.get("embeds")


async def test_cooldown_gives_a_polite_reply(real_pipeline, corpus_settings, tmp_path) -> None:
    bot, h = await start_bot(
        SpyPipeline(real_pipeline), corpus_settings, tmp_path / "fb.sqlite3", QABOT_COOLDOWN_SECONDS=60
    )
    try:
        await ask(h, f"{mention(h)} {QUESTION}")
        await ask(h, f"{mention(h)} Who was the librarian?")
        assert len(h.pipeline.calls) == 1
        polite = h.messages_in(h.channel.id)[-1]["content"]
        assert "please wait" in polite and " s " in polite
        other = h.new_member("someone-else")
        await ask(h, f"{mention(h)} Who was the librarian?", member=other)  # the cooldown is per user
        assert len(h.pipeline.calls) == 2
    finally:
        await stop_bot(bot)


async def test_a_question_that_is_too_long_is_refused_politely(harness: Harness) -> None:
    h = harness
    limit = h.bot.settings.max_question_chars
    await ask(h, f"{mention(h)} " + "why " * limit)
    assert h.pipeline.calls == []
    [reply] = h.sent
    assert "characters long" in reply["content"] and f"{limit:,}" in reply["content"]


async def test_bots_and_the_bot_itself_are_ignored(harness: Harness) -> None:
    h = harness
    robot = h.new_member("robot", bot=True)
    await ask(h, f"{mention(h)} {QUESTION}", member=robot)
    await h.channel.send(f"{mention(h)} {QUESTION}")  # the bot's own message
    await dpytest.run_all_events()
    assert h.pipeline.calls == []


async def test_no_thread_permission_means_a_reply_in_the_channel(harness: Harness) -> None:
    h = harness
    await dpytest.set_permission_overrides(h.guild.default_role, h.channel, create_public_threads=False)
    await ask(h, f"{mention(h)} {QUESTION}")
    assert h.threads == []
    [reply] = h.messages_in(h.channel.id)
    assert "1927" in reply["content"] and reply["embeds"]
    assert reply["message_reference"]["message_id"]  # a reply to the question (dpytest drops it on receipt)


async def test_thread_creation_failing_falls_back_to_the_channel(harness: Harness) -> None:
    h = harness
    h.fail_threads = True
    await ask(h, f"{mention(h)} {QUESTION}")
    [reply] = h.messages_in(h.channel.id)
    assert "1927" in reply["content"]


async def test_no_embed_permission_sends_the_sources_as_text(harness: Harness) -> None:
    h = harness
    await dpytest.set_permission_overrides(h.guild.default_role, h.channel, embed_links=False)
    await ask(h, f"{mention(h)} {QUESTION}")
    [reply] = answer_payloads(h)
    assert not reply.get("embeds")
    assert "**Sources**" in reply["content"] and "[1] **hull**" in reply["content"]


async def test_an_embed_refused_by_discord_is_resent_as_text(harness: Harness) -> None:
    h = harness
    h.refuse_embeds = True
    await ask(h, f"{mention(h)} {QUESTION}")
    [reply] = answer_payloads(h)
    assert "**Sources**" in reply["content"] and not reply.get("embeds")


async def test_an_answer_that_raises_gets_a_short_error_and_the_bot_keeps_going(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.pipeline.fail_next = True
    with caplog.at_level(logging.INFO, logger="qabot.discord"):
        await ask(h, f"{mention(h)} {QUESTION}")
    thread_id = int(h.threads[0]["id"])
    assert h.messages_in(thread_id)[-1]["content"] == ERROR_REPLY
    assert "injected by the test" in caplog.text  # the detail is in the log, not in Discord
    assert "answered=error" in caplog.text
    await ask(h, f"{mention(h)} Who was the librarian?")
    assert "Larkin" in h.sent[-1]["content"]


async def test_one_log_line_per_question(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h = harness
    with caplog.at_level(logging.INFO, logger="qabot.discord"):
        await ask(h, f"{mention(h)} {QUESTION}")
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("question ")]
    assert "answered=true" in line and "citations=" in line and "latency_ms=" in line
    assert QUESTION not in line


async def test_direct_messages_are_off_by_default(harness: Harness) -> None:
    h = harness
    dm = await h.member.create_dm()
    await dpytest.message(QUESTION, channel=dm, member=h.member)
    assert h.pipeline.calls == []
    assert dpytest.get_message().content == DM_REPLY


def test_invite_link_has_exactly_the_scopes_and_permissions_needed() -> None:
    url = invite_url(1234)
    assert "client_id=1234" in url and "scope=bot+applications.commands" in url
    assert f"permissions={INVITE_PERMISSIONS.value}" in url
    granted = {name for name, on in INVITE_PERMISSIONS if on}
    assert granted == {
        "read_messages",  # shown as View Channel
        "send_messages",
        "read_message_history",
        "create_public_threads",
        "send_messages_in_threads",
        "embed_links",
    }


def test_conversations_are_bounded() -> None:
    memory = Conversations(max_threads=3, max_turns=2)
    for thread in range(5):
        for n in range(4):
            memory.add(thread, Turn(f"q{n}", "a"))
    assert 0 not in memory and 1 not in memory and 4 in memory
    assert [t.question for t in memory.history(4)] == ["q2", "q3"]


def test_cooldown_is_per_user_and_expires() -> None:
    now = [100.0]
    cooldown = Cooldown(5, clock=lambda: now[0])
    assert cooldown.retry_after(1) == 0
    assert cooldown.retry_after(1) == pytest.approx(5)
    assert cooldown.retry_after(2) == 0
    now[0] += 5
    assert cooldown.retry_after(1) == 0
    assert Cooldown(0).retry_after(1) == 0 and Cooldown(0).retry_after(1) == 0


def test_thread_names_drop_mentions_and_fit() -> None:
    assert thread_name("@everyone what <@123> is it?") == "what is it?"
    assert len(thread_name("word " * 100)) <= 100
    assert thread_name("<@1>") == "Question"


def test_the_token_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactToken("secret-token"))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", ("secret-token",), None)
    handler.filter(record)
    assert "secret-token" not in record.getMessage() and "[token]" in record.getMessage()


def test_discord_is_imported_only_by_the_discord_modules() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    importing = {
        str(p.relative_to(root))
        for folder in ("bot", "index")
        for p in (root / folder).rglob("*.py")
        if "import discord" in p.read_text() or "from discord" in p.read_text()
    }
    assert importing <= {"bot/apps/discord_bot.py", "bot/apps/discord_render.py"}


async def test_a_mention_alone_gets_help_not_an_answer(harness: Harness) -> None:
    h = harness
    await ask(h, mention(h))
    assert h.pipeline.calls == [] and h.threads == []
    assert "Ask me a question" in h.sent[-1]["content"]


async def test_direct_messages_are_answered_when_enabled(real_pipeline, corpus_settings, tmp_path) -> None:
    bot, h = await start_bot(SpyPipeline(real_pipeline), corpus_settings, tmp_path / "fb.sqlite3", QABOT_ALLOW_DMS=True)
    try:
        dm = await h.member.create_dm()
        await dpytest.message(QUESTION, channel=dm, member=h.member)
        assert h.pipeline.calls == [(QUESTION, [])]
        reply = h.sent[-1]
        assert "1927" in reply["content"] and reply["embeds"] and custom_ids(reply)
        assert reply["_channel_id"] == dm.id
    finally:
        await stop_bot(bot)


async def test_unknown_qa_channels_are_reported_at_start_up(
    real_pipeline, corpus_settings, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    bot, _ = await start_bot(SpyPipeline(real_pipeline), corpus_settings, tmp_path / "fb.sqlite3", QA_CHANNEL_IDS="123")
    try:
        with caplog.at_level(logging.INFO, logger="qabot.discord"):
            await bot.on_ready()
        assert "channel 123 is unknown or not visible" in caplog.text
    finally:
        await stop_bot(bot)


async def test_answers_run_off_the_event_loop_two_at_a_time(harness: Harness) -> None:
    h = harness
    running, peak = 0, 0
    real_answer = h.pipeline.answer

    def slow_answer(question, history=()):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        time.sleep(0.2)  # a slow answer (an LLM, say) blocks its worker thread, not the event loop
        running -= 1
        return real_answer(question, history)

    h.pipeline.answer = slow_answer
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    answers = await asyncio.gather(*(h.bot.answer(QUESTION) for _ in range(4)))
    beat.cancel()
    assert all("1927" in a.answer for a in answers)
    assert peak == 2  # ANSWER_WORKERS
    assert ticks >= 20  # ~0.4 s of answering; the loop kept ticking throughout
