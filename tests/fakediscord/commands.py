"""Registered application commands (what ``tree.sync()`` uploads) and building interaction option trees."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .payloads import (
    JSON,
    OPT_ATTACHMENT,
    OPT_BOOLEAN,
    OPT_CHANNEL,
    OPT_INTEGER,
    OPT_MENTIONABLE,
    OPT_NUMBER,
    OPT_ROLE,
    OPT_STRING,
    OPT_SUB_COMMAND,
    OPT_SUB_COMMAND_GROUP,
    OPT_USER,
    SnowflakeGenerator,
)

SUBCOMMAND_TYPES = (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP)


class CommandRegistry:
    """Global and per-guild command lists with Discord's bulk-overwrite / upsert semantics."""

    def __init__(self, application_id: int, snowflake: SnowflakeGenerator) -> None:
        self.application_id = application_id
        self._snowflake = snowflake
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.sync_count = 0

    def _list(self, guild_id: int | None) -> list[JSON]:
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(guild_id, [])

    def _normalize(self, payload: JSON, guild_id: int | None, existing: JSON | None) -> JSON:
        cmd: JSON = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            "integration_types": [0],
            "contexts": None,
        }
        cmd.update(payload)
        cmd["id"] = existing["id"] if existing else str(self._snowflake())
        cmd["application_id"] = str(self.application_id)
        cmd["version"] = str(self._snowflake())
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        else:
            cmd.pop("guild_id", None)
        return cmd

    @staticmethod
    def _same(a: JSON, b: JSON) -> bool:
        return bool(a.get("name") == b.get("name") and a.get("type", 1) == b.get("type", 1))

    def bulk_overwrite(self, guild_id: int | None, payloads: Sequence[JSON]) -> list[JSON]:
        old = self._list(guild_id)
        new: list[JSON] = []
        for payload in payloads:
            existing = next((c for c in old if self._same(c, payload)), None)
            new.append(self._normalize(payload, guild_id, existing))
        if guild_id is None:
            self.global_commands = new
        else:
            self.guild_commands[guild_id] = new
        self.sync_count += 1
        return new

    def upsert(self, guild_id: int | None, payload: JSON) -> tuple[JSON, bool]:
        commands = self._list(guild_id)
        existing = next((c for c in commands if self._same(c, payload)), None)
        cmd = self._normalize(payload, guild_id, existing)
        if existing is not None:
            commands[commands.index(existing)] = cmd
        else:
            commands.append(cmd)
        return cmd, existing is None

    def get(self, guild_id: int | None, command_id: int) -> JSON | None:
        return next((c for c in self._list(guild_id) if int(c["id"]) == command_id), None)

    def edit(self, guild_id: int | None, command_id: int, payload: JSON) -> JSON | None:
        commands = self._list(guild_id)
        existing = self.get(guild_id, command_id)
        if existing is None:
            return None
        merged = {**existing, **payload}
        cmd = self._normalize(merged, guild_id, existing)
        commands[commands.index(existing)] = cmd
        return cmd

    def delete(self, guild_id: int | None, command_id: int) -> bool:
        existing = self.get(guild_id, command_id)
        if existing is None:
            return False
        self._list(guild_id).remove(existing)
        return True

    def find(self, name: str, guild_id: int | None, command_type: int = 1) -> JSON | None:
        """Guild commands first (as the Discord client shows them), then global ones."""
        pools = ([self.guild_commands.get(guild_id, [])] if guild_id is not None else []) + [self.global_commands]
        for pool in pools:
            for cmd in pool:
                if cmd.get("name") == name and cmd.get("type", 1) == command_type:
                    return cmd
        return None


# -- option trees -------------------------------------------------------------------------------------------

Lookup = Callable[[int], JSON | None]


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPT_BOOLEAN
    if isinstance(value, int):
        return OPT_INTEGER
    if isinstance(value, float):
        return OPT_NUMBER
    if isinstance(value, dict) and ("user" in value or "username" in value):
        return OPT_USER
    if isinstance(value, dict) and "filename" in value:
        return OPT_ATTACHMENT
    return OPT_STRING


RESOLVED_CHANNEL_PERMISSIONS = (1 << 41) - 1


class OptionBuilder:
    """Turns ``("group", "sub")`` + ``{"opt": value}`` into Discord's nested ``data.options`` and ``resolved``."""

    def __init__(self, lookup_channel: Lookup, lookup_role: Lookup) -> None:
        self._lookup_channel = lookup_channel
        self._lookup_role = lookup_role
        self.resolved: JSON = {}

    def _resolve(self, kind: str, key: str, payload: JSON) -> None:
        self.resolved.setdefault(kind, {})[key] = payload

    def snowflake_value(self, opt_type: int, value: Any) -> str:
        if isinstance(value, dict):
            if "user" in value:  # member payload
                user = value["user"]
                uid = str(user["id"])
                self._resolve("users", uid, user)
                member = {k: v for k, v in value.items() if k not in ("user", "deaf", "mute")}
                self._resolve("members", uid, member)
                return uid
            if "username" in value:
                self._resolve("users", str(value["id"]), value)
                return str(value["id"])
            if opt_type == OPT_ATTACHMENT:
                self._resolve("attachments", str(value["id"]), value)
                return str(value["id"])
            if opt_type == OPT_CHANNEL or "type" in value:
                self._resolve("channels", str(value["id"]), value)
                return str(value["id"])
            self._resolve("roles", str(value["id"]), value)
            return str(value["id"])
        snowflake = int(value)
        if opt_type == OPT_CHANNEL and (channel := self._lookup_channel(snowflake)) is not None:
            # Discord's resolved channels carry the invoker's permissions there (discord.py reads them).
            self._resolve("channels", str(snowflake), {"permissions": str(RESOLVED_CHANNEL_PERMISSIONS), **channel})
        elif opt_type in (OPT_ROLE, OPT_MENTIONABLE) and (role := self._lookup_role(snowflake)) is not None:
            self._resolve("roles", str(snowflake), role)
        return str(snowflake)

    def _convert(self, opt_type: int, value: Any, focused: bool) -> Any:
        if focused:
            # While typing, Discord sends whatever the user typed so far, as a string.
            return value if isinstance(value, str) else str(value)
        if opt_type == OPT_STRING:
            return str(value)
        if opt_type == OPT_INTEGER:
            return int(value)
        if opt_type == OPT_BOOLEAN:
            return bool(value)
        if opt_type == OPT_NUMBER:
            return float(value)
        return self.snowflake_value(opt_type, value)

    def leaf_options(
        self,
        specs: Sequence[JSON] | None,
        values: Mapping[str, Any],
        focused: str | None,
        *,
        check_required: bool,
        where: str,
    ) -> list[JSON]:
        by_name = {spec["name"]: spec for spec in specs or []}
        out: list[JSON] = []
        names = list(values)
        if focused is not None and focused not in values:
            names.append(focused)
        for name in names:
            value = values.get(name, "")
            spec = by_name.get(name)
            if specs is not None and spec is None:
                raise ValueError(f"{where!r} has no option {name!r}; registered: {sorted(by_name)}")
            opt_type = int(spec["type"]) if spec else _infer_type(value)
            option: JSON = {"name": name, "type": opt_type, "value": self._convert(opt_type, value, name == focused)}
            if name == focused:
                option["focused"] = True
            out.append(option)
        if check_required and specs is not None:
            missing = [s["name"] for s in specs if s.get("required") and s["name"] not in values]
            if missing:
                raise ValueError(f"{where!r} is missing required options {missing}")
        return out

    def build(
        self,
        path: Sequence[str],
        command: JSON | None,
        values: Mapping[str, Any],
        focused: str | None,
        *,
        check_required: bool,
    ) -> list[JSON]:
        """Options for ``data.options`` given the full path ``[command, group?, sub?]``."""
        specs: list[JSON] | None = command.get("options", []) if command is not None else None
        chain: list[JSON] = []
        for depth, name in enumerate(path[1:], start=1):
            if specs is not None:
                spec = next((s for s in specs if s["name"] == name and s.get("type") in SUBCOMMAND_TYPES), None)
                if spec is None:
                    raise ValueError(f"{' '.join(path[:depth])!r} has no subcommand or group {name!r}")
                opt_type = int(spec["type"])
                specs = spec.get("options", [])
            else:
                opt_type = OPT_SUB_COMMAND_GROUP if depth < len(path) - 1 else OPT_SUB_COMMAND
            chain.append({"name": name, "type": opt_type, "options": []})
        leaves = self.leaf_options(specs, values, focused, check_required=check_required, where=" ".join(path))
        if not chain:
            return leaves
        chain[-1]["options"] = leaves
        for parent, child in itertools.pairwise(chain):
            parent["options"] = [child]
        return [chain[0]]
