-- Servers the bot has left: their data is deleted once the grace period (DATA_RETENTION_DAYS) has passed.
CREATE TABLE guild_departures (
    guild_id BIGINT PRIMARY KEY,
    left_ms  BIGINT NOT NULL
);
