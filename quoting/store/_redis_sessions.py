"""The pages' sessions in Redis (when ``QUOTING_REDIS_URL`` is set), so that every process
of every host serves any page request without a database read per request.

A session is a Redis hash ``{prefix}s:{id_hash}`` that Redis itself expires at the
session's absolute end; ``{prefix}a:{account_id}`` is the set of an account's session
hashes (to end them all when its password changes). Changes made in a unit of work are
queued and applied, in one Redis transaction, when the unit commits — after the SQL
transaction, so a rolled-back unit changes no session.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from quoting.store._records import WebSession

__all__ = ["RedisSessionStore", "RedisSessions"]

# Change a session only while it exists (a change must not bring an expired one back).
_UPDATE = """
if redis.call('exists', KEYS[1]) == 1 then
  redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
end
"""
# Delete a session and take it out of its account's set.
_DELETE = """
local account = redis.call('hget', KEYS[1], 'account_id')
redis.call('del', KEYS[1])
if account then redis.call('srem', ARGV[1] .. account, ARGV[2]) end
"""


class RedisSessionStore:
    """A Redis connection (pool) for sessions, shared by the units of work of a process."""

    def __init__(self, url: str, prefix: str = "quoting:session:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self._update = self.client.register_script(_UPDATE)
        self._delete = self.client.register_script(_DELETE)

    def repository(self) -> RedisSessions:
        """The session repository of one unit of work."""
        return RedisSessions(self)

    def close(self) -> None:
        """Give the connections back."""
        self.client.close()


class RedisSessions:
    """Sessions read from Redis at once and changed when the unit of work commits."""

    def __init__(self, store: RedisSessionStore) -> None:
        self._store = store
        self._queued: list[Callable[[Any], None]] = []

    def _session_key(self, id_hash: str) -> str:
        return f"{self._store.prefix}s:{id_hash}"

    def _account_key(self, account_id: str) -> str:
        return f"{self._store.prefix}a:{account_id}"

    def add(self, session: WebSession) -> None:
        """Store a new session, expiring at its absolute end."""
        key, members = self._session_key(session.id_hash), self._account_key(session.account_id)
        fields = {
            "account_id": session.account_id,
            "created_at": session.created_at.isoformat(),
            "last_seen_at": session.last_seen_at.isoformat(),
            "expires_at": session.expires_at.isoformat(),
            "data": json.dumps(session.data, ensure_ascii=False, sort_keys=True),
        }
        end = int(session.expires_at.timestamp()) + 1

        def apply(pipe: Any) -> None:
            pipe.hset(key, mapping=fields)
            pipe.expireat(key, end)
            pipe.sadd(members, session.id_hash)
            # The account's set lives as long as its longest session.
            pipe.expireat(members, end, nx=True)
            pipe.expireat(members, end, gt=True)

        self._queued.append(apply)

    def get(self, id_hash: str) -> WebSession | None:
        """The session with this token hash, if Redis still has it."""
        raw = self._store.client.hgetall(self._session_key(id_hash))
        if not raw:
            return None
        row = {_text(k): _text(v) for k, v in raw.items()}
        return WebSession(
            id_hash=id_hash,
            account_id=row["account_id"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
            last_seen_at=dt.datetime.fromisoformat(row["last_seen_at"]),
            expires_at=dt.datetime.fromisoformat(row["expires_at"]),
            data=json.loads(row["data"]),
        )

    def touch(self, id_hash: str, at: dt.datetime) -> None:
        """Record that the session was used at ``at``."""
        self._queue_update(id_hash, "last_seen_at", at.isoformat())

    def set_data(self, id_hash: str, data: dict[str, Any]) -> None:
        """Replace what the pages keep for the session."""
        self._queue_update(id_hash, "data", json.dumps(data, ensure_ascii=False, sort_keys=True))

    def _queue_update(self, id_hash: str, name: str, value: str) -> None:
        key = self._session_key(id_hash)
        update = self._store._update
        self._queued.append(lambda pipe: update(keys=[key], args=[name, value], client=pipe))

    def delete(self, id_hash: str) -> None:
        """End one session."""
        key, prefix = self._session_key(id_hash), self._account_key("")
        delete = self._store._delete
        self._queued.append(lambda pipe: delete(keys=[key], args=[prefix, id_hash], client=pipe))

    def delete_for_account(self, account_id: str) -> int:
        """End every session of an account; how many there are."""
        members = self._account_key(account_id)
        hashes = [_text(h) for h in self._store.client.smembers(members)]
        keys = [self._session_key(h) for h in hashes]

        def apply(pipe: Any) -> None:
            if keys:
                pipe.delete(*keys)
            pipe.delete(members)

        self._queued.append(apply)
        return len(hashes)

    def purge(self, now: dt.datetime, idle_since: dt.datetime) -> int:
        """Nothing to do: Redis drops a session at its absolute end, and one idle too long
        is deleted when it is next presented (or at its end)."""
        return 0

    def flush(self) -> None:
        """Apply the queued changes in one Redis transaction (called at commit)."""
        if not self._queued:
            return
        with self._store.client.pipeline(transaction=True) as pipe:
            for apply in self._queued:
                apply(pipe)
            pipe.execute()
        self._queued.clear()

    def discard(self) -> None:
        """Forget the queued changes (the unit of work rolled back)."""
        self._queued.clear()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
