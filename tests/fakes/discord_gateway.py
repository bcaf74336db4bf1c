"""A small stand-in for Discord on 127.0.0.1: the REST API and the websocket gateway.

The real discord.py client talks to it through its own HTTP and gateway code (point
``discord.http.Route.BASE`` at ``api_base``; the gateway URL comes from ``GET /gateway/bot``).
It implements what a bot like newsbot uses:

- gateway: HELLO (op 10), IDENTIFY (op 2) → READY (guild unavailable) then GUILD_CREATE,
  heartbeats (op 1 → op 11); dispatches MESSAGE_CREATE / MESSAGE_UPDATE for messages the bot
  posts or edits, THREAD_CREATE for threads it opens, and whatever a test sends;
- REST: ``/users/@me``, ``/oauth2/applications/@me``, ``/gateway/bot``, command sync (global and
  guild ``PUT``), interaction callbacks, webhook followups and their edits (``@original`` too),
  channels (get), channel messages (create, edit, get, history), threads from a message,
  typing, the bot's own reactions (kept on the message, as Discord shows them on a later read);
- GUILD_CREATE lists the active threads opened so far, as Discord does on connect.

Every REST call is recorded (``calls``); ``rate_limit_next`` answers the next matching call with
a 429 as Discord does (``Retry-After`` and ``Via`` headers, a JSON body with ``retry_after``).
Test helpers: ``user_message``, ``slash_command``, ``click_button`` and ``wait_for_call``.

Usage::

    async with FakeDiscord() as fake:
        discord.http.Route.BASE = fake.api_base
        client_task = asyncio.create_task(client.start("token"))
        await fake.guild_delivered.wait()
        await fake.user_message("hello <@bot>", mention_bot=True)
        call = await fake.wait_for_call("POST", r"/channels/\\d+/messages")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web

Json = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000
APP_ID = 900000000000000001
BOT_ID = APP_ID  # a bot user has its application's id
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200  # "general"
OTHER_CHANNEL_ID = 900000000000000201  # "random"
USER_ID = 900000000000000300  # an ordinary member
ADMIN_ID = 900000000000000301  # a member with Manage Server
OTHER_BOT_ID = 900000000000000302
ADMIN_ROLE_ID = 900000000000000400
BOT_ROLE_ID = 900000000000000401  # the bot's own managed role, created when it is invited
DM_CHANNEL_ID = 900000000000000500  # a member's direct-message channel with the bot

# Permission bits (https://discord.com/developers/docs/topics/permissions).
MANAGE_GUILD = 1 << 5
# View, send, embed links, read history, add reactions, create public threads, send in threads.
MEMBER_PERMISSIONS = ((1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 6) | (1 << 35)
                      | (1 << 38))
EPHEMERAL = 1 << 6


def _user(user_id: int, name: str, *, bot: bool = False) -> Json:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name,
            "avatar": None, "bot": bot, "public_flags": 0, "flags": 0}


BOT_USER = _user(BOT_ID, "newsbot", bot=True)
USER = _user(USER_ID, "reader")
ADMIN = _user(ADMIN_ID, "admin")
OTHER_BOT = _user(OTHER_BOT_ID, "otherbot", bot=True)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json_response(data: Any, *, status: int = 200,
                   headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py only parses a body with that content-type (no
    # "; charset=utf-8", which aiohttp's json_response would add).
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


@dataclass
class RecordedCall:
    """One REST request the client made, and what the stub answered."""

    method: str
    path: str  # below the API base, e.g. "/channels/1/messages"
    query: dict[str, str]
    body: Any
    status: int = 200
    match: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the request arrived


@dataclass
class _RateLimit:
    method: str
    pattern: re.Pattern[str]
    retry_after: float


class FakeDiscord:
    """The stub: start it, point a client at it, drive it with the helpers, read ``calls``."""

    def __init__(self, *, token: str | None = None, heartbeat_interval_ms: int = 41250) -> None:
        self.token = token  # if set, REST calls with another token get a 401
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.calls: list[RecordedCall] = []
        self.messages: dict[int, Json] = {}
        self.channels: dict[int, Json] = {
            CHANNEL_ID: self._text_channel(CHANNEL_ID, "general", 0),
            OTHER_CHANNEL_ID: self._text_channel(OTHER_CHANNEL_ID, "random", 1),
        }
        self.commands: dict[str, list[Json]] = {}  # "global" or the guild id → synced commands
        self.interactions: dict[str, Json] = {}  # token → interaction payload
        self.originals: dict[str, int] = {}  # token → id of the original response message
        self.identify: Json | None = None
        self.heartbeats = 0
        self.guild_delivered = asyncio.Event()
        self._ids = itertools.count(1)
        self._seq = 0
        self._ws: web.WebSocketResponse | None = None
        self._rate_limits: list[_RateLimit] = []
        self.reactions: list[tuple[int, str]] = []  # (message id, emoji) the bot added
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            (method, re.compile(pattern + "$"), handler) for method, pattern, handler in (
                ("GET", r"/gateway/bot", self._gateway_bot),
                ("GET", r"/users/@me", self._me),
                ("GET", r"/oauth2/applications/@me", self._application),
                ("PUT", r"/applications/(?P<app>\d+)/commands", self._sync_commands),
                ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                 self._sync_commands),
                ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback",
                 self._interaction_callback),
                ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
                ("GET", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                 self._webhook_get),
                ("PATCH",
                 r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                 self._webhook_edit),
                ("POST", r"/channels/(?P<cid>\d+)/messages", self._create_message),
                ("GET", r"/channels/(?P<cid>\d+)", self._get_channel),
                ("GET", r"/channels/(?P<cid>\d+)/messages", self._history),
                ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._get_message),
                ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._edit_message),
                ("POST", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/threads",
                 self._create_thread),
                ("POST", r"/channels/(?P<cid>\d+)/typing", self._typing),
                ("PUT", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/reactions/"
                        r"(?P<emoji>[^/]+)/@me", self._add_reaction),
            )
        ]

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port, known before the site starts
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    # -- ids and payloads --------------------------------------------------------------------

    def snowflake(self) -> int:
        """A fresh id whose timestamp part is now (discord.py reads created_at from it)."""
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (next(self._ids) & 0x3FFFFF)

    @staticmethod
    def _text_channel(channel_id: int, name: str, position: int) -> Json:
        return {"id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": name,
                "position": position, "permission_overwrites": [], "parent_id": None,
                "nsfw": False, "topic": None, "last_message_id": None,
                "rate_limit_per_user": 0}

    @staticmethod
    def _member(user: Json, roles: Sequence[int] = ()) -> Json:
        return {"user": user, "roles": [str(r) for r in roles], "joined_at": _now(),
                "deaf": False, "mute": False, "flags": 0, "pending": False}

    def guild_payload(self) -> Json:
        text_channels = [c for c in self.channels.values() if c["type"] == 0]
        return {
            "id": str(GUILD_ID), "name": "Newsroom", "icon": None, "owner_id": str(ADMIN_ID),
            "unavailable": False, "member_count": 4, "large": False, "features": [],
            "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0, "nsfw_level": 0,
            "preferred_locale": "en-US", "system_channel_id": str(CHANNEL_ID),
            "joined_at": _now(), "emojis": [], "stickers": [], "voice_states": [],
            # Like Discord, the active threads the bot can see (the ones opened here so far).
            "presences": [], "threads": [c for c in self.channels.values() if c["type"] == 11],
            "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
            "roles": [
                {"id": str(GUILD_ID), "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS),
                 "position": 0, "color": 0, "hoist": False, "managed": False,
                 "mentionable": False, "flags": 0},
                {"id": str(ADMIN_ROLE_ID), "name": "admins",
                 "permissions": str(MEMBER_PERMISSIONS | MANAGE_GUILD), "position": 1,
                 "color": 0, "hoist": False, "managed": False, "mentionable": True, "flags": 0},
                {"id": str(BOT_ROLE_ID), "name": "newsbot", "permissions": str(MEMBER_PERMISSIONS),
                 "position": 2, "color": 0, "hoist": False, "managed": True,
                 "mentionable": False, "flags": 0, "tags": {"bot_id": str(BOT_ID)}},
            ],
            "channels": text_channels,
            "members": [self._member(BOT_USER, [BOT_ROLE_ID]), self._member(USER),
                        self._member(ADMIN, [ADMIN_ROLE_ID]), self._member(OTHER_BOT)],
        }

    def _message(self, *, channel_id: int, author: Json, content: str,
                 embeds: list[Json] | None = None, components: list[Json] | None = None,
                 reference_id: int | None = None, flags: int = 0,
                 webhook_id: int | None = None, mentions: list[Json] | None = None) -> Json:
        message_id = self.snowflake()
        payload: Json = {
            "id": str(message_id), "channel_id": str(channel_id), "guild_id": str(GUILD_ID),
            "author": author, "content": content, "timestamp": _now(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": mentions or [], "mention_roles": [], "attachments": [],
            "embeds": embeds or [], "components": components or [], "pinned": False,
            "type": 0, "flags": flags,
        }
        if author["id"] != str(BOT_ID) or webhook_id is None:
            payload["member"] = {k: v for k, v in self._member(author).items() if k != "user"}
        if webhook_id is not None:
            payload["webhook_id"] = str(webhook_id)
            payload["application_id"] = str(APP_ID)
        if reference_id is not None:
            referenced = self.messages.get(reference_id)
            payload["type"] = 19  # reply
            payload["message_reference"] = {"message_id": str(reference_id),
                                            "channel_id": str(channel_id),
                                            "guild_id": str(GUILD_ID)}
            payload["referenced_message"] = referenced
        self.messages[message_id] = payload
        return payload

    # -- gateway -------------------------------------------------------------------------------

    async def _send(self, op: int, data: Any, event: str | None = None) -> None:
        if self._ws is None or self._ws.closed:
            raise RuntimeError("no client is connected to the fake gateway")
        frame: Json = {"op": op, "d": data, "s": None, "t": event}
        if op == 0:
            self._seq += 1
            frame["s"] = self._seq
        await self._ws.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a DISPATCH (op 0) event to the connected client."""
        await self._send(0, data, event)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await self._send(10, {"heartbeat_interval": self.heartbeat_interval_ms})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:
                self.heartbeats += 1
                await self._send(11, None)
            elif op == 2:
                self.identify = frame["d"]
                await self._ready()
            elif op == 6:
                await self.dispatch("RESUMED", {})
        return ws

    async def _ready(self) -> None:
        await self.dispatch("READY", {
            "v": 10, "user": {**BOT_USER, "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session", "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [],
            "relationships": [], "presences": [], "shard": [0, 1],
        })
        await self.dispatch("GUILD_CREATE", self.guild_payload())
        self.guild_delivered.set()

    # -- test helpers -----------------------------------------------------------------------------

    async def user_message(self, content: str, *, channel_id: int = CHANNEL_ID,
                           author: Json = USER, mention_bot: bool = False,
                           reply_to: int | None = None) -> Json:
        """A member posts ``content`` (prefixed with the bot's mention if asked), as a Discord
        reply to message ``reply_to`` if given (with reply-ping off: no mention added)."""
        mentions: list[Json] = []
        if mention_bot:
            content = f"<@{BOT_ID}> {content}"
        # Like Discord, every mentioned user the message names is resolved in "mentions".
        known = {int(u["id"]): u for u in (BOT_USER, USER, ADMIN, OTHER_BOT)}
        for user_id in dict.fromkeys(int(i) for i in re.findall(r"<@!?(\d+)>", content)):
            if user_id in known:
                mentions.append(known[user_id])
        payload = self._message(channel_id=channel_id, author=author, content=content,
                                mentions=mentions, reference_id=reply_to)
        payload["mention_roles"] = re.findall(r"<@&(\d+)>", content)
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    def offline_message(self, content: str, *, author: Json = USER,
                        channel_id: int = CHANNEL_ID, reply_to: int | None = None) -> Json:
        """A message posted while no bot was connected (stored, no gateway event): a member's
        mention during downtime, or the bot's own reply left half-written by a crash."""
        mentions = [BOT_USER] if f"<@{BOT_ID}>" in content else []
        return self._message(channel_id=channel_id, author=author, content=content,
                             mentions=mentions, reference_id=reply_to)

    async def user_edit(self, message_id: int, content: str) -> Json:
        """The member who posted ``message_id`` edits its text (MESSAGE_UPDATE)."""
        payload = self.messages[message_id]
        payload["content"] = content
        payload["edited_timestamp"] = _now()
        payload["mentions"] = [BOT_USER] if f"<@{BOT_ID}>" in content else []
        await self.dispatch("MESSAGE_UPDATE", payload)
        return payload

    async def direct_message(self, content: str, *, author: Json = USER) -> Json:
        """A member writes to the bot in a DM (no guild, no member object)."""
        payload = self._message(channel_id=DM_CHANNEL_ID, author=author, content=content)
        payload.pop("guild_id")
        payload.pop("member", None)
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    def _interaction(self, kind: int, data: Json, *, user: Json, channel_id: int,
                     roles: list[int], message: Json | None = None) -> Json:
        permissions = MEMBER_PERMISSIONS | (MANAGE_GUILD if ADMIN_ROLE_ID in roles else 0)
        token = f"itoken-{next(self._ids)}"
        payload: Json = {
            "id": str(self.snowflake()), "application_id": str(APP_ID), "type": kind,
            "token": token, "version": 1, "guild_id": str(GUILD_ID),
            "channel_id": str(channel_id), "channel": self.channels[channel_id],
            "member": {**self._member(user, roles), "permissions": str(permissions)},
            "data": data, "app_permissions": str(MEMBER_PERMISSIONS), "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)}, "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        self.interactions[token] = payload
        return payload

    async def slash_command(self, name: str, options: dict[str, str] | None = None, *,
                            user: Json = USER, channel_id: int = CHANNEL_ID,
                            roles: list[int] | None = None,
                            subcommand: str | None = None) -> Json:
        """A member runs ``/name [subcommand]`` with string ``options``; returns the
        interaction payload."""
        synced = self.commands.get(str(GUILD_ID)) or self.commands.get("global") or []
        command = next((c for c in synced if c["name"] == name), None)
        data: Json = {
            "id": command["id"] if command else str(self.snowflake()), "name": name, "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()],
        }
        if subcommand is not None:
            data["options"] = [{"name": subcommand, "type": 1, "options": data["options"]}]
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        payload = self._interaction(2, data, user=user, channel_id=channel_id,
                                    roles=roles or [])
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click_button(self, message_id: int, custom_id: str, *, user: Json = USER) -> Json:
        """A member clicks the button ``custom_id`` under the stored message ``message_id``."""
        message = self.messages[message_id]
        payload = self._interaction(3, {"custom_id": custom_id, "component_type": 2},
                                    user=user, channel_id=int(message["channel_id"]), roles=[],
                                    message=message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def rate_limit_next(self, method: str, path_pattern: str, retry_after: float = 0.5) -> None:
        """Answer the next ``method`` call whose path matches with a 429 (once)."""
        self._rate_limits.append(_RateLimit(method, re.compile(path_pattern), retry_after))

    def sent_message_bodies(self) -> list[Json]:
        """The body of every message the bot created or edited: interaction callbacks,
        channel messages and webhook (follow-up) messages that carry content."""
        bodies: list[Json] = []
        for call in self.calls:
            body = call.body if isinstance(call.body, dict) else {}
            if call.path.endswith("/callback"):
                body = body.get("data") or {}
            elif not (call.method in ("POST", "PATCH")
                      and ("/messages" in call.path or call.path.startswith("/webhooks/"))):
                continue
            if "content" in body:
                bodies.append(body)
        return bodies

    def calls_to(self, method: str, path_pattern: str) -> list[RecordedCall]:
        pattern = re.compile(path_pattern + "$")
        return [c for c in self.calls if c.method == method and pattern.match(c.path)]

    async def wait_for_call(self, method: str, path_pattern: str,
                            predicate: Callable[[RecordedCall], bool] = lambda c: True,
                            *, timeout: float = 10.0) -> RecordedCall:
        """The first successful matching call (waiting for it if need be)."""

        def found() -> RecordedCall | None:
            return next((c for c in self.calls_to(method, path_pattern)
                         if c.status < 300 and predicate(c)), None)

        await self.wait_until(lambda: found() is not None, timeout=timeout)
        call = found()
        assert call is not None
        return call

    async def wait_until(self, condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
        """Wait until ``condition()`` holds, checking after every REST call and every 50 ms.

        The timer matters for conditions on state outside this gateway (a fake service's
        calls, a store on disk): with REST calls alone such a condition that turns true
        after the last call would wait for the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while not condition():
                left = deadline - loop.time()
                if left <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, 0.05))

    # -- REST ------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):
                form = await request.post()
                raw = form.get("payload_json")
                body = json.loads(str(raw)) if raw is not None else None
        call = RecordedCall(request.method, path, dict(request.query), body)
        try:
            authorization = request.headers.get("Authorization")
            if (self.token is not None and authorization is not None
                    and authorization != f"Bot {self.token}"):
                call.status = 401
                return _json_response({"message": "401: Unauthorized", "code": 0}, status=401)
            limit = next((r for r in self._rate_limits
                          if r.method == request.method and r.pattern.search(path)), None)
            if limit is not None:
                self._rate_limits.remove(limit)
                call.status = 429
                return _json_response(
                    {"message": "You are being rate limited.", "retry_after": limit.retry_after,
                     "global": False, "code": 0},
                    status=429,
                    headers={"Retry-After": str(limit.retry_after), "Via": "1.1 google",
                             "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                             "X-RateLimit-Reset-After": str(limit.retry_after),
                             "X-RateLimit-Scope": "user"})
            for method, pattern, handler in self._routes:
                match = pattern.match(path)
                if method == request.method and match:
                    call.match = match.groupdict()
                    try:
                        result = await handler(call, **call.match)
                    except web.HTTPException as exc:
                        call.status = exc.status
                        raise
                    if result is None:
                        call.status = 204
                        return web.Response(status=204)
                    return _json_response(result)
            call.status = 404
            return _json_response({"message": "Unknown route", "code": 0}, status=404)
        finally:
            self.calls.append(call)
            async with self._changed:
                self._changed.notify_all()

    async def _gateway_bot(self, call: RecordedCall) -> Json:
        return {"url": self.gateway_url, "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999,
                                        "reset_after": 0, "max_concurrency": 1}}

    async def _me(self, call: RecordedCall) -> Json:
        return {**BOT_USER, "verified": True, "mfa_enabled": False}

    async def _application(self, call: RecordedCall) -> Json:
        return {"id": str(APP_ID), "name": "newsbot", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False, "owner": ADMIN,
                "verify_key": "0" * 64, "flags": 0, "team": None}

    async def _sync_commands(self, call: RecordedCall, app: str,
                             guild: str | None = None) -> list[Json]:
        synced = []
        for command in call.body or []:
            synced.append({**command, "id": str(self.snowflake()), "application_id": app,
                           "version": "1", **({"guild_id": guild} if guild else {})})
        self.commands[guild or "global"] = synced
        return synced

    async def _post_bot_message(self, channel_id: int, body: Json, *,
                                webhook_id: int | None = None, flags: int = 0) -> Json:
        reference = (body.get("message_reference") or {}).get("message_id")
        payload = self._message(
            channel_id=channel_id, author=BOT_USER, content=body.get("content") or "",
            embeds=body.get("embeds"), components=body.get("components"),
            reference_id=int(reference) if reference else None,
            flags=flags | int(body.get("flags") or 0), webhook_id=webhook_id)
        if not payload["flags"] & EPHEMERAL:  # Discord sends no gateway event for those
            await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def _apply_edit(self, message_id: int, body: Json) -> Json:
        payload = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in body:
                payload[key] = body[key] if body[key] is not None else (
                    "" if key == "content" else [])
        payload["edited_timestamp"] = _now()
        payload["flags"] = int(payload["flags"]) & ~(1 << 7)  # no longer "loading"
        if not payload["flags"] & EPHEMERAL:
            await self.dispatch("MESSAGE_UPDATE", payload)
        return payload

    async def _interaction_callback(self, call: RecordedCall, iid: str, token: str) -> Json:
        interaction = self.interactions[token]
        body = call.body or {}
        kind = body.get("type")
        data = body.get("data") or {}
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        response: Json = {"interaction": {
            "id": iid, "type": interaction["type"], "response_message_loading": kind == 5,
            "response_message_ephemeral": ephemeral}, "resource": {"type": kind}}
        if kind in (4, 5):  # a message, or "thinking…" (a loading message)
            message = await self._post_bot_message(
                int(interaction["channel_id"]),
                data if kind == 4 else {"content": ""}, webhook_id=APP_ID,
                flags=(EPHEMERAL if ephemeral else 0) | (1 << 7 if kind == 5 else 0))
            self.originals[token] = int(message["id"])
            response["interaction"]["response_message_id"] = message["id"]
            if kind == 4:
                response["resource"]["message"] = message
        return response

    async def _followup(self, call: RecordedCall, app: str, token: str) -> Json:
        interaction = self.interactions[token]
        body = call.body or {}
        original = self.originals.get(token)
        # After a deferral, the first followup fills the "thinking…" message.
        if original is not None and self.messages[original]["flags"] & (1 << 7):
            return await self._apply_edit(original, body)
        return await self._post_bot_message(int(interaction["channel_id"]), body,
                                            webhook_id=APP_ID)

    def _webhook_message_id(self, token: str, mid: str) -> int:
        return self.originals[token] if mid == "@original" else int(mid)

    async def _webhook_get(self, call: RecordedCall, app: str, token: str, mid: str) -> Json:
        return self.messages[self._webhook_message_id(token, mid)]

    async def _webhook_edit(self, call: RecordedCall, app: str, token: str, mid: str) -> Json:
        return await self._apply_edit(self._webhook_message_id(token, mid), call.body or {})

    async def _create_message(self, call: RecordedCall, cid: str) -> Json:
        return await self._post_bot_message(int(cid), call.body or {})

    async def _get_channel(self, call: RecordedCall, cid: str) -> Json:
        channel = self.channels.get(int(cid))
        if channel is None:
            raise web.HTTPNotFound(body=b'{"message": "Unknown Channel", "code": 10003}',
                                   headers={"Content-Type": "application/json"})
        return channel

    async def _get_message(self, call: RecordedCall, cid: str, mid: str) -> Json:
        message = self.messages.get(int(mid))
        if message is None or message["channel_id"] != cid:
            raise web.HTTPNotFound(body=b'{"message": "Unknown Message", "code": 10008}',
                                   headers={"Content-Type": "application/json"})
        return message

    async def _edit_message(self, call: RecordedCall, cid: str, mid: str) -> Json:
        return await self._apply_edit(int(mid), call.body or {})

    async def _history(self, call: RecordedCall, cid: str) -> list[Json]:
        limit = int(call.query.get("limit", 50))
        before = int(call.query.get("before", 1 << 63))
        after = int(call.query.get("after", 0))
        found = [m for m in self.messages.values() if m["channel_id"] == cid
                 and after < int(m["id"]) < before]
        found.sort(key=lambda m: int(m["id"]), reverse=True)
        return found[:limit]

    async def _create_thread(self, call: RecordedCall, cid: str, mid: str) -> Json:
        body = call.body or {}
        thread: Json = {
            "id": mid, "guild_id": str(GUILD_ID), "parent_id": cid, "owner_id": str(BOT_ID),
            "name": body.get("name", "thread"), "type": 11, "message_count": 0,
            "member_count": 1, "rate_limit_per_user": 0, "last_message_id": None,
            "flags": 0, "total_message_sent": 0,
            "thread_metadata": {"archived": False, "locked": False,
                                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                                "archive_timestamp": _now()},
        }
        self.channels[int(mid)] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    async def _typing(self, call: RecordedCall, cid: str) -> None:
        return None

    async def _add_reaction(self, call: RecordedCall, cid: str, mid: str, emoji: str) -> None:
        """The bot reacts to a message (``emoji`` arrives URL-quoted, e.g. ``%E2%8F%B3``)."""
        name = urllib.parse.unquote(emoji)
        self.reactions.append((int(mid), name))
        # Kept on the message as Discord does, so a later read (history, a restart) sees it.
        reactions = self.messages[int(mid)].setdefault("reactions", [])
        mine = next((r for r in reactions if r["emoji"]["name"] == name), None)
        if mine is None:
            reactions.append({"emoji": {"id": None, "name": name}, "count": 1, "me": True,
                              "me_burst": False, "burst_colors": [],
                              "count_details": {"burst": 0, "normal": 1}})
        elif not mine["me"]:
            mine["me"] = True
            mine["count"] += 1
        return None
