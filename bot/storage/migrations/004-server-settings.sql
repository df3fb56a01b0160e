-- Per-server settings as text values (the core knows each key's type and range), and who changed what.
CREATE TABLE server_settings (
    guild_id   INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (guild_id, key)
);

CREATE TABLE settings_audit (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    old_value  TEXT,
    new_value  TEXT    NOT NULL,
    changed_ms INTEGER NOT NULL
);
CREATE INDEX settings_audit_by_guild ON settings_audit (guild_id, changed_ms);
