"""App commands and buttons through real `discord.Interaction` objects, with a recorder in place of Discord's
interaction endpoints: /ask, /reindex, /sources, /about, and the persistent 👍/👎 view across a restart."""

from __future__ import annotations

import shutil
from pathlib import Path

import discord
import discord.ext.test as dpytest
import discord.ext.test.backend as dpy_backend
import pytest
from discord_harness import (
    ADMIN,
    Harness,
    SpyPipeline,
    ask,
    click,
    custom_ids,
    mention,
    message_payload,
    run_command,
    start_bot,
    stop_bot,
)

from bot.answer.pipeline import QAPipeline
from bot.apps.discord_bot import ERROR_REPLY
from bot.feedback import FeedbackStore
from index.settings import Settings

pytest_plugins = ("discord_fixtures",)  # harness, real_pipeline, corpus_settings

QUESTION = "When was the University of Hull founded?"
DEFERRED = discord.InteractionResponseType.deferred_channel_message.value
MESSAGE = discord.InteractionResponseType.channel_message.value
EPHEMERAL = discord.MessageFlags(ephemeral=True).value


def is_ephemeral_message(payload: dict) -> bool:
    return payload["type"] == MESSAGE and payload["data"]["flags"] & EPHEMERAL


async def test_ask_defers_then_answers_with_an_embed_and_buttons(harness: Harness) -> None:
    h = harness
    recorder = await run_command(h, "ask", {"question": QUESTION})
    assert recorder.kinds()[:2] == ["response", "followup"]
    assert recorder.payloads("response")[0]["type"] == DEFERRED  # within Discord's 3 seconds, before answering
    answer = recorder.payloads("followup")[0]
    assert "1927" in answer["content"]
    assert answer["embeds"][0]["fields"][0]["name"].startswith("[1]")
    assert [c.split(":")[2] for c in custom_ids(answer)] == ["up", "down"]
    assert answer["allowed_mentions"] == {"parse": []}
    assert h.pipeline.calls == [(QUESTION, [])]
    # a thread on the answer takes follow-up questions, with the conversation so far
    [thread] = h.threads
    assert thread["name"] == QUESTION
    await ask(h, "Who was its librarian?", channel=h.thread(int(thread["id"])))
    question, history = h.pipeline.calls[-1]
    assert question == "Who was its librarian?" and [t.question for t in history] == [QUESTION]
    follow_up = h.messages_in(int(thread["id"]))[-1]
    assert follow_up["components"] and follow_up["content"]  # answered in the thread, with its own buttons


async def test_ask_inside_a_thread_uses_its_history(harness: Harness) -> None:
    h = harness
    await ask(h, f"{mention(h)} Tell me about the University of Hull")
    thread = h.thread(int(h.threads[0]["id"]))
    recorder = await run_command(h, "ask", {"question": "When was it founded?"}, channel=thread)
    assert [t.question for t in h.pipeline.calls[-1][1]] == ["Tell me about the University of Hull"]
    assert "1927" in recorder.payloads("followup")[0]["content"]
    assert len(h.threads) == 1


async def test_ask_with_everyone_pings_no_one(harness: Harness) -> None:
    h = harness
    recorder = await run_command(h, "ask", {"question": "@everyone who was the librarian?"})
    followups = recorder.payloads("followup")
    assert followups and all(p["allowed_mentions"] == {"parse": []} for p in followups)


async def test_ask_too_long_is_refused_politely_without_answering(harness: Harness) -> None:
    h = harness
    recorder = await run_command(h, "ask", {"question": "why " * 400})
    [response] = recorder.payloads("response")
    assert is_ephemeral_message(response) and "characters long" in response["data"]["content"]
    assert recorder.kinds() == ["response"] and h.pipeline.calls == []


async def test_ask_cooldown(real_pipeline, corpus_settings, tmp_path) -> None:
    bot, h = await start_bot(
        SpyPipeline(real_pipeline), corpus_settings, tmp_path / "fb.sqlite3", QABOT_COOLDOWN_SECONDS=30
    )
    try:
        await run_command(h, "ask", {"question": QUESTION})
        recorder = await run_command(h, "ask", {"question": "Who was the librarian?"})
        [response] = recorder.payloads("response")
        assert is_ephemeral_message(response) and "please wait" in response["data"]["content"]
        assert len(h.pipeline.calls) == 1
    finally:
        await stop_bot(bot)


async def test_ask_that_fails_says_so_briefly(harness: Harness) -> None:
    h = harness
    h.pipeline.fail_next = True
    recorder = await run_command(h, "ask", {"question": QUESTION})
    assert recorder.payloads("followup")[-1]["content"] == ERROR_REPLY
    recorder = await run_command(h, "ask", {"question": QUESTION})
    assert "1927" in recorder.payloads("followup")[0]["content"]


async def test_ask_without_embed_permission_sends_text_sources(harness: Harness) -> None:
    h = harness
    perms = discord.Permissions(send_messages=True, view_channel=True)
    recorder = await run_command(h, "ask", {"question": QUESTION}, app_permissions=perms)
    answer = recorder.payloads("followup")[0]
    assert not answer.get("embeds") and "**Sources**" in answer["content"]
    assert h.threads == []  # no thread permission either: no follow-up thread


async def test_reindex_is_refused_for_members_without_manage_server(harness: Harness) -> None:
    h = harness
    recorder = await run_command(h, "reindex")
    [response] = recorder.payloads("response")
    assert is_ephemeral_message(response) and "Manage Server" in response["data"]["content"]
    assert h.pipeline.reloads == 0


async def test_reindex_while_one_runs_is_refused(harness: Harness) -> None:
    h = harness
    async with h.bot.reindex_lock:
        recorder = await run_command(h, "reindex", permissions=ADMIN)
    [response] = recorder.payloads("response")
    assert is_ephemeral_message(response) and "already running" in response["data"]["content"]
    assert h.pipeline.reloads == 0


async def test_reindex_by_the_admin_role_updates_the_index_and_the_answers(corpus_settings: Settings, tmp_path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus_settings.corpus_dir, corpus)
    shutil.copytree(corpus_settings.index_dir, index)
    own = Settings(QABOT_CORPUS_DIR=corpus, QABOT_INDEX_DIR=index, _env_file=None)
    pipeline = SpyPipeline(QAPipeline.open(own))
    bot, h = await start_bot(
        pipeline, own, tmp_path / "fb.sqlite3", QABOT_CORPUS_DIR=corpus, QABOT_INDEX_DIR=index, QABOT_ADMIN_ROLE="qa"
    )
    try:
        role = dpy_backend.make_role("qa", h.guild, permissions=0)  # dpytest's create_role lags discord.py 2.7
        await dpytest.add_role(h.member, role)
        (corpus / "lighthouse.txt").write_text(
            "The Spurn lighthouse was built in 1895. It stands at the mouth of the Humber estuary.", encoding="utf-8"
        )
        recorder = await run_command(h, "reindex")  # no Manage Server, but the configured role
        response = recorder.payloads("response")[0]
        assert response["type"] == DEFERRED and response["data"]["flags"] & EPHEMERAL
        summary = recorder.payloads("followup")[-1]["content"]
        assert "Index updated" in summary and "1 added" in summary and "3 unchanged" in summary
        assert pipeline.reloads == 1
        recorder = await run_command(h, "ask", {"question": "When was the Spurn lighthouse built?"})
        assert "1895" in recorder.payloads("followup")[0]["content"]
    finally:
        await stop_bot(bot)


async def test_sources_lists_the_indexed_documents(harness: Harness) -> None:
    recorder = await run_command(harness, "sources")
    [response] = recorder.payloads("response")
    embed = response["data"]["embeds"][0]
    assert embed["title"] == "Indexed documents (3)"
    for doc_id in ("hull.txt", "baking.md", "treaty/pact.txt"):
        assert doc_id in embed["description"]


async def test_about_says_what_the_bot_knows_and_how_it_answers(harness: Harness) -> None:
    recorder = await run_command(harness, "about")
    embed = recorder.payloads("response")[0]["data"]["embeds"][0]
    assert "3 document(s)" in embed["description"] and "Banana bread" in embed["description"]
    assert any(f["name"] == "How I answer" and "quoting" in f["value"] for f in embed["fields"])


async def test_a_vote_is_stored_and_the_buttons_work_after_a_restart(
    real_pipeline, corpus_settings, tmp_path: Path
) -> None:
    db = tmp_path / "feedback" / "votes.sqlite3"
    bot, h = await start_bot(SpyPipeline(real_pipeline), corpus_settings, db)
    try:
        await ask(h, f"{mention(h)} {QUESTION}")
        [answer] = [p for p in h.sent if p.get("components")]
        up, down = custom_ids(answer)
        answer_id = up.rsplit(":", 1)[1]
        recorder = await click(h, up, message_payload(h, answer))
        [response] = recorder.payloads("response")
        assert is_ephemeral_message(response) and "👍" in response["data"]["content"]
        assert FeedbackStore(db).counts(answer_id) == (1, 0)
    finally:
        await stop_bot(bot)

    # a new process: a new bot instance with the same database; the old message's buttons still work
    bot, h2 = await start_bot(SpyPipeline(real_pipeline), corpus_settings, db)
    try:
        recorder = await click(h2, down, message_payload(h2, answer | {"_channel_id": h2.channel.id}))
        [response] = recorder.payloads("response")
        assert is_ephemeral_message(response) and "👎" in response["data"]["content"]
        assert FeedbackStore(db).counts(answer_id) == (1, 1)  # another user in the new guild
        again = await click(h2, down, message_payload(h2, answer | {"_channel_id": h2.channel.id}))
        assert "already voted" in again.payloads("response")[0]["data"]["content"]
        assert FeedbackStore(db).counts(answer_id) == (1, 1)
    finally:
        await stop_bot(bot)


async def test_a_vote_for_an_unknown_answer_is_answered_politely(harness: Harness) -> None:
    h = harness
    custom_id = "qabot:vote:up:" + "ab" * 8
    sent = {"_channel_id": h.channel.id, "content": "old answer", "components": []}
    sent["components"] = [{"type": 1, "components": [{"type": 2, "style": 2, "custom_id": custom_id, "label": "x"}]}]
    recorder = await click(h, custom_id, message_payload(h, sent))
    assert "no longer have that answer" in recorder.payloads("response")[0]["data"]["content"]


@pytest.mark.parametrize("guild_id", [None, 4242])
async def test_start_up_prints_the_invite_and_syncs_to_the_guild_or_globally(
    harness: Harness, guild_id: int | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    synced: list[object] = []

    async def sync(*, guild: discord.abc.Snowflake | None = None) -> list:
        synced.append(guild.id if guild else "global")
        return []

    monkeypatch.setattr(h.bot.tree, "sync", sync)
    h.bot.settings.discord_guild_id = guild_id
    await h.bot.announce()
    assert synced == [guild_id or "global"]
    out = capsys.readouterr().out
    assert "oauth2/authorize" in out and "scope=bot+applications.commands" in out
    assert h.bot.settings.discord_token.get_secret_value() not in out
    if guild_id:
        assert {c.name for c in h.bot.tree.get_commands(guild=discord.Object(guild_id))} == {
            "ask",
            "reindex",
            "sources",
            "about",
        }
